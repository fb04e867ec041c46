import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { recordForContact, type CustomerEventSink } from '../../src/api/webhooks/sink';
import type { CustomerEvent } from '../../src/workflows/customer/contract';

/**
 * Visibility indexes a contact key a moment after the lifecycle learned it: a STOP from a chat linked a second ago
 * must not be lost (and answered "stopped") because the search did not find it yet.
 */
function sinkIndexedAfter(lookups: number) {
  let calls = 0;
  const recorded: string[] = [];
  const sink: CustomerEventSink = {
    findCustomersByContactKeys: async () => (++calls > lookups ? ['c-1'] : []),
    recordCustomerEvent: async (customerId, event) => {
      recorded.push(`${customerId}:${event.type}`);
    },
  };
  return { sink, recorded, calls: () => calls };
}

const request = { log: { info: () => undefined } } as unknown as FastifyRequest;
const at = '2026-12-01T10:00:00.000Z';
const stop: CustomerEvent = {
  type: 'opt-out',
  channel: 'telegram',
  scope: 'all',
  source: 'telegram',
  eventId: 'telegram:1',
  at,
};

describe('recordForContact', () => {
  it('waits for visibility to index a contact before it drops a consent change as unknown', async () => {
    const { sink, recorded } = sinkIndexedAfter(2);
    expect(await recordForContact(sink, request, ['tg-key'], [stop])).toBe(true);
    expect(recorded).toEqual(['c-1:opt-out']);
  });

  it('gives up on a contact nobody has, after a bounded wait', async () => {
    const { sink, recorded, calls } = sinkIndexedAfter(Infinity);
    const t0 = Date.now();
    expect(await recordForContact(sink, request, ['tg-key'], [stop])).toBe(false);
    expect(recorded).toEqual([]);
    expect(calls()).toBeGreaterThan(1);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('does not wait for events that change no consent (a status callback for an unknown address)', async () => {
    const { sink, calls } = sinkIndexedAfter(Infinity);
    const problem: CustomerEvent = {
      type: 'delivery-problem',
      channel: 'email',
      problem: 'bounced',
      source: 'resend',
      eventId: 'resend:1',
      at,
    } as unknown as CustomerEvent;
    expect(await recordForContact(sink, request, ['email-key'], [problem])).toBe(false);
    expect(calls()).toBe(1);
  });
});
