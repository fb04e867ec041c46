/**
 * Answers by reply (#12): a customer replies to the survey SMS, through Twilio's signed inbound webhook, and the
 * reply reaches the order's journey as its answer (the review request follows), or the business's operator with a
 * "we'll get back to you" to the customer. Real dev server, the fake Twilio for SMS, the outbox for the operator's
 * email, and real signatures.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildApp } from '../../src/api/app';
import { AftercareClient } from '../../src/client';
import { TwilioSmsAdapter } from '../../src/channels/sms/twilio/adapter';
import type { ChannelAdapter } from '../../src/channels/types';
import { keysOfContact } from '../../src/api/webhooks/context';
import { ReplyGateway } from '../../src/gateway/replies';
import { parsePlaybook } from '../../src/playbook/load';
import type { PlaybookInput } from '../../src/playbook/schema';
import { customerLifecycleId } from '../../src/workflows/customer/contract';
import { ORDER_SA, orderJourneyId, type OrderJourneyState } from '../../src/workflows/order/contract';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilio-server';
import { API_KEY, PUBLIC_URL, TWILIO_TOKEN, twilioInbound } from '../support/inbound';
import {
  eventually,
  FAST_PLAYBOOK,
  sampleOrder,
  startHarness,
  TEST_KEYS,
  testLogger,
  uniqueId,
  type Harness,
} from '../support/harness';

let twilio: FakeTwilio;
let h: Harness;
let app: FastifyInstance;
/** A second business in the deployment, with its own Twilio account (its customers text its own number). */
let outlet: AftercareClient;

beforeAll(async () => {
  twilio = await startFakeTwilio();
  const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as PlaybookInput;
  const playbook = parsePlaybook({
    ...base,
    channels: ['sms', 'email'],
    delays: { thankYou: '1s' },
    quietHours: { start: '00:00', end: '00:00' },
    frequencyCap: { max: 50, per: '1 day' },
    operator: { email: 'owner@test.example' },
    // A long enough window for a reply on a busy machine; no reminder before the test replies.
    followUps: {
      survey: { after: '1s', reminderAfter: '20s', window: '25s', changeWindow: '1s', satisfiedAt: 4 },
      review: { url: 'https://reviews.example/test-shop' },
    },
  });
  const sms = new TwilioSmsAdapter({
    accountSid: twilio.accountSid,
    authToken: twilio.authToken,
    from: '+15005550006',
    baseUrl: twilio.url,
  }) as ChannelAdapter;
  h = await startHarness({ playbook, channels: { sms }, tenants: { outlet: {} } });
  outlet = new AftercareClient({
    client: h.client,
    playbook,
    taskQueue: h.taskQueue,
    outbox: h.outbox,
    keys: TEST_KEYS,
    tenant: 'outlet',
  });
  app = await buildApp({
    aftercare: h.aftercare,
    apiKey: API_KEY,
    logger: testLogger,
    temporalHealth: async () => {},
    inbound: {
      sink: h.aftercare,
      // As src/server.ts builds it: the deployment's number is not the outlet's customers' (they text their own).
      replies: new ReplyGateway(h.client, { contactsKey: TEST_KEYS.contacts, ownSmsTenants: ['outlet'] }),
      keys: TEST_KEYS,
      publicUrl: PUBLIC_URL,
      brandName: 'Test Shop',
      twilioAuthToken: TWILIO_TOKEN,
    },
  });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await h?.stop();
  await twilio?.close();
});

let phones = 0;
const newPhone = () => `+44770077${String(process.pid % 100).padStart(2, '0')}${String(phones++).padStart(2, '0')}`;
const journey = (orderId: string) => h.aftercare.getOrderJourney(orderId);
const msg = (s: OrderJourneyState, key: string) => s.messages.find((m) => m.key === key);
const smsTo = (phone: string) => twilio.sent.filter((m) => m.to === phone);
const sid = () => `SM${uniqueId('r').replace(/[^A-Za-z0-9]/g, '')}`;
const customerView = async (id: string) =>
  (
    await app.inject({ method: 'GET', url: `/v1/customers/${id}`, headers: { authorization: `Bearer ${API_KEY}` } })
  ).json() as { conversation?: { direction: string; text: string; orderId?: string; outcome?: string }[] };
const operatorMails = async (workflowId?: string) =>
  (await h.outbox.list(500)).filter(
    (m) => m.kind === 'operator_message' && (workflowId === undefined || m.workflowId === workflowId),
  );

/** An SMS customer's order, completed, with its survey SMS sent (and visible as waiting for an answer). */
async function surveyed(customer: Record<string, unknown> = {}, orderId?: string) {
  const phone = (customer.phone as string | undefined) ?? newPhone();
  const order = sampleOrder(orderId ? { orderId } : {}, { email: undefined, phone, ...customer });
  await h.aftercare.startOrderJourney(order);
  await h.aftercare.advanceStage(order.orderId, { stage: 'delivered' });
  await eventually(async () => expect(msg(await journey(order.orderId), 'survey')?.status).toBe('sent'));
  return { order, phone };
}

const waitingForAnswer = (orderId: string) =>
  eventually(async () => {
    const d = await h.client.workflow.getHandle(orderJourneyId(orderId)).describe();
    expect(d.typedSearchAttributes.get(ORDER_SA.waitingFor)).toBe('survey-answer');
  });

describe('answers by reply', () => {
  it('a reply "5" to the survey SMS is the answer: the review request goes, once, and the conversation shows', async () => {
    const { order, phone } = await surveyed();
    expect(smsTo(phone).find((m) => m.body.includes('Reply 1-5'))).toBeDefined();

    const posted = Date.now();
    const res = await twilioInbound(app, { sid: sid(), from: phone, body: '5' });
    expect(res.statusCode).toBe(200);
    const state = await eventually(async () => {
      const s = await journey(order.orderId);
      expect(msg(s, 'review')?.status).toBe('sent');
      return s;
    });
    const seconds = (Date.now() - posted) / 1000;
    console.log(`reply "5" → review request sent in ${seconds.toFixed(1)} s (change window 1 s)`);
    expect(state.feedback).toMatchObject({ rating: 5, source: 'sms-reply' });
    expect(state.conversation).toEqual([
      expect.objectContaining({
        direction: 'in',
        text: '5',
        channel: 'sms',
        outcome: 'answer',
        orderId: order.orderId,
      }),
    ]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(smsTo(phone).filter((m) => m.body.includes('reviews.example') || m.body.includes('/r/'))).toHaveLength(1);
    expect((await journey(order.orderId)).messages.filter((m) => m.kind === 'review_request')).toHaveLength(1);
    const c = await eventually(async () => {
      const view = await customerView(order.customer.id as string);
      expect(view.conversation).toHaveLength(1);
      return view;
    });
    // The profile names the order it went to; what came of it is the journey's (its conversation, its answer).
    expect(c.conversation![0]).toMatchObject({ text: '5', orderId: order.orderId, direction: 'in' });
  }, 60_000);

  it('"where is my parcel?" goes to the operator with the order and a Temporal UI link; the customer hears back; no answer', async () => {
    const { order, phone } = await surveyed();
    const before = smsTo(phone).length;
    const res = await twilioInbound(app, { sid: sid(), from: phone, body: 'where is my parcel?' });
    expect(res.statusCode).toBe(200);
    const workflowId = orderJourneyId(order.orderId);
    const [mail] = await eventually(async () => {
      const found = await operatorMails(workflowId);
      expect(found).toHaveLength(1);
      return found;
    });
    expect(mail!.to).toBe('owner@test.example');
    expect(mail!.subject).toContain(order.orderId);
    expect(mail!.text).toContain('where is my parcel?');
    expect(mail!.text).toContain(`http://temporal-ui.test/namespaces/default/workflows/${workflowId}`);
    // ...and how to get back to them: the number they wrote from.
    expect(mail!.text).toContain(`Contact: ${phone}`);
    const ack = await eventually(async () => {
      const s = await journey(order.orderId);
      expect(msg(s, 'reply-1')?.status).toBe('sent');
      return s;
    });
    expect(msg(ack, 'reply-1')).toMatchObject({ kind: 'reply_received', channel: 'sms' });
    expect(
      smsTo(phone)
        .slice(before)
        .map((m) => m.body),
    ).toEqual([expect.stringContaining('get back to you')]);
    // Not an answer: the survey is still open.
    expect(ack.feedback).toBeUndefined();
    expect(ack.followUps.find((f) => f.key === 'survey')?.status).toBe('scheduled');
    expect(ack.operatorAlerts).toEqual([expect.objectContaining({ channel: 'email', outcome: 'sent' })]);
    // What the reply cost the journey: one signal from the customer's lifecycle (no update: nothing the webhook
    // waits for), then one send to the operator (email) and one to the customer.
    const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
    const events = history.events ?? [];
    expect(
      events.filter(
        (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'customerReply',
      ),
    ).toHaveLength(0);
    const replySignals = events.filter(
      (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'customerReply',
    );
    expect(replySignals).toHaveLength(1);
    expect(replySignals[0]!.workflowExecutionSignaledEventAttributes?.externalWorkflowExecution?.workflowId).toBe(
      customerLifecycleId(order.customer.id as string),
    );
    const accepted = events.indexOf(replySignals[0]!);
    const after = events.slice(accepted);
    expect(after.filter((e) => e.activityTaskScheduledEventAttributes)).toHaveLength(2);
    // The acknowledgement goes beside the survey's wait: no search attribute moves, the journey still waits for it.
    expect(after.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes)).toHaveLength(0);
    await waitingForAnswer(order.orderId);
    // ...and one inbound event for the customer's lifecycle, with the text (not two), which it hands the journey.
    const lifecycle = await h.client.workflow
      .getHandle(customerLifecycleId(order.customer.id as string))
      .fetchHistory();
    const signals = (lifecycle.events ?? []).filter(
      (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'customerEvent',
    );
    expect(signals).toHaveLength(1);
    // An SMS reply changes nothing the journeys decide by: the lifecycle pushes them no new snapshot for it.
    const replyAt = (lifecycle.events ?? []).indexOf(signals[0]!);
    const pushes = (lifecycle.events ?? [])
      .slice(replyAt)
      .filter((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'customerSnapshot');
    expect(pushes).toHaveLength(0);
    const handed = (lifecycle.events ?? []).filter(
      (e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'customerReply',
    );
    expect(handed).toHaveLength(1);
    expect(ack.conversation).toEqual([
      expect.objectContaining({ direction: 'in', text: 'where is my parcel?', outcome: 'forwarded' }),
      expect.objectContaining({ direction: 'out', outcome: 'acknowledged', channel: 'sms' }),
    ]);
  }, 60_000);

  it('in Bengali: a question is acknowledged in Bengali, and "৫" is the answer', async () => {
    const { order, phone } = await surveyed({ locale: 'bn', name: 'রহিম' });
    expect(smsTo(phone).find((m) => m.body.includes('১-৫'))).toBeDefined();
    const before = smsTo(phone).length;
    await twilioInbound(app, { sid: sid(), from: phone, body: 'আমার পার্সেল কোথায়?' });
    await eventually(async () => expect(msg(await journey(order.orderId), 'reply-1')?.status).toBe('sent'));
    const ack = smsTo(phone).slice(before);
    expect(ack).toHaveLength(1);
    expect(ack[0]!.body).toContain('আপনার বার্তা আমরা পেয়েছি');
    const [mail] = await eventually(async () => {
      const found = await operatorMails(orderJourneyId(order.orderId));
      expect(found).toHaveLength(1);
      return found;
    });
    expect(mail!.text).toContain('আমার পার্সেল কোথায়?');

    await twilioInbound(app, { sid: sid(), from: phone, body: '৫' });
    const s = await eventually(async () => {
      const st = await journey(order.orderId);
      expect(msg(st, 'review')?.status).toBe('sent');
      return st;
    });
    expect(s.feedback).toMatchObject({ rating: 5, source: 'sms-reply' });
  }, 60_000);

  it('with two orders surveyed, the reply goes to the one whose survey went out last (not the newest order)', async () => {
    const customer = { id: uniqueId('two'), email: undefined, phone: newPhone() };
    // The older order completes last, so its survey goes out last.
    const older = sampleOrder({}, customer);
    const newer = sampleOrder({}, customer);
    await h.aftercare.startOrderJourney(older);
    await h.aftercare.startOrderJourney(newer);
    await h.aftercare.advanceStage(newer.orderId, { stage: 'delivered' });
    await eventually(async () => expect(msg(await journey(newer.orderId), 'survey')?.status).toBe('sent'));
    await h.aftercare.advanceStage(older.orderId, { stage: 'delivered' });
    await eventually(async () => expect(msg(await journey(older.orderId), 'survey')?.status).toBe('sent'));
    await Promise.all([waitingForAnswer(older.orderId), waitingForAnswer(newer.orderId)]);
    await twilioInbound(app, { sid: sid(), from: customer.phone, body: '4' });
    const s = await eventually(async () => {
      const st = await journey(older.orderId);
      expect(st.feedback).toMatchObject({ rating: 4, source: 'sms-reply' });
      return st;
    });
    expect(s.conversation).toHaveLength(1);
    const other = await journey(newer.orderId);
    expect(other.feedback).toBeUndefined();
    expect(other.conversation).toBeUndefined();
  }, 60_000);

  it('a redelivered webhook (same MessageSid) changes nothing: one answer, one acknowledgement', async () => {
    const { order, phone } = await surveyed();
    const question = sid();
    const before = smsTo(phone).length;
    for (let i = 0; i < 2; i++) {
      expect((await twilioInbound(app, { sid: question, from: phone, body: 'is it gift wrapped?' })).statusCode).toBe(
        200,
      );
    }
    const answer = sid();
    for (let i = 0; i < 2; i++) {
      expect((await twilioInbound(app, { sid: answer, from: phone, body: '5' })).statusCode).toBe(200);
    }
    const s = await eventually(async () => {
      const st = await journey(order.orderId);
      expect(msg(st, 'review')?.status).toBe('sent');
      expect(msg(st, 'reply-1')?.status).toBe('sent');
      return st;
    });
    await new Promise((r) => setTimeout(r, 1500));
    const after = await journey(order.orderId);
    expect(after.messages.filter((m) => m.kind === 'reply_received')).toHaveLength(1);
    expect(after.conversation?.filter((e) => e.direction === 'in').map((e) => e.text)).toEqual([
      'is it gift wrapped?',
      '5',
    ]);
    expect(s.feedback).toMatchObject({ rating: 5 });
    expect(await operatorMails(orderJourneyId(order.orderId))).toHaveLength(1);
    expect(
      smsTo(phone)
        .slice(before)
        .filter((m) => m.body.includes('get back to you')),
    ).toHaveLength(1);
    const view = await customerView(order.customer.id as string);
    expect(view.conversation?.filter((e) => e.direction === 'in')).toHaveLength(2);
  }, 60_000);

  it('with no running journey, the customer lifecycle forwards the message and acknowledges it', async () => {
    const phone = newPhone();
    const order = sampleOrder({}, { email: undefined, phone });
    await h.aftercare.startOrderJourney(order);
    const cancel = await app.inject({
      method: 'POST',
      url: `/v1/orders/${order.orderId}/cancel`,
      headers: { authorization: `Bearer ${API_KEY}` },
      payload: { reason: 'out of stock' },
    });
    expect(cancel.statusCode).toBe(200);
    await eventually(async () => {
      const d = await h.client.workflow.getHandle(orderJourneyId(order.orderId)).describe();
      expect(d.status.name).toBe('COMPLETED');
    });
    const before = smsTo(phone).length;
    await twilioInbound(app, { sid: sid(), from: phone, body: 'why was it cancelled?' });
    const lifecycleId = customerLifecycleId(order.customer.id as string);
    const [mail] = await eventually(async () => {
      const found = await operatorMails(lifecycleId);
      expect(found).toHaveLength(1);
      return found;
    });
    expect(mail!.to).toBe('owner@test.example');
    expect(mail!.text).toContain(order.orderId);
    expect(mail!.text).toContain('why was it cancelled?');
    expect(mail!.text).toContain(`http://temporal-ui.test/namespaces/default/workflows/${lifecycleId}`);
    await eventually(async () =>
      expect(
        smsTo(phone)
          .slice(before)
          .map((m) => m.body),
      ).toEqual([expect.stringContaining('get back to you')]),
    );
    const view = await eventually(async () => {
      const v = await customerView(order.customer.id as string);
      expect(v.conversation).toHaveLength(2);
      return v;
    });
    expect(view.conversation).toEqual([
      expect.objectContaining({ direction: 'in', text: 'why was it cancelled?', outcome: 'forwarded' }),
      expect.objectContaining({ direction: 'out', outcome: 'acknowledged' }),
    ]);
    expect(view.conversation![0]!.orderId).toBeUndefined();
  }, 60_000);

  it('a redelivered rating after its order took it rates no other order (the lifecycle knows the id)', async () => {
    const customer = { id: uniqueId('redeliver'), email: undefined, phone: newPhone() };
    const first = sampleOrder({}, customer);
    const second = sampleOrder({}, customer);
    for (const o of [first, second]) await h.aftercare.startOrderJourney(o);
    for (const o of [first, second]) {
      await h.aftercare.advanceStage(o.orderId, { stage: 'delivered' });
      await eventually(async () => expect(msg(await journey(o.orderId), 'survey')?.status).toBe('sent'));
    }
    await Promise.all([waitingForAnswer(first.orderId), waitingForAnswer(second.orderId)]);
    const rating = sid();
    await twilioInbound(app, { sid: rating, from: customer.phone, body: '5' });
    await eventually(async () => expect((await journey(second.orderId)).feedback).toMatchObject({ rating: 5 }));
    // The second order no longer waits for an answer: the router would now choose the first.
    await eventually(async () => {
      const d = await h.client.workflow.getHandle(orderJourneyId(second.orderId)).describe();
      expect(d.typedSearchAttributes.get(ORDER_SA.waitingFor)).not.toBe('survey-answer');
    });
    expect((await twilioInbound(app, { sid: rating, from: customer.phone, body: '5' })).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 2500));
    const untouched = await journey(first.orderId);
    expect(untouched.feedback).toBeUndefined();
    expect(untouched.conversation).toBeUndefined();
    expect(untouched.messages.filter((m) => m.kind === 'review_request')).toHaveLength(0);
  }, 90_000);

  it('a late rating (no survey open) is recorded and nothing is sent: not to the operators, not to the customer', async () => {
    // One customer's journey is over (cancelled); another's survey has not gone out yet.
    const goneCustomer = { email: undefined, phone: newPhone() };
    const gone = sampleOrder({}, goneCustomer);
    await h.aftercare.startOrderJourney(gone);
    await h.aftercare.orders.cancel(gone.orderId, { reason: 'out of stock' });
    await eventually(async () => {
      const d = await h.client.workflow.getHandle(orderJourneyId(gone.orderId)).describe();
      expect(d.status.name).toBe('COMPLETED');
    });
    const earlyCustomer = { email: undefined, phone: newPhone() };
    const early = sampleOrder({}, earlyCustomer);
    await h.aftercare.startOrderJourney(early);
    await eventually(async () => expect((await journey(early.orderId)).messages.length).toBeGreaterThan(0));
    const mails = (await operatorMails()).length;
    const sent = twilio.sent.length;
    await twilioInbound(app, { sid: sid(), from: goneCustomer.phone, body: '5 stars: excellent' });
    await twilioInbound(app, { sid: sid(), from: earlyCustomer.phone, body: '4' });
    const view = await eventually(async () => {
      const v = await customerView(gone.customer.id as string);
      expect(v.conversation).toHaveLength(1);
      return v;
    });
    expect(view.conversation![0]).toMatchObject({ direction: 'in', text: '5 stars: excellent', outcome: 'recorded' });
    const s = await eventually(async () => {
      const st = await journey(early.orderId);
      expect(st.conversation).toHaveLength(1);
      return st;
    });
    expect(s.conversation![0]).toMatchObject({ direction: 'in', text: '4', outcome: 'recorded' });
    expect(s.feedback).toBeUndefined();
    await new Promise((r) => setTimeout(r, 2000));
    expect(await operatorMails()).toHaveLength(mails);
    expect(twilio.sent.slice(sent).filter((m) => m.body.includes('get back to you'))).toHaveLength(0);
  }, 60_000);

  it('an auto-reply ping-pong stops: one acknowledgement per 12 hours, at most 10 forwards a day, the rest recorded', async () => {
    const { order, phone } = await surveyed();
    const before = smsTo(phone).length;
    for (let i = 0; i < 12; i++) {
      expect((await twilioInbound(app, { sid: sid(), from: phone, body: 'Auto-reply: I am driving' })).statusCode).toBe(
        200,
      );
    }
    const workflowId = orderJourneyId(order.orderId);
    const s = await eventually(
      async () => {
        const st = await journey(order.orderId);
        expect(st.conversation?.filter((e) => e.direction === 'in')).toHaveLength(12);
        expect(await operatorMails(workflowId)).toHaveLength(10);
        return st;
      },
      { timeoutMs: 60_000 },
    );
    await new Promise((r) => setTimeout(r, 2000));
    expect(await operatorMails(workflowId)).toHaveLength(10);
    const acks = smsTo(phone)
      .slice(before)
      .filter((m) => m.body.includes('get back to you'));
    expect(acks).toHaveLength(1);
    const outcomes = s.conversation!.filter((e) => e.direction === 'in').map((e) => e.outcome);
    expect(outcomes).toEqual([...Array<string>(10).fill('forwarded'), 'recorded', 'recorded']);
    expect(s.feedback).toBeUndefined();
  }, 120_000);

  it("the deployment's number does not reach a tenant with its own Twilio account; that tenant's route does", async () => {
    const phone = newPhone();
    // The same phone is a customer of the default business (no running journey) and of the outlet (survey open).
    const shopOrder = sampleOrder({}, { email: undefined, phone });
    await h.aftercare.startOrderJourney(shopOrder);
    await h.aftercare.orders.cancel(shopOrder.orderId, { reason: 'duplicate' });
    const outletOrder = sampleOrder({}, { email: undefined, phone });
    await outlet.startOrderJourney(outletOrder);
    await outlet.advanceStage(outletOrder.orderId, { stage: 'delivered' });
    const outletJourney = () => outlet.getOrderJourney(outletOrder.orderId);
    await eventually(async () => expect(msg(await outletJourney(), 'survey')?.status).toBe('sent'));
    await eventually(async () => {
      const d = await h.client.workflow.getHandle(orderJourneyId(outletOrder.orderId, 'outlet')).describe();
      expect(d.typedSearchAttributes.get(ORDER_SA.waitingFor)).toBe('survey-answer');
    });
    await twilioInbound(app, { sid: sid(), from: phone, body: '5' });
    await new Promise((r) => setTimeout(r, 2500));
    const after = await outletJourney();
    expect(after.feedback).toBeUndefined();
    expect(after.conversation).toBeUndefined();
    // The outlet's own number (its route's router, scoped to it) reaches its journey.
    const own = new ReplyGateway(h.client, { contactsKey: TEST_KEYS.contacts, tenant: 'outlet' });
    const routed = await own.route({
      channel: 'sms',
      contactKeys: keysOfContact(TEST_KEYS, 'sms', phone),
      text: '4',
      eventId: `twilio:${sid()}`,
      at: new Date().toISOString(),
    });
    expect(routed).toEqual({ outcome: 'routed', orderId: outletOrder.orderId });
    await eventually(async () => expect((await outletJourney()).feedback).toMatchObject({ rating: 4 }));
  }, 90_000);

  it('a reply from an unknown number is answered 200 and changes nothing', async () => {
    const stranger = newPhone();
    const mails = (await operatorMails()).length;
    const res = await twilioInbound(app, { sid: sid(), from: stranger, body: 'where is my parcel?' });
    expect(res.statusCode).toBe(200);
    // The router says so itself: nobody has this contact (a retry is the same).
    const router = new ReplyGateway(h.client, { contactsKey: TEST_KEYS.contacts });
    const keys = keysOfContact(TEST_KEYS, 'sms', stranger);
    const again = await router.route({
      channel: 'sms',
      contactKeys: keys,
      text: 'hello?',
      eventId: `twilio:${sid()}`,
      at: new Date().toISOString(),
    });
    expect(again).toEqual({ outcome: 'unknown' });
    await new Promise((r) => setTimeout(r, 1500));
    expect(smsTo(stranger)).toHaveLength(0);
    expect(await operatorMails()).toHaveLength(mails);
  });
});
