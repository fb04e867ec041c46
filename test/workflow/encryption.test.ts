import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { InvalidAddressError } from '../../src/channels/errors';
import type { ChannelAdapter, OutgoingMessage } from '../../src/channels/types';
import { deriveKeys } from '../../src/lib/keys';
import { dataConverterFor } from '../../src/temporal/codec';
import { customerLifecycleId } from '../../src/workflows/customer/contract';
import { orderJourneyId } from '../../src/workflows/order/contract';
import { eventually, sampleOrder, startHarness, TEST_KEYS, uniqueId, type Harness } from '../support/harness';

/**
 * Every byte and string of a history as text: payload data and metadata decoded as UTF-8, so plain
 * JSON payloads (what the Temporal UI and `temporal workflow show` print) read as they are stored.
 */
function textOf(value: unknown, out: string[] = []): string[] {
  if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) textOf(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) textOf(v, out);
  return out;
}

/** An email provider that rejects the address and, like real ones, names it in the error message. */
class RejectingEmail implements ChannelAdapter {
  readonly channel = 'email' as const;
  readonly provider = 'rejecting-email';
  async send(message: OutgoingMessage): Promise<never> {
    throw new InvalidAddressError(`Invalid \`to\` field: ${message.content.to}`, this.provider, 422);
  }
}

let h: Harness;
let rawConnection: Connection;
/** A client without the codec: it sees history as Temporal stores it (and as an operator without the key would). */
let raw: Client;

beforeAll(async () => {
  h = await startHarness({ channels: { email: new RejectingEmail() } });
  rawConnection = await Connection.connect({ address: inject('temporalAddress') });
  raw = new Client({ connection: rawConnection, namespace: inject('temporalNamespace') });
});

afterAll(async () => {
  await h?.stop();
  await rawConnection?.close();
});

describe('customer data in Temporal history', () => {
  it('is encrypted: neither email, phone nor name is stored readable, while the app still reads them', async () => {
    const tag = uniqueId('enc').replace(/[^a-z0-9]/gi, '');
    const email = `${tag}@private.example`;
    const phone = `+4477009${String(Date.now()).slice(-5)}`;
    const name = `Quintessa ${tag.slice(-8)}`;
    const order = sampleOrder({}, { email, phone, name });
    await h.aftercare.startOrderJourney(order);
    await h.aftercare.advanceStage(order.orderId, { stage: 'shipped', note: `Call ${phone} at the door` });

    // Email is refused (its error names the address), SMS delivers: both messages go out by SMS.
    const journey = await eventually(async () => {
      const state = await h.aftercare.getOrderJourney(order.orderId);
      const sent = state.messages.filter((m) => m.status === 'sent');
      expect(sent.map((m) => m.channel)).toEqual(['sms', 'sms']);
      return state;
    });

    for (const workflowId of [orderJourneyId(order.orderId), customerLifecycleId(order.customer.id)]) {
      const history: temporal.api.history.v1.IHistory = await raw.workflow.getHandle(workflowId).fetchHistory();
      const texts = textOf(history);
      // The haystack is readable: search attributes (not encrypted, by design) show the order id.
      expect(
        texts.some((t) => t.includes(order.orderId)),
        workflowId,
      ).toBe(true);
      for (const [what, value] of Object.entries({ email, phone, name })) {
        expect(
          texts.filter((t) => t.includes(value)),
          `${workflowId}: the ${what} is stored readable`,
        ).toEqual([]);
      }
    }

    // With the codec the app reads everything back, the failure's real message included.
    const first = journey.messages[0]!;
    expect(first.attempts[0]).toMatchObject({ channel: 'email', outcome: 'failed' });
    expect(first.attempts[0]!.error).toBe(`InvalidAddress: Invalid \`to\` field: ${email}`);
    expect(journey.events.find((e) => e.type === 'stage' && e.stage === 'shipped')).toMatchObject({
      note: `Call ${phone} at the door`,
    });
    const customer = await h.aftercare.getCustomer(order.customer.id);
    expect(customer.profile).toMatchObject({ email, phone, name });
  });

  it('replays from its encrypted history with the key, and fails loudly with the wrong one', async () => {
    // Email fails (an encrypted failure in history), then SMS sends.
    const order = sampleOrder({}, { phone: '+447700900123' });
    await h.aftercare.startOrderJourney(order);
    await eventually(async () =>
      expect((await h.aftercare.getOrderJourney(order.orderId)).messages[0]?.status).toBe('sent'),
    );
    const history = await h.client.workflow.getHandle(orderJourneyId(order.orderId)).fetchHistory();
    const replay = (keys: ReturnType<typeof deriveKeys>) =>
      Worker.runReplayHistory(
        { workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: dataConverterFor(keys.payloads) },
        history,
      );
    await expect(replay(TEST_KEYS)).resolves.toBeUndefined();
    // The payloads cannot be opened: the workflow task fails rather than run on garbage.
    await expect(replay(deriveKeys('another-secret-0123456789abcdef0123456789'))).rejects.toThrow(
      /workflow task failure/,
    );
  });
});
