import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  OutsideServiceWindowError,
  toWhatsAppNumber,
  WhatsAppCloudAdapter,
  withinServiceWindow,
} from '../../src/channels/whatsapp/cloud-api/adapter';
import {
  deliveryErrorForStatus,
  parseWebhookPayload,
  verifySignature256,
  verifyWebhookChallenge,
  type WhatsAppStatusEvent,
} from '../../src/channels/whatsapp/cloud-api/webhook';
import { ratingButtons } from '../../src/channels/replies';
import { type WhatsAppContent } from '../../src/channels/types';
import { type OutgoingMessage } from '../../src/channels/types';
import {
  DeliveryError,
  PermanentDeliveryError,
  ThrottledDeliveryError,
  TransientDeliveryError,
} from '../../src/channels/errors';
import {
  type FakeWhatsApp,
  graphError,
  signWebhook,
  startFakeWhatsApp,
  webhookPayloads,
  whatsappFailures,
} from '../fakes/whatsapp-server';

const PHONE = '+4915112345678';
const DIGITS = '4915112345678';
const APP_SECRET = 'app-secret-for-tests';

function message(content: Partial<WhatsAppContent> = {}, idempotencyKey = 'wf-order-123/shipped/whatsapp') {
  return {
    idempotencyKey,
    content: { channel: 'whatsapp', to: PHONE, text: 'Your order has shipped.', ...content },
    meta: { kind: 'order.shipped', workflowId: 'wf-order-123', messageKey: 'shipped', locale: 'en' },
  } satisfies OutgoingMessage<WhatsAppContent>;
}

async function sendError(adapter: WhatsAppCloudAdapter, msg = message()): Promise<DeliveryError> {
  const err = await adapter.send(msg).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeliveryError);
  const delivery = err as DeliveryError;
  // Whatever happened, the customer's number must not reach logs.
  expect(delivery.message).not.toContain(DIGITS);
  return delivery;
}

/** A port that was just free: nothing listens there, so connecting fails. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('WhatsAppCloudAdapter against a fake Graph API', () => {
  let fake: FakeWhatsApp;
  let adapter: WhatsAppCloudAdapter;

  beforeAll(async () => {
    fake = await startFakeWhatsApp();
    adapter = new WhatsAppCloudAdapter({
      token: fake.token,
      phoneNumberId: fake.phoneNumberId,
      baseUrl: `${fake.url}/`,
      graphVersion: 'v23.0',
    });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => fake.reset());

  it('sends free-form text with auth, version and phone number id in the URL, and digits-only to', async () => {
    const result = await adapter.send(message());

    expect(adapter.channel).toBe('whatsapp');
    expect(adapter.provider).toBe('whatsapp-cloud');
    expect(result.provider).toBe('whatsapp-cloud');
    expect(result.providerMessageId).toMatch(/^wamid\./);

    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/v23.0/${fake.phoneNumberId}/messages`);
    expect(req.headers.authorization).toBe(`Bearer ${fake.token}`);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: DIGITS,
      type: 'text',
      text: { body: 'Your order has shipped.', preview_url: false },
      biz_opaque_callback_data: 'wf-order-123/shipped/whatsapp',
    });

    expect(fake.sent).toHaveLength(1);
    expect(fake.sent[0]).toMatchObject({
      id: result.providerMessageId,
      to: DIGITS,
      type: 'text',
      graphVersion: 'v23.0',
    });
  });

  it('sends one-tap answers as an interactive list (reply buttons allow 3): body, label, one section of rows', async () => {
    const buttons = ratingButtons('en', 'abcdefghijkl');
    const result = await adapter.send(
      message({ text: 'How did we do? Reply 1-5', buttons, buttonsLabel: 'Rate your order' }),
    );
    expect(fake.requests[0]?.body).toMatchObject({
      to: DIGITS,
      type: 'interactive',
      interactive: {
        type: 'list',
        body: { text: 'How did we do? Reply 1-5' },
        action: { button: 'Rate your order', sections: [{ rows: buttons }] },
      },
    });
    expect(fake.requests[0]?.body).not.toHaveProperty('text');
    expect(fake.sent[0]).toMatchObject({ id: result.providerMessageId, type: 'interactive' });
    expect(fake.sent[0]?.interactive?.action.sections[0]?.rows.map((r) => r.id)).toEqual([
      'rate:5:abcdefghijkl',
      'rate:4:abcdefghijkl',
      'rate:3:abcdefghijkl',
      'rate:2:abcdefghijkl',
      'rate:1:abcdefghijkl',
    ]);
  });

  it('a template (outside the window) and buttons without a label stay as they were', async () => {
    const buttons = ratingButtons('en', 'abcdefghijkl');
    await adapter.send(
      message({
        buttons,
        buttonsLabel: 'Rate',
        template: { name: 'survey_v1', language: 'en', bodyParameters: ['Ana'] },
      }),
    );
    await adapter.send(message({ buttons }));
    expect(fake.sent.map((m) => m.type)).toEqual(['template', 'text']);
  });

  it('the fake refuses a list Graph would refuse (a row title over 24 characters): permanent', async () => {
    const err = await sendError(
      adapter,
      message({ buttons: [{ id: 'rate:5:abcdefghijkl', title: 'x'.repeat(25) }], buttonsLabel: 'Rate' }),
    );
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err.message).toContain('Row title is too long');
    await expect(
      adapter.send(message({ buttons: [{ id: 'a', title: 'A' }], buttonsLabel: 'A label longer than twenty' })),
    ).rejects.toBeInstanceOf(PermanentDeliveryError);
  });

  it('sends a template with body parameters as text components when one is given', async () => {
    const result = await adapter.send(
      message({ template: { name: 'order_shipped_v1', language: 'en_US', bodyParameters: ['Ana', 'A-1042'] } }),
    );

    const body = fake.requests[0]?.body as Record<string, unknown>;
    expect(body.type).toBe('template');
    expect(body.text).toBeUndefined();
    expect(body.template).toEqual({
      name: 'order_shipped_v1',
      language: { code: 'en_US' },
      components: [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Ana' },
            { type: 'text', text: 'A-1042' },
          ],
        },
      ],
    });
    expect(fake.sent[0]?.id).toBe(result.providerMessageId);
  });

  it('a template without parameters has no components (an empty list is a parameter mismatch)', async () => {
    await adapter.send(message({ template: { name: 'hello_world', language: 'en_US', bodyParameters: [] } }));
    expect((fake.requests[0]?.body as { template: unknown }).template).toEqual({
      name: 'hello_world',
      language: { code: 'en_US' },
    });
  });

  it('defaults to graph.facebook.com-style paths with the current Graph version', async () => {
    const defaults = new WhatsAppCloudAdapter({
      token: fake.token,
      phoneNumberId: fake.phoneNumberId,
      baseUrl: fake.url,
    });
    await defaults.send(message());
    expect(fake.requests[0]?.path).toMatch(new RegExp(`^/v\\d+\\.0/${fake.phoneNumberId}/messages$`));
  });

  it('hashes idempotency keys longer than biz_opaque_callback_data allows', async () => {
    await adapter.send(message({}, `wf-${'x'.repeat(600)}`));
    expect(fake.sent[0]?.bizOpaqueCallbackData).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('131047 (outside the 24 h window) is an OutsideServiceWindowError, which is permanent', async () => {
    fake.failNext(1, whatsappFailures.outsideWindow());
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(OutsideServiceWindowError);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err.retry).toBe('never');
    expect(err.status).toBe(400);
    expect(err.code).toBe('131047');
    expect(err.message).toContain('24 hours');
  });

  it('131026 (undeliverable) is permanent', async () => {
    fake.failNext(1, whatsappFailures.undeliverable());
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err).not.toBeInstanceOf(OutsideServiceWindowError);
    expect(err.code).toBe('131026');
  });

  it('template errors (132001) and 131030 (not in the allowed list) are permanent', async () => {
    fake.failNext(1, { status: 404, body: graphError(132001, 'Template name does not exist in the translation') });
    expect((await sendError(adapter)).code).toBe('132001');
    fake.failNext(1, { status: 400, body: graphError(131030, 'Recipient phone number not in allowed list') });
    expect(await sendError(adapter)).toBeInstanceOf(PermanentDeliveryError);
  });

  it('130429 is throttled: 1 s by default, else by Retry-After', async () => {
    fake.failNext(1, whatsappFailures.throttled());
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(ThrottledDeliveryError);
    expect(err.retry).toBe('after-delay');
    expect(err.code).toBe('130429');
    expect((err as ThrottledDeliveryError).retryAfterMs).toBe(1000);

    fake.failNext(1, whatsappFailures.throttled(7));
    expect(((await sendError(adapter)) as ThrottledDeliveryError).retryAfterMs).toBe(7000);
  });

  it('pair-rate and spam limits are throttled with longer defaults, even when Graph answers 400', async () => {
    fake.failNext(1, {
      status: 400,
      body: graphError(131056, '(Business Account, Consumer Account) pair rate limit hit'),
    });
    expect(((await sendError(adapter)) as ThrottledDeliveryError).retryAfterMs).toBe(6000);
    fake.failNext(1, { status: 400, body: graphError(131048, 'Spam rate limit hit') });
    expect(((await sendError(adapter)) as ThrottledDeliveryError).retryAfterMs).toBe(15 * 60_000);
    fake.failNext(1, { status: 400, body: graphError(80007, 'Rate limit issues') });
    expect(((await sendError(adapter)) as ThrottledDeliveryError).retryAfterMs).toBe(60_000);
  });

  it('500 with 131000 is transient', async () => {
    fake.failNext(1, whatsappFailures.serverError());
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.retry).toBe('backoff');
    expect(err.status).toBe(500);
    expect(err.code).toBe('131000');
  });

  it('a non-JSON 502 from a proxy is transient', async () => {
    fake.failNext(1, { status: 502, body: '<html>Bad gateway</html>' });
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.status).toBe(502);
  });

  it('a wrong token (401, code 190) is transient: an operator fix, not the recipient', async () => {
    const wrongToken = new WhatsAppCloudAdapter({
      token: 'EAAG-wrong',
      phoneNumberId: fake.phoneNumberId,
      baseUrl: fake.url,
    });
    const err = await sendError(wrongToken);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.status).toBe(401);
    expect(err.code).toBe('190');
    expect(fake.sent).toHaveLength(0);
  });

  it('a wrong phone number id is rejected by the fake (100) and is permanent', async () => {
    const wrongId = new WhatsAppCloudAdapter({ token: fake.token, phoneNumberId: '999', baseUrl: fake.url });
    const err = await sendError(wrongId);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err.code).toBe('100');
  });

  it('a network failure (closed port) is transient', async () => {
    const port = await closedPort();
    const offline = new WhatsAppCloudAdapter({ token: 't', phoneNumberId: '1', baseUrl: `http://127.0.0.1:${port}` });
    const err = await sendError(offline);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.status).toBeUndefined();
    expect(err.code).toBe('network');
  });

  it('a hung request times out as transient, and (no idempotency key) the retry is a second message', async () => {
    fake.setLatency(300);
    const impatient = new WhatsAppCloudAdapter({
      token: fake.token,
      phoneNumberId: fake.phoneNumberId,
      baseUrl: fake.url,
      timeoutMs: 50,
    });
    const err = await sendError(impatient);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.code).toBe('timeout');

    await expect.poll(() => fake.sent.length, { timeout: 2000 }).toBe(1);
    fake.setLatency(0);
    // The activity's retry (here without the 50 ms limit, which a loaded machine can miss even at no latency).
    await adapter.send(message());
    expect(fake.sent).toHaveLength(2);
    // Both carry the key, so the duplicate is recognisable on the status webhook.
    expect(new Set(fake.sent.map((s) => s.bizOpaqueCallbackData))).toEqual(new Set(['wf-order-123/shipped/whatsapp']));
  });

  it('error messages never contain the phone number, even when Graph quotes it', async () => {
    fake.failNext(1, {
      status: 400,
      body: graphError(100, 'Invalid parameter', `Recipient ${PHONE} (${DIGITS}) is not a valid WhatsApp user`),
    });
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err.message).not.toContain(DIGITS);
    expect(err.message).not.toContain('15112345678');
    expect(err.message).toContain('[phone]');
    expect(err.message).toContain('fbtrace_id');
  });

  it('a recipient that is not a phone number is permanent without calling Graph', async () => {
    const err = await sendError(adapter, message({ to: '@ana' }));
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(fake.requests).toHaveLength(0);
  });

  it('rejects missing credentials and odd Graph versions at construction', () => {
    expect(() => new WhatsAppCloudAdapter({ token: '', phoneNumberId: '1' })).toThrow(/token/);
    expect(() => new WhatsAppCloudAdapter({ token: 't', phoneNumberId: '' })).toThrow(/phoneNumberId/);
    expect(() => new WhatsAppCloudAdapter({ token: 't', phoneNumberId: '1', graphVersion: '21' })).toThrow(
      /graphVersion/,
    );
  });
});

describe('withinServiceWindow', () => {
  const now = Date.parse('2026-11-22T12:00:00Z');

  it('is open for 24 h after the last inbound message', () => {
    expect(withinServiceWindow('2026-11-22T11:00:00Z', now)).toBe(true);
    expect(withinServiceWindow('2026-11-21T12:00:01Z', now)).toBe(true);
    expect(withinServiceWindow('2026-11-21T12:00:00Z', now)).toBe(false);
    expect(withinServiceWindow('2026-11-20T09:00:00Z', now)).toBe(false);
  });

  it('is closed without a (valid) inbound time', () => {
    expect(withinServiceWindow(undefined, now)).toBe(false);
    expect(withinServiceWindow('', now)).toBe(false);
    expect(withinServiceWindow('yesterday', now)).toBe(false);
    expect(withinServiceWindow('2026-11-23T12:00:00Z', now)).toBe(false);
  });

  it('accepts the webhook timestamp (Unix seconds) and an optional safety margin', () => {
    expect(withinServiceWindow(String(now / 1000 - 3600), now)).toBe(true);
    expect(withinServiceWindow('2026-11-21T12:30:00Z', now, 60 * 60 * 1000)).toBe(false);
  });
});

describe('toWhatsAppNumber', () => {
  it('strips + and separators, rejects what is not a number', () => {
    expect(toWhatsAppNumber('+49 151 1234-5678')).toBe('4915112345678');
    expect(toWhatsAppNumber('15551234567')).toBe('15551234567');
    expect(toWhatsAppNumber('+0123')).toBeUndefined();
    expect(toWhatsAppNumber('ana@example.org')).toBeUndefined();
  });
});

describe('webhook verification', () => {
  const query = { 'hub.mode': 'subscribe', 'hub.verify_token': 'verify-me', 'hub.challenge': '1158201444' };

  it('echoes the challenge when mode and token match (flat or qs-nested query)', () => {
    expect(verifyWebhookChallenge(query, 'verify-me')).toBe('1158201444');
    expect(
      verifyWebhookChallenge({ hub: { mode: 'subscribe', verify_token: 'verify-me', challenge: 'abc' } }, 'verify-me'),
    ).toBe('abc');
  });

  it('rejects a wrong token, another mode, repeated params, or an empty configured token', () => {
    expect(verifyWebhookChallenge(query, 'other')).toBeUndefined();
    expect(verifyWebhookChallenge({ ...query, 'hub.mode': 'unsubscribe' }, 'verify-me')).toBeUndefined();
    expect(verifyWebhookChallenge({ ...query, 'hub.verify_token': ['verify-me', 'x'] }, 'verify-me')).toBeUndefined();
    expect(verifyWebhookChallenge({ ...query, 'hub.verify_token': '' }, '')).toBeUndefined();
    expect(verifyWebhookChallenge({}, 'verify-me')).toBeUndefined();
  });

  it('accepts a correct X-Hub-Signature-256 over the raw body, as string or Buffer', () => {
    // Meta escapes non-ASCII in what it signs; the check must run on those exact bytes.
    const raw = JSON.stringify(webhookPayloads.inboundText({ from: DIGITS, text: 'Wo ist mein Paket? \u00fc' }));
    const header = signWebhook(raw, APP_SECRET);
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature256(raw, header, APP_SECRET)).toBe(true);
    expect(verifySignature256(Buffer.from(raw, 'utf8'), header, APP_SECRET)).toBe(true);
  });

  it('rejects a wrong secret, a tampered body, and missing or malformed headers', () => {
    const raw = JSON.stringify(webhookPayloads.inboundText({ from: DIGITS, text: 'hi' }));
    const header = signWebhook(raw, APP_SECRET);
    expect(verifySignature256(raw, signWebhook(raw, 'other-secret'), APP_SECRET)).toBe(false);
    expect(verifySignature256(raw.replace('hi', 'ho'), header, APP_SECRET)).toBe(false);
    expect(verifySignature256(raw, undefined, APP_SECRET)).toBe(false);
    expect(verifySignature256(raw, '', APP_SECRET)).toBe(false);
    expect(verifySignature256(raw, header.replace('sha256=', 'sha1='), APP_SECRET)).toBe(false);
    expect(verifySignature256(raw, `${header}00`, APP_SECRET)).toBe(false);
    expect(verifySignature256(raw, header, '')).toBe(false);
  });
});

describe('parseWebhookPayload', () => {
  it('flattens an inbound text message', () => {
    const payload = webhookPayloads.inboundText({
      from: DIGITS,
      text: 'Where is my parcel?',
      id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
      timestamp: '1763812800',
    });
    expect(parseWebhookPayload(payload)).toEqual([
      {
        type: 'message',
        from: DIGITS,
        id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
        timestamp: '1763812800',
        text: 'Where is my parcel?',
      },
    ]);
  });

  it('flattens delivered and failed statuses, with errors and the echoed idempotency key', () => {
    const delivered = webhookPayloads.status({
      id: 'wamid.ok',
      recipientId: DIGITS,
      status: 'delivered',
      bizOpaqueCallbackData: 'wf-order-123/shipped/whatsapp',
    });
    const failed = webhookPayloads.status({
      id: 'wamid.late',
      recipientId: DIGITS,
      status: 'failed',
      error: { code: 131047, title: 'Re-engagement message' },
    });
    const events = [...parseWebhookPayload(delivered), ...parseWebhookPayload(failed)];
    expect(events).toEqual([
      {
        type: 'status',
        id: 'wamid.ok',
        status: 'delivered',
        recipientId: DIGITS,
        bizOpaqueCallbackData: 'wf-order-123/shipped/whatsapp',
      },
      {
        type: 'status',
        id: 'wamid.late',
        status: 'failed',
        recipientId: DIGITS,
        errors: [{ code: 131047, title: 'Re-engagement message' }],
      },
    ]);

    // Meta often accepts the send and reports 131047 only here; it maps to the same error class.
    const asyncError = deliveryErrorForStatus(events[1] as WhatsAppStatusEvent);
    expect(asyncError).toBeInstanceOf(OutsideServiceWindowError);
    expect(asyncError?.message).not.toContain(DIGITS);
    expect(deliveryErrorForStatus(events[0] as WhatsAppStatusEvent)).toBeUndefined();
  });

  it('handles a realistic batch: several changes, button replies, media, unknown statuses, other fields', () => {
    const payload = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
                contacts: [{ profile: { name: 'Ana' }, wa_id: DIGITS }],
                messages: [
                  {
                    from: DIGITS,
                    id: 'wamid.b',
                    timestamp: '1',
                    type: 'button',
                    button: { text: 'Track', payload: 'x' },
                  },
                  {
                    from: DIGITS,
                    id: 'wamid.i',
                    timestamp: '2',
                    type: 'image',
                    image: { id: 'm1', mime_type: 'image/jpeg' },
                  },
                ],
                statuses: [{ id: 'wamid.d', status: 'deleted', timestamp: '3', recipient_id: DIGITS }],
              },
            },
            { field: 'message_template_status_update', value: { event: 'APPROVED', message_template_id: 1 } },
          ],
        },
      ],
    };
    expect(parseWebhookPayload(payload)).toEqual([
      // A template's quick-reply button: its payload is the button id.
      { type: 'message', from: DIGITS, id: 'wamid.b', timestamp: '1', text: 'Track', buttonId: 'x' },
      { type: 'message', from: DIGITS, id: 'wamid.i', timestamp: '2' },
    ]);
  });

  it('reads the message replied to (context.id) and the chosen list row or reply button', () => {
    const events = [
      webhookPayloads.inboundChoice({
        from: DIGITS,
        kind: 'list_reply',
        choiceId: 'rate:5:abcdefghijkl',
        title: '5 stars: excellent',
        contextId: 'wamid.OURS',
        id: 'wamid.l',
        timestamp: '1',
      }),
      webhookPayloads.inboundChoice({
        from: DIGITS,
        kind: 'button_reply',
        choiceId: 'yes',
        title: 'Yes',
        id: 'wamid.r',
        timestamp: '2',
      }),
      webhookPayloads.inboundText({
        from: DIGITS,
        text: 'late again',
        contextId: 'wamid.OURS',
        id: 'wamid.t',
        timestamp: '3',
      }),
    ].flatMap((payload) => parseWebhookPayload(payload));
    expect(events).toEqual([
      {
        type: 'message',
        from: DIGITS,
        id: 'wamid.l',
        timestamp: '1',
        text: '5 stars: excellent',
        replyTo: 'wamid.OURS',
        buttonId: 'rate:5:abcdefghijkl',
      },
      { type: 'message', from: DIGITS, id: 'wamid.r', timestamp: '2', text: 'Yes', buttonId: 'yes' },
      { type: 'message', from: DIGITS, id: 'wamid.t', timestamp: '3', text: 'late again', replyTo: 'wamid.OURS' },
    ]);
  });

  it('throws on something that is not a WhatsApp Business Account webhook', () => {
    expect(() => parseWebhookPayload({ object: 'page', entry: [] })).toThrow(/whatsapp_business_account/);
    expect(() => parseWebhookPayload('nope')).toThrow();
  });
});
