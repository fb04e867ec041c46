import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ResendEmailAdapter } from '../../src/channels/email/resend/adapter';
import { ORDER_SA } from '../../src/workflows/order/contract';
import { orderJourneyId } from '../../src/workflows/order/contract';
import { startFakeResend, resendFailures, type FakeResend } from '../fakes/resend-server';
import { eventually, sampleOrder, startHarness, type Harness } from '../support/harness';

let resend: FakeResend;
let h: Harness;

beforeAll(async () => {
  resend = await startFakeResend();
  h = await startHarness({
    channels: { email: new ResendEmailAdapter({ apiKey: resend.apiKey, baseUrl: resend.url }) },
  });
});
afterAll(async () => {
  await h?.stop();
  await resend?.close();
});
beforeEach(() => resend.reset());

const emailPosts = (orderId: string) =>
  resend.requests.filter(
    (r) => r.method === 'POST' && String(r.headers['idempotency-key'] ?? '').startsWith(orderJourneyId(orderId)),
  );

describe('delivery through Resend', () => {
  it('sends each message once, with an idempotency key from the workflow and message', async () => {
    const order = sampleOrder();
    await h.aftercare.startOrderJourney(order);
    await eventually(async () =>
      expect(resend.sent.filter((e) => e.to.includes(order.customer.email))).toHaveLength(1),
    );
    const [post] = emailPosts(order.orderId);
    expect(post!.headers['idempotency-key']).toBe(`${orderJourneyId(order.orderId)}/status-placed/email`);
    expect(post!.headers.authorization).toBe(`Bearer ${resend.apiKey}`);
    const email = resend.sent.find((e) => e.to.includes(order.customer.email))!;
    expect(email.html).toContain('<html');
    expect(email.text).toBeTruthy();
    expect(email.from).toBe(h.playbook.brand.sender);
    const state = await eventually(async () => {
      const s = await h.aftercare.getOrderJourney(order.orderId);
      expect(s.messages[0]?.status).toBe('sent');
      return s;
    });
    expect(state.messages[0]!.attempts).toEqual([
      expect.objectContaining({ channel: 'email', outcome: 'sent', provider: 'resend', providerMessageId: email.id }),
    ]);
  });

  it('waits out a 429 for the provider-given delay and still sends one email', async () => {
    resend.failNext(1, resendFailures.rateLimited(2));
    const order = sampleOrder();
    await h.aftercare.startOrderJourney(order);
    await eventually(async () =>
      expect(resend.sent.filter((e) => e.to.includes(order.customer.email))).toHaveLength(1),
    );
    const posts = emailPosts(order.orderId);
    expect(posts).toHaveLength(2);
    expect(posts[0]!.headers['idempotency-key']).toBe(posts[1]!.headers['idempotency-key']);
    const state = await eventually(async () => {
      const s = await h.aftercare.getOrderJourney(order.orderId);
      expect(s.messages[0]?.status).toBe('sent');
      return s;
    });
    const gap = Date.parse(state.messages[0]!.attempts[0]!.at) - Date.parse(state.messages[0]!.queuedAt);
    expect(gap).toBeGreaterThanOrEqual(1_900); // retry-after: 2
  });

  it('retries 5xx with backoff and sends once', async () => {
    resend.failNext(2, resendFailures.serverError());
    const order = sampleOrder();
    await h.aftercare.startOrderJourney(order);
    await eventually(async () =>
      expect(resend.sent.filter((e) => e.to.includes(order.customer.email))).toHaveLength(1),
    );
    expect(emailPosts(order.orderId)).toHaveLength(3);
  });

  it('treats a rejected address as permanent and falls back to the next channel', async () => {
    resend.failNext(1, resendFailures.validation('Invalid `to` field.'));
    const order = sampleOrder({}, { phone: '+447700900123' });
    await h.aftercare.startOrderJourney(order);
    const state = await eventually(async () => {
      const s = await h.aftercare.getOrderJourney(order.orderId);
      expect(s.messages[0]?.status).toBe('sent');
      return s;
    });
    expect(emailPosts(order.orderId)).toHaveLength(1); // not retried
    expect(state.messages[0]!.channel).toBe('sms');
    expect(state.messages[0]!.attempts.map((a) => [a.channel, a.outcome])).toEqual([
      ['email', 'failed'],
      ['sms', 'sent'],
    ]);
    expect(state.messages[0]!.attempts[0]!.error).toMatch(/^PermanentDeliveryFailure/);
    const sms = (await h.outbox.list()).find((m) => m.workflowId === orderJourneyId(order.orderId));
    expect(sms).toMatchObject({ channel: 'sms', to: '+447700900123' });
  });

  it('records a message no channel could deliver, makes it searchable, and goes on', async () => {
    resend.failNext(1, resendFailures.validation());
    const order = sampleOrder();
    await h.aftercare.startOrderJourney(order);
    const state = await eventually(async () => {
      const s = await h.aftercare.getOrderJourney(order.orderId);
      expect(s.messages[0]?.status).toBe('failed');
      return s;
    });
    expect(state.messages[0]!.attempts).toHaveLength(1);
    await eventually(async () => {
      const d = await h.client.workflow.getHandle(orderJourneyId(order.orderId)).describe();
      expect(d.typedSearchAttributes.get(ORDER_SA.deliveryFailures)).toBe(1);
    });
    // The journey is not stuck: the next stage still sends.
    await h.aftercare.advanceStage(order.orderId, { stage: 'shipped' });
    await eventually(async () =>
      expect(resend.sent.filter((e) => e.to.includes(order.customer.email))).toHaveLength(1),
    );
  });
});
