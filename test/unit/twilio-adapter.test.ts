import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { getExpectedTwilioSignature, validateRequest } from 'twilio/lib/webhooks/webhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SmsOutcomeUnknownError, TwilioSmsAdapter, twilioErrorKind } from '../../src/channels/sms/twilio/adapter';
import { fitSms, smsSegments } from '../../src/channels/sms/segments';
import { RecipientOptedOutError } from '../../src/channels/errors';
import { redactPhoneNumbers } from '../../src/lib/redact';
import { type OutgoingMessage, type TextContent } from '../../src/channels/types';
import {
  DeliveryError,
  PermanentDeliveryError,
  ThrottledDeliveryError,
  TransientDeliveryError,
} from '../../src/channels/errors';
import {
  type FakeTwilio,
  startFakeTwilio,
  TWILIO_MAGIC_FROM,
  twilioError,
  twilioFailures,
  twilioSignature,
} from '../fakes/twilio-server';

const RECIPIENT = '+8801712345678';
const SERVICE_SID = `MG${'0123456789abcdef'.repeat(2)}`;
const BENGALI = 'আপনার অর্ডার পাঠানো হয়েছে';

function message(overrides: Partial<TextContent> = {}): OutgoingMessage<TextContent> {
  return {
    idempotencyKey: 'wf-order-123/shipped/sms',
    content: { channel: 'sms', to: RECIPIENT, text: `Your order has shipped. ${BENGALI}`, ...overrides },
    meta: { kind: 'order.shipped', workflowId: 'wf-order-123', messageKey: 'shipped', locale: 'bn' },
  };
}

async function sendError(adapter: TwilioSmsAdapter, msg = message()): Promise<DeliveryError> {
  const err = await adapter.send(msg).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeliveryError);
  return err as DeliveryError;
}

/** A port that was just free: nothing listens there, so connecting fails. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('TwilioSmsAdapter against a fake Twilio API', () => {
  let fake: FakeTwilio;
  let adapter: TwilioSmsAdapter;

  beforeAll(async () => {
    fake = await startFakeTwilio();
    adapter = new TwilioSmsAdapter({
      accountSid: fake.accountSid,
      authToken: fake.authToken,
      from: TWILIO_MAGIC_FROM,
      baseUrl: fake.url,
    });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => fake.reset());

  it('posts the form with Basic auth and From, and returns the message sid', async () => {
    const result = await adapter.send(message());

    expect(adapter.channel).toBe('sms');
    expect(adapter.provider).toBe('twilio');
    expect(result.provider).toBe('twilio');
    expect(result.providerMessageId).toMatch(/^SM[0-9a-f]{32}$/);

    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/2010-04-01/Accounts/${fake.accountSid}/Messages.json`);
    expect(req.headers.authorization).toBe(
      `Basic ${Buffer.from(`${fake.accountSid}:${fake.authToken}`).toString('base64')}`,
    );
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    // No StatusCallback unless configured; no idempotency header pretending to dedupe.
    expect(req.form).toEqual({ To: RECIPIENT, From: TWILIO_MAGIC_FROM, Body: `Your order has shipped. ${BENGALI}` });
    expect(Object.keys(req.headers).some((h) => h.includes('idempotency'))).toBe(false);

    expect(fake.sent).toHaveLength(1);
    const sms = fake.sent[0]!;
    expect(sms.sid).toBe(result.providerMessageId);
    expect(sms.status).toBe('queued');
    expect(sms.body).toBe(`Your order has shipped. ${BENGALI}`);
  });

  it('sends MessagingServiceSid instead of From when configured, and StatusCallback when set', async () => {
    const viaService = new TwilioSmsAdapter({
      accountSid: fake.accountSid,
      authToken: fake.authToken,
      from: TWILIO_MAGIC_FROM,
      messagingServiceSid: SERVICE_SID,
      statusCallbackUrl: 'https://aftercare.example/webhooks/twilio/status',
      baseUrl: `${fake.url}/`,
    });
    await viaService.send(message());

    expect(fake.requests[0]?.form).toEqual({
      To: RECIPIENT,
      MessagingServiceSid: SERVICE_SID,
      Body: `Your order has shipped. ${BENGALI}`,
      StatusCallback: 'https://aftercare.example/webhooks/twilio/status',
    });
    expect(fake.sent[0]).toMatchObject({ from: null, messagingServiceSid: SERVICE_SID, status: 'accepted' });
  });

  it('21211 invalid To is permanent, without the number in the message', async () => {
    const err = await sendError(adapter, message({ to: '555-0100' }));
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err).not.toBeInstanceOf(RecipientOptedOutError);
    expect(err.retry).toBe('never');
    expect(err.status).toBe(400);
    expect(err.code).toBe('21211');
    expect(err.message).not.toContain('555-0100');
    expect(fake.sent).toHaveLength(0);

    fake.failNext(1, twilioFailures.invalidNumber(RECIPIENT));
    const again = await sendError(adapter);
    expect(again.code).toBe('21211');
    expect(again.message).not.toContain(RECIPIENT);
    expect(again.message).toContain('[phone]');
  });

  it('21610 (replied STOP) is a RecipientOptedOutError, a permanent error', async () => {
    const err = await sendError(adapter, message({ to: '+15005550004' }));
    expect(err).toBeInstanceOf(RecipientOptedOutError);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err.name).toBe('RecipientOptedOutError');
    expect(err.code).toBe('21610');
    expect(err.status).toBe(400);

    fake.failNext(1, twilioFailures.optedOut());
    expect(await sendError(adapter)).toBeInstanceOf(RecipientOptedOutError);
  });

  it.each([
    ['+15005550002', '21612'],
    ['+15005550003', '21408'],
    ['+15005550009', '21614'],
  ])('undeliverable %s (%s) is permanent', async (to, code) => {
    const err = await sendError(adapter, message({ to }));
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err.code).toBe(code);
    expect(err.message).not.toContain(to);
  });

  it('429/20429 is throttled by Retry-After (else 1 s), and the retry succeeds once', async () => {
    fake.failNext(1, twilioFailures.throttled(5));
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(ThrottledDeliveryError);
    expect(err.retry).toBe('after-delay');
    expect(err.status).toBe(429);
    expect(err.code).toBe('20429');
    expect((err as ThrottledDeliveryError).retryAfterMs).toBe(5000);

    fake.failNext(1, { status: 429, body: twilioError(429, 20429, 'Too Many Requests') });
    expect(((await sendError(adapter)) as ThrottledDeliveryError).retryAfterMs).toBe(1000);

    fake.failNext(1, { status: 429, body: 'Too Many Requests' });
    expect(await sendError(adapter)).toBeInstanceOf(ThrottledDeliveryError);

    await adapter.send(message());
    expect(fake.sent).toHaveLength(1);
  });

  it('500 and 503 are transient (Twilio answered: nothing was created)', async () => {
    fake.failNext(1, twilioFailures.serverError());
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.retry).toBe('backoff');
    expect(err.status).toBe(500);
    expect(err.code).toBe('20500');

    fake.failNext(1, { status: 503, body: 'Service Unavailable' });
    const plain = await sendError(adapter);
    expect(plain).toBeInstanceOf(TransientDeliveryError);
    expect(plain.code).toBe('http_503');
  });

  it('a gateway 502/504 without a Twilio body is an unknown outcome, not retried', async () => {
    fake.failNext(1, { status: 504, body: '<html>Gateway Timeout</html>' });
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(SmsOutcomeUnknownError);
    expect(err.retry).toBe('never');
    expect(err.status).toBe(504);
  });

  it('a wrong auth token (401, 20003) is transient: an operator fix, and nothing was sent', async () => {
    const wrong = new TwilioSmsAdapter({
      accountSid: fake.accountSid,
      authToken: 'wrong',
      from: TWILIO_MAGIC_FROM,
      baseUrl: fake.url,
    });
    const err = await sendError(wrong);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.status).toBe(401);
    expect(err.code).toBe('20003');
    expect(fake.sent).toHaveLength(0);
  });

  it('connection refused is transient: the request never left', async () => {
    const port = await closedPort();
    const offline = new TwilioSmsAdapter({
      accountSid: fake.accountSid,
      authToken: fake.authToken,
      from: TWILIO_MAGIC_FROM,
      baseUrl: `http://127.0.0.1:${port}`,
    });
    const err = await sendError(offline);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.status).toBeUndefined();
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('a DNS failure is transient', async () => {
    const nowhere = new TwilioSmsAdapter({
      accountSid: fake.accountSid,
      authToken: fake.authToken,
      from: TWILIO_MAGIC_FROM,
      baseUrl: 'http://api.twilio.invalid',
      timeoutMs: 5000,
    });
    const err = await sendError(nowhere);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.status).toBeUndefined();
  });

  it('a timeout after the request was sent is an unknown outcome and is not retried (Twilio did accept it)', async () => {
    fake.setLatency(300);
    const impatient = new TwilioSmsAdapter({
      accountSid: fake.accountSid,
      authToken: fake.authToken,
      from: TWILIO_MAGIC_FROM,
      baseUrl: fake.url,
      timeoutMs: 50,
    });
    const err = await sendError(impatient);
    expect(err).toBeInstanceOf(SmsOutcomeUnknownError);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err.code).toBe('timeout');
    // This is why: the fake created the message, so a retry would have sent a second SMS.
    expect(fake.sent).toHaveLength(1);
  });

  it('a timeout while the body is still being written is transient', async () => {
    // Never reads: once the socket buffers are full the body cannot be flushed, so 'finish' never comes.
    const sockets: Socket[] = [];
    const stalled = createServer({ pauseOnConnect: true }, (s) => sockets.push(s));
    const url = await listen(stalled);
    try {
      const slow = new TwilioSmsAdapter({
        accountSid: fake.accountSid,
        authToken: fake.authToken,
        from: TWILIO_MAGIC_FROM,
        baseUrl: url,
        timeoutMs: 300,
      });
      const err = await sendError(slow, message({ text: 'x'.repeat(32 * 1024 * 1024) }));
      expect(err).toBeInstanceOf(TransientDeliveryError);
      expect(err.code).toBe('timeout');
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((r) => stalled.close(() => r()));
    }
  });

  it('a 201 cut off mid-body, or without a sid, is an unknown outcome', async () => {
    const server = createHttpServer((req, res) => {
      req.resume();
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': '500' });
      res.write('{"sid": "SM');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const url = await listen(server);
    try {
      const cut = new TwilioSmsAdapter({ accountSid: 'AC1', authToken: 't', from: TWILIO_MAGIC_FROM, baseUrl: url });
      const err = await sendError(cut);
      expect(err).toBeInstanceOf(SmsOutcomeUnknownError);
      expect(err.status).toBe(201);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }

    fake.failNext(1, { status: 201, body: { status: 'queued' } });
    const noSid = await sendError(adapter);
    expect(noSid).toBeInstanceOf(SmsOutcomeUnknownError);
    expect(noSid.code).toBe('missing_sid');
  });

  it('error messages never contain the phone number, in any format', async () => {
    for (const text of [
      `The 'To' number ${RECIPIENT} is not a valid phone number.`,
      'Cannot route to 8801712345678',
      'To number +880 1712-345678 unreachable',
      'To (017) 1234-5678 is a landline',
    ]) {
      fake.failNext(1, { status: 400, body: twilioError(400, 21612, text) });
      const err = await sendError(adapter);
      expect(err.message).not.toContain(RECIPIENT);
      expect(err.message).not.toMatch(/\+\d|\d{4}[ -]?\d{4}/);
      expect(err.message).toContain('21612');
    }
  });

  it('refuses non-SMS content and incomplete options', async () => {
    const err = await sendError(adapter, message({ channel: 'whatsapp' }));
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(fake.requests).toHaveLength(0);

    expect(() => new TwilioSmsAdapter({ accountSid: 'AC1', authToken: 't' })).toThrow(/from or messagingServiceSid/);
    expect(() => new TwilioSmsAdapter({ accountSid: '', authToken: 't', from: '+1' })).toThrow(/accountSid/);
  });
});

describe('smsSegments', () => {
  it('GSM-7: 160 septets fit one SMS, 161 need two (153 per part)', () => {
    expect(smsSegments('')).toEqual({ encoding: 'GSM-7', segments: 0, units: 0 });
    expect(smsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', segments: 1, units: 160 });
    expect(smsSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', segments: 2, units: 161 });
    expect(smsSegments('a'.repeat(306)).segments).toBe(2);
    expect(smsSegments('a'.repeat(307)).segments).toBe(3);
    expect(smsSegments('Héllo @ £5, ñ ü Ä ¿¡ §').encoding).toBe('GSM-7');
  });

  it("extension characters such as '€' count 2 and are never split across parts", () => {
    expect(smsSegments('€')).toEqual({ encoding: 'GSM-7', segments: 1, units: 2 });
    expect(smsSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', segments: 1, units: 160 });
    expect(smsSegments(`${'a'.repeat(159)}€`)).toEqual({ encoding: 'GSM-7', segments: 2, units: 161 });
    expect(smsSegments('{}[]~^|\\').units).toBe(16);
    // 152 + 2 doesn't fit in 153, so '€' opens part two and the last 'a' spills into part three.
    expect(smsSegments(`${'a'.repeat(152)}€${'a'.repeat(152)}`)).toEqual({
      encoding: 'GSM-7',
      segments: 3,
      units: 306,
    });
  });

  it('Bengali (or any non-GSM character) makes the whole text UCS-2: 70 units, 67 per part', () => {
    expect(smsSegments(BENGALI).encoding).toBe('UCS-2');
    expect(smsSegments(BENGALI).units).toBe(BENGALI.length);
    expect(smsSegments('অ'.repeat(70))).toEqual({ encoding: 'UCS-2', segments: 1, units: 70 });
    expect(smsSegments('অ'.repeat(71))).toEqual({ encoding: 'UCS-2', segments: 2, units: 71 });
    expect(smsSegments('অ'.repeat(134)).segments).toBe(2);
    expect(smsSegments('অ'.repeat(135)).segments).toBe(3);
    // One curly quote turns 100 GSM characters into 2 UCS-2 parts.
    expect(smsSegments(`${'a'.repeat(99)}’`)).toEqual({ encoding: 'UCS-2', segments: 2, units: 100 });
  });

  it('counts UTF-16 code units: an emoji is 2 and is not split', () => {
    expect(smsSegments('😀')).toEqual({ encoding: 'UCS-2', segments: 1, units: 2 });
    expect(smsSegments(`${'a'.repeat(69)}😀`).segments).toBe(2);
    expect(smsSegments(`${'a'.repeat(66)}😀${'a'.repeat(66)}`).segments).toBe(3);
  });
});

describe('fitSms', () => {
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

  it('returns text that already fits unchanged', () => {
    expect(fitSms('Your order has shipped.', 1)).toBe('Your order has shipped.');
    expect(fitSms('a'.repeat(160), 1)).toBe('a'.repeat(160));
  });

  it("cuts GSM-7 text on a word boundary with '...' so it stays GSM-7", () => {
    const text = 'Your order number 123 has shipped and will arrive tomorrow. '.repeat(10);
    const fitted = fitSms(text, 1);
    expect(fitted).toMatch(/\w\.\.\.$/);
    expect(smsSegments(fitted)).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    const kept = fitted.slice(0, -3);
    expect(text.startsWith(kept)).toBe(true);
    expect(text[kept.length]).toMatch(/[\s.]/);
    expect(fitted.length).toBeGreaterThan(140);
  });

  it("cuts UCS-2 (Bengali) text with '…' on a word boundary", () => {
    const text = `${BENGALI} `.repeat(20);
    const fitted = fitSms(text, 2);
    expect(fitted.endsWith('…')).toBe(true);
    expect(smsSegments(fitted)).toMatchObject({ encoding: 'UCS-2' });
    expect(smsSegments(fitted).segments).toBeLessThanOrEqual(2);
    const kept = fitted.slice(0, -1);
    expect(text.startsWith(kept)).toBe(true);
    expect(text[kept.length]).toMatch(/\s/);
    expect(kept.length).toBeGreaterThan(100);
  });

  it('hard-cuts a single long word between grapheme clusters', () => {
    const word = 'ক্ষ'.repeat(100);
    const fitted = fitSms(word, 1);
    expect(smsSegments(fitted).segments).toBe(1);
    const kept = fitted.slice(0, -1);
    const graphemes = (s: string) => Array.from(segmenter.segment(s), (g) => g.segment);
    expect(graphemes(kept).every((g) => g === 'ক্ষ')).toBe(true);
  });

  it('never exceeds maxSegments', () => {
    const samples = [
      'Lorem ipsum dolor sit amet, consectetur adipiscing elit. ',
      `${BENGALI} — `,
      'Price: 12€ {promo} [code] ',
      'Shipped 😀 today, ',
      'x',
    ];
    for (const sample of samples) {
      for (const repeat of [1, 7, 23, 60]) {
        const text = sample.repeat(repeat);
        for (const max of [1, 2, 3, 5]) {
          const fitted = fitSms(text, max);
          expect(smsSegments(fitted).segments).toBeLessThanOrEqual(max);
          if (smsSegments(text).segments <= max) expect(fitted).toBe(text);
        }
      }
    }
    expect(() => fitSms('hi', 0)).toThrow(RangeError);
  });
});

describe('helpers', () => {
  it('redactPhoneNumbers strips number-shaped text but keeps error codes, SIDs and URLs', () => {
    expect(redactPhoneNumbers('The To number +15551234567 is invalid (21211)')).toBe(
      'The To number [phone] is invalid (21211)',
    );
    expect(redactPhoneNumbers('call +1 (555) 123-4567 or 5551234567')).toBe('call [phone] or [phone]');
    const kept = `AC${'1234567890'.repeat(3)}ab https://www.twilio.com/docs/errors/21211`;
    expect(redactPhoneNumbers(kept)).toBe(kept);
    expect(redactPhoneNumbers('to 01712-345678', '01712-345678')).toBe('to [phone]');
  });

  it('twilioErrorKind maps the codes that matter', () => {
    expect(twilioErrorKind(21610)).toBe('opted-out');
    expect(twilioErrorKind(20429)).toBe('throttled');
    expect(twilioErrorKind(20003)).toBe('operator');
    expect(twilioErrorKind(21211)).toBe('undeliverable');
    expect(twilioErrorKind(30007)).toBe('undeliverable');
    expect(twilioErrorKind(12345)).toBeUndefined();
    expect(twilioErrorKind(undefined)).toBeUndefined();
  });

  it("twilioSignature matches twilio-node's computation and passes validateRequest", () => {
    const token = 'auth_token_for_webhooks';
    const url = 'https://aftercare.example/webhooks/twilio/inbound?tenant=1';
    const params = { From: RECIPIENT, To: TWILIO_MAGIC_FROM, Body: 'STOP', MessageSid: `SM${'f'.repeat(32)}` };
    const signature = twilioSignature(token, url, params);
    expect(signature).toBe(getExpectedTwilioSignature(token, url, params));
    expect(validateRequest(token, signature, url, params)).toBe(true);
    expect(validateRequest(token, signature, url, { ...params, Body: 'START' })).toBe(false);
    const multi = { MediaUrl: ['b', 'a', 'b'], Body: 'x' };
    expect(twilioSignature(token, url, multi)).toBe(getExpectedTwilioSignature(token, url, multi));
  });
});
