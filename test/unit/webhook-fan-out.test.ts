import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { FAN_OUT, recordForContact } from '../../src/api/webhooks/sink';
import type { CustomerEvent } from '../../src/workflows/customer/contract';

const request = { log: { info: () => undefined } } as unknown as FastifyRequest;

describe('a webhook about a contact many customers share', () => {
  it('tells them side by side, at most FAN_OUT at once, each one its events in order', async () => {
    const customers = Array.from({ length: 57 }, (_, i) => `c-${i}`);
    const seen = new Map<string, string[]>();
    let inFlight = 0;
    let most = 0;
    const sink = {
      findCustomersByContactKeys: async () => customers,
      recordCustomerEvent: async (customerId: string, event: CustomerEvent) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        seen.set(customerId, [...(seen.get(customerId) ?? []), event.eventId]);
        inFlight--;
      },
    };
    const events = [
      { type: 'inbound', eventId: 'e-1', channel: 'whatsapp', at: '2026-12-06T10:00:00Z' },
      { type: 'opt-in', eventId: 'e-2', channel: 'whatsapp', at: '2026-12-06T10:00:00Z' },
    ] as unknown as CustomerEvent[];
    expect(await recordForContact(sink, request, ['k'], events)).toBe(true);
    expect(seen.size).toBe(57);
    for (const ids of seen.values()) expect(ids).toEqual(['e-1', 'e-2']);
    // One after another, a webhook for 57 customers outlasted its Temporal budget; all at once would flood Temporal.
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(FAN_OUT);
  });
});
