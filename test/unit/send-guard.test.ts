import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { guardedSend, type RecordMark, type SendMark } from '../../src/activities/delivery/send-guard';
import { ResendEmailAdapter } from '../../src/channels/email/resend/adapter';
import {
  DeliveryError,
  DeliveryFailureType,
  OutcomeUnknownError,
  ThrottledDeliveryError,
  TransientDeliveryError,
} from '../../src/channels/errors';
import { TwilioSmsAdapter } from '../../src/channels/sms/twilio/adapter';
import { TelegramAdapter } from '../../src/channels/telegram/telegraf/adapter';
import type { ChannelAdapter, OutgoingMessage, SendResult, TextContent } from '../../src/channels/types';
import { WhatsAppCloudAdapter } from '../../src/channels/whatsapp/cloud-api/adapter';
import { startFakeResend, type FakeResend } from '../fakes/resend-server';
import { startFakeTelegram, telegramFailures, type FakeTelegram } from '../fakes/telegram-server';
import { startFakeTwilio, TWILIO_MAGIC_FROM, twilioFailures, type FakeTwilio } from '../fakes/twilio-server';
import { startFakeWhatsApp, type FakeWhatsApp } from '../fakes/whatsapp-server';

/**
 * The send activity's guard for providers without an idempotency key (#13's worker-kill drill: 8 duplicates): a
 * durable mark before the request; an attempt after an earlier one's mark looks the message up (Twilio) or does not
 * resend (Telegram, WhatsApp). Runs the guard inside a mock activity context (attempt and heartbeat details as
 * Temporal hands them to a retry) against the protocol-faithful fakes; the real heartbeat RPC is in
 * test/e2e/keyless-worker-crash.test.ts.
 */
let twilio: FakeTwilio;
let telegram: FakeTelegram;
let whatsapp: FakeWhatsApp;
let resend: FakeResend;
let sms: TwilioSmsAdapter;
let tg: TelegramAdapter;
let wa: WhatsAppCloudAdapter;

beforeAll(async () => {
  [twilio, telegram, whatsapp, resend] = await Promise.all([
    startFakeTwilio(),
    startFakeTelegram(),
    startFakeWhatsApp(),
    startFakeResend(),
  ]);
  sms = new TwilioSmsAdapter({
    accountSid: twilio.accountSid,
    authToken: twilio.authToken,
    from: TWILIO_MAGIC_FROM,
    baseUrl: twilio.url,
  });
  tg = new TelegramAdapter({ botToken: telegram.token, apiRoot: telegram.apiRoot });
  wa = new WhatsAppCloudAdapter({
    token: whatsapp.token,
    phoneNumberId: whatsapp.phoneNumberId,
    baseUrl: whatsapp.url,
  });
});
afterAll(async () => Promise.all([twilio.close(), telegram.close(), whatsapp.close(), resend.close()]));
beforeEach(() => {
  twilio.reset();
  telegram.reset();
  whatsapp.reset();
  resend.reset();
});

const meta = { kind: 'order_status', workflowId: 'order-A-1', messageKey: 'status-shipped', locale: 'en' };
const smsMessage = (text = 'Your order A-1 has shipped.'): OutgoingMessage<TextContent> => ({
  idempotencyKey: 'order-A-1/status-shipped/sms',
  content: { channel: 'sms', to: '+15551234567', text },
  meta,
});
const tgMessage: OutgoingMessage = {
  idempotencyKey: 'order-A-1/status-shipped/telegram',
  content: { channel: 'telegram', to: '987654321', text: 'Your order A-1 has shipped.' },
  meta,
};
const waMessage: OutgoingMessage = {
  idempotencyKey: 'order-A-1/status-shipped/whatsapp',
  content: { channel: 'whatsapp', to: '+491512345678', text: 'Your order A-1 has shipped.' },
  meta,
};

/** Records each mark with how many requests the provider had seen by then. */
function marks(requestsSoFar: () => number) {
  const recorded: { mark: SendMark; requestsBefore: number }[] = [];
  const record: RecordMark = async (_token, mark) => void recorded.push({ mark, requestsBefore: requestsSoFar() });
  return { recorded, record };
}

const MARK_AT = Date.parse('2026-12-06T12:00:00.000Z');
/** A retry as Temporal starts it: its attempt number and the last heartbeat details an earlier attempt recorded. */
function attempt(n: number, heartbeatDetails?: SendMark) {
  return new MockActivityEnvironment({ attempt: n, ...(heartbeatDetails ? { heartbeatDetails } : {}) });
}
const earlierMark = (at = MARK_AT): SendMark => ({ sending: { attempt: 1, at: new Date(at).toISOString() } });

function run(env: MockActivityEnvironment, adapter: ChannelAdapter, message: OutgoingMessage, record?: RecordMark) {
  return env.run(() => guardedSend(adapter, message, record, () => MARK_AT + 30_000)) as Promise<SendResult>;
}
async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeliveryError);
  return err as DeliveryError;
}

describe('a first attempt on a provider without an idempotency key', () => {
  it('records a durable mark before the request, and nothing else when it is sent', async () => {
    const m = marks(() => twilio.requests.length);
    const sent = await run(attempt(1), sms, smsMessage(), m.record);
    expect(sent.providerMessageId).toBe(twilio.sent[0]!.sid);
    expect(m.recorded).toEqual([
      { mark: { sending: { attempt: 1, at: new Date(MARK_AT + 30_000).toISOString() } }, requestsBefore: 0 },
    ]);
  });

  it('clears its mark when Telegram surely refused (429), so the retry sends; keeps it when the outcome is unknown', async () => {
    telegram.failNext(1, telegramFailures.tooManyRequests(3));
    const m = marks(() => telegram.requests.length);
    expect(await failure(run(attempt(1), tg, tgMessage, m.record))).toBeInstanceOf(ThrottledDeliveryError);
    expect(m.recorded.map((r) => r.mark)).toEqual([
      expect.objectContaining({ sending: expect.anything() }),
      { notSent: 1 },
    ]);

    // nginx's 502 page: Telegram may have taken the message before the proxy failed.
    telegram.failNext(1, telegramFailures.serverError());
    const ambiguous = marks(() => telegram.requests.length);
    const err = await failure(run(attempt(2), tg, tgMessage, ambiguous.record));
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.notSent).toBe(false);
    expect(ambiguous.recorded.map((r) => r.mark)).toEqual([{ sending: expect.objectContaining({ attempt: 2 }) }]);
  });

  it('does not send at all when the mark cannot be recorded', async () => {
    const err = await failure(
      run(attempt(1), tg, tgMessage, async () => {
        throw new Error('temporal unavailable');
      }),
    );
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(telegram.requests).toHaveLength(0);
  });

  it('is not marked for email: Resend dedupes on the idempotency key, at no extra Action', async () => {
    const email = new ResendEmailAdapter({ apiKey: resend.apiKey, baseUrl: resend.url });
    const m = marks(() => 0);
    const message: OutgoingMessage = {
      idempotencyKey: 'order-A-1/status-shipped/email',
      content: {
        channel: 'email',
        to: 'ana@example.com',
        from: 'shop@example.com',
        subject: 'Shipped',
        html: '<p>x</p>',
        text: 'x',
      },
      meta,
    };
    await run(attempt(1), email, message, m.record);
    expect(m.recorded).toEqual([]);
    expect(resend.sent).toHaveLength(1);
  });
});

describe('a retry after an earlier attempt got past its mark', () => {
  it('SMS: finds the message the earlier attempt sent and returns it instead of sending again', async () => {
    await sms.send(smsMessage('Another message, same number.'));
    const first = await sms.send(smsMessage()); // the dead attempt's request, which Twilio took
    const m = marks(() => twilio.requests.length);
    const sent = await run(attempt(2, earlierMark(Date.now())), sms, smsMessage(), m.record);
    expect(sent).toEqual({ provider: 'twilio', providerMessageId: first.providerMessageId });
    expect(twilio.sent).toHaveLength(2);
    expect(twilio.requests.map((r) => r.method)).toEqual(['POST', 'POST', 'GET']);
    expect(m.recorded).toEqual([]);
  });

  it('SMS: sends when Twilio has no such message since the mark (the attempt died before its request)', async () => {
    await sms.send(smsMessage()); // the same text, sent long before this mark: another day's message
    const m = marks(() => twilio.requests.length);
    const sent = await run(attempt(2, earlierMark(Date.now() + 10 * 60_000)), sms, smsMessage(), m.record);
    expect(twilio.sent).toHaveLength(2);
    expect(sent.providerMessageId).toBe(twilio.sent[1]!.sid);
    expect(m.recorded.map((r) => r.mark)).toEqual([{ sending: expect.objectContaining({ attempt: 2 }) }]);
  });

  it('SMS: pages through the list until it reaches back before the mark', async () => {
    const since = Date.now();
    const first = await sms.send(smsMessage());
    for (let i = 0; i < 60; i++) await sms.send(smsMessage(`Message ${i}`));
    const sent = await run(attempt(3, earlierMark(since)), sms, smsMessage(), marks(() => 0).record);
    expect(sent.providerMessageId).toBe(first.providerMessageId);
    expect(twilio.requests.filter((r) => r.method === 'GET')).toHaveLength(2);
  });

  it('SMS: a failed lookup sends nothing and keeps the mark for the next attempt', async () => {
    const m = marks(() => twilio.requests.length);
    const badAuth = new TwilioSmsAdapter({
      accountSid: twilio.accountSid,
      authToken: 'wrong',
      from: TWILIO_MAGIC_FROM,
      baseUrl: twilio.url,
    });
    const err = await failure(run(attempt(2, earlierMark()), badAuth, smsMessage(), m.record));
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(twilio.requests.map((r) => r.method)).toEqual(['GET']);
    expect(m.recorded).toEqual([]);
  });

  it('Telegram: does not resend; fails as outcome unknown (permanent), recorded on the message', async () => {
    const m = marks(() => telegram.requests.length);
    const err = await failure(run(attempt(2, earlierMark()), tg, tgMessage, m.record));
    expect(err).toBeInstanceOf(OutcomeUnknownError);
    expect(err.retry).toBe('never');
    expect(err.failureType).toBe(DeliveryFailureType.outcomeUnknown);
    expect(err.message).toMatch(/attempt 1 may have sent this message/);
    expect(telegram.requests).toHaveLength(0);
    expect(m.recorded).toEqual([]);
  });

  it('WhatsApp: does not resend either', async () => {
    const err = await failure(run(attempt(4, earlierMark()), wa, waMessage, marks(() => 0).record));
    expect(err).toBeInstanceOf(OutcomeUnknownError);
    expect(whatsapp.requests).toHaveLength(0);
  });

  it('sends as usual when the earlier attempt left no mark or cleared it (surely not sent)', async () => {
    await run(attempt(2), tg, tgMessage, marks(() => 0).record);
    await run(attempt(3, { notSent: 2 }), tg, tgMessage, marks(() => 0).record);
    await run(attempt(2, { notSent: 1 }), sms, smsMessage(), marks(() => 0).record);
    expect(telegram.sent).toHaveLength(2);
    expect(twilio.requests.map((r) => r.method)).toEqual(['POST']);
  });

  it('Twilio: the twilio-adapter SmsOutcomeUnknownError is the same channel-neutral kind', async () => {
    twilio.failNext(1, { status: 502, body: '<html>Bad Gateway</html>' });
    const err = await failure(run(attempt(1), sms, smsMessage(), marks(() => 0).record));
    expect(err).toBeInstanceOf(OutcomeUnknownError);
    expect(err.failureType).toBe(DeliveryFailureType.outcomeUnknown);
    twilio.failNext(1, twilioFailures.throttled(2));
    expect((await failure(run(attempt(1), sms, smsMessage(), marks(() => 0).record))).notSent).toBe(true);
  });
});
