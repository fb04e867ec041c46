import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { CustomerGateway } from '../../src/gateway/customers';

/** The server refuses update ids over its id limit (320 bytes here, `limit.maxIDLength`) with INVALID_ARGUMENT. */
const SERVER_ID_LIMIT = 320;

function capturingClient(ids: string[]): Client {
  const handle = {
    executeUpdate: async (_def: unknown, opts: { updateId?: string }) => {
      ids.push(opts.updateId ?? '');
      return { customerId: 'c', consent: {} };
    },
  };
  return { workflow: { getHandle: () => handle } } as unknown as Client;
}

describe("a consent call's update id", () => {
  it('stays within the server limit for any eventId and customer id the edge accepts', async () => {
    const ids: string[] = [];
    const gateway = new CustomerGateway(capturingClient(ids), () => new Date('2026-12-06T12:00:00Z'));
    const consent = { purpose: 'all', channel: 'all', granted: false } as const;
    // 200 characters of four UTF-8 bytes each: what the schema's max(200) lets through.
    await gateway.setConsent('c-1', { ...consent, eventId: '𝄞'.repeat(200) });
    // No eventId and a long customer id: the id is made of the customer id and the call.
    await gateway.setConsent('c'.repeat(255), consent);
    for (const id of ids) expect(Buffer.byteLength(id)).toBeLessThanOrEqual(SERVER_ID_LIMIT);
    // Short ones stay as they were (readable in the UI, and the same as before for calls in flight over a deploy).
    await gateway.setConsent('c-1', { ...consent, eventId: 'counter-42' });
    expect(ids.at(-1)).toBe('consent:api:counter-42');
  });
});
