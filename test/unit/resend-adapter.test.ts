import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ResendEmailAdapter, toIdempotencyKey, toTagValue } from '../../src/channels/email/resend/adapter';
import { redactEmails } from '../../src/lib/redact';
import { type EmailContent, type OutgoingMessage } from '../../src/channels/types';
import {
  DeliveryError,
  PermanentDeliveryError,
  ThrottledDeliveryError,
  TransientDeliveryError,
} from '../../src/channels/errors';
import { type FakeResend, resendFailures, startFakeResend } from '../fakes/resend-server';

const RECIPIENT = 'ana.customer@example.org';

function message(overrides: Partial<OutgoingMessage<EmailContent>> = {}): OutgoingMessage<EmailContent> {
  return {
    idempotencyKey: 'wf-order-123/shipped/email',
    content: {
      channel: 'email',
      to: RECIPIENT,
      from: 'Shop <orders@shop.example>',
      subject: 'Your order has shipped',
      html: '<p>On its way</p>',
      text: 'On its way',
      headers: { 'X-Entity-Ref-ID': 'order-123' },
    },
    meta: { kind: 'order.shipped', workflowId: 'wf-order-123', messageKey: 'shipped', locale: 'en' },
    ...overrides,
  };
}

async function sendError(adapter: ResendEmailAdapter, msg = message()): Promise<DeliveryError> {
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

describe('ResendEmailAdapter against a fake Resend API', () => {
  let fake: FakeResend;
  let adapter: ResendEmailAdapter;

  beforeAll(async () => {
    fake = await startFakeResend();
    adapter = new ResendEmailAdapter({
      apiKey: fake.apiKey,
      baseUrl: fake.url,
      from: 'Aftercare <care@aftercare.example>',
    });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => fake.reset());

  it('sends with the idempotency key, auth, from override, text part and kind tag', async () => {
    const result = await adapter.send(message());

    expect(result.provider).toBe('resend');
    expect(result.providerMessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(adapter.channel).toBe('email');
    expect(adapter.provider).toBe('resend');

    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/emails');
    expect(req.headers['idempotency-key']).toBe('wf-order-123/shipped/email');
    expect(req.headers.authorization).toBe(`Bearer ${fake.apiKey}`);

    expect(fake.sent).toHaveLength(1);
    const email = fake.sent[0]!;
    expect(email.id).toBe(result.providerMessageId);
    expect(email.from).toBe('Aftercare <care@aftercare.example>');
    expect(email.to).toEqual([RECIPIENT]);
    expect(email.subject).toBe('Your order has shipped');
    expect(email.html).toBe('<p>On its way</p>');
    expect(email.text).toBe('On its way');
    expect(email.headers).toEqual({ 'X-Entity-Ref-ID': 'order-123' });
    // "order.shipped" has a dot, which Resend rejects in tag values.
    expect(email.tags).toEqual([{ name: 'kind', value: 'order_shipped' }]);
  });

  it("uses the content's from when no override is configured", async () => {
    const plain = new ResendEmailAdapter({ apiKey: fake.apiKey, baseUrl: `${fake.url}/` });
    await plain.send(message());
    expect(fake.sent[0]?.from).toBe('Shop <orders@shop.example>');
  });

  it('a repeated send with the same key sends one email and returns the same id', async () => {
    const first = await adapter.send(message());
    const second = await adapter.send(message());

    expect(second.providerMessageId).toBe(first.providerMessageId);
    expect(fake.requests).toHaveLength(2);
    expect(fake.sent).toHaveLength(1);
  });

  it('the fake rejects the same key with a different payload (409), which is permanent', async () => {
    await adapter.send(message());
    const err = await sendError(adapter, message({ content: { ...message().content, subject: 'Changed' } }));
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err.status).toBe(409);
    expect(err.code).toBe('invalid_idempotent_request');
    expect(fake.sent).toHaveLength(1);
  });

  it('a concurrent request with the same key is throttled briefly, then returns the original id', async () => {
    fake.setLatency(150);
    const first = adapter.send(message());
    await new Promise((r) => setTimeout(r, 30));
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(ThrottledDeliveryError);
    expect(err.code).toBe('concurrent_idempotent_requests');
    expect((err as ThrottledDeliveryError).retryAfterMs).toBe(1000);

    const { providerMessageId } = await first;
    await expect(adapter.send(message())).resolves.toEqual({ provider: 'resend', providerMessageId });
    expect(fake.sent).toHaveLength(1);
  });

  it('429 with retry-after: 1 is throttled for 1000 ms, and the retry succeeds once', async () => {
    fake.failNext(1, {
      status: 429,
      headers: { 'retry-after': '1' },
      body: { statusCode: 429, name: 'rate_limit_exceeded', message: 'Too many requests' },
    });
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(ThrottledDeliveryError);
    expect(err.retry).toBe('after-delay');
    expect((err as ThrottledDeliveryError).retryAfterMs).toBe(1000);
    expect(err.status).toBe(429);
    expect(err.code).toBe('rate_limit_exceeded');

    await adapter.send(message());
    expect(fake.sent).toHaveLength(1);
  });

  it('daily quota is throttled for an hour without retry-after (ratelimit-reset is ignored), else by retry-after', async () => {
    fake.failNext(1, resendFailures.dailyQuota());
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(ThrottledDeliveryError);
    expect(err.code).toBe('daily_quota_exceeded');
    expect((err as ThrottledDeliveryError).retryAfterMs).toBe(60 * 60 * 1000);

    fake.failNext(1, { ...resendFailures.dailyQuota(), headers: { 'retry-after': '7200' } });
    expect(((await sendError(adapter)) as ThrottledDeliveryError).retryAfterMs).toBe(7200 * 1000);
  });

  it('monthly quota is permanent so the workflow can fall back to another channel', async () => {
    fake.failNext(1, {
      status: 429,
      body: {
        statusCode: 429,
        name: 'monthly_quota_exceeded',
        message: 'You have reached your monthly email sending quota.',
      },
    });
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err.code).toBe('monthly_quota_exceeded');
  });

  it('a 429 without retry-after falls back to ratelimit-reset', async () => {
    fake.failNext(1, { status: 429, headers: { 'ratelimit-reset': '3' }, body: resendFailures.rateLimited().body });
    expect(((await sendError(adapter)) as ThrottledDeliveryError).retryAfterMs).toBe(3000);
  });

  it('422 validation_error is permanent', async () => {
    fake.failNext(1, resendFailures.validation());
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err.retry).toBe('never');
    expect(err.status).toBe(422);
    expect(err.code).toBe('validation_error');
  });

  it('an invalid recipient rejected by the fake is permanent', async () => {
    const err = await sendError(adapter, message({ content: { ...message().content, to: 'not-an-address' } }));
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err.status).toBe(422);
    expect(fake.sent).toHaveLength(0);
  });

  it('500 application_error is transient', async () => {
    fake.failNext(1, resendFailures.serverError());
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.retry).toBe('backoff');
    expect(err.status).toBe(500);
  });

  it('a non-JSON 502 from a proxy is transient', async () => {
    fake.failNext(1, { status: 502, body: '<html>Bad gateway</html>' });
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.code).toBe('application_error');
  });

  it('a wrong API key is transient (operator fix, not the recipient)', async () => {
    const wrongKey = new ResendEmailAdapter({ apiKey: 're_wrong', baseUrl: fake.url });
    const err = await sendError(wrongKey);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(fake.sent).toHaveLength(0);

    fake.failNext(1, {
      status: 403,
      body: { statusCode: 403, name: 'invalid_api_key', message: 'API key is invalid.' },
    });
    expect(await sendError(adapter)).toBeInstanceOf(TransientDeliveryError);
  });

  it('a network failure (closed port) is transient', async () => {
    const port = await closedPort();
    const offline = new ResendEmailAdapter({ apiKey: 're_x', baseUrl: `http://127.0.0.1:${port}` });
    const err = await sendError(offline);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.status).toBeUndefined();
  });

  it('a hung request times out as transient; the retry with the same key returns the late success', async () => {
    fake.setLatency(300);
    const impatient = new ResendEmailAdapter({ apiKey: fake.apiKey, baseUrl: fake.url, timeoutMs: 50 });
    const err = await sendError(impatient);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.status).toBeUndefined();

    // The fake still accepts the abandoned request; wait for it so it can't leak into the next test.
    await expect.poll(() => fake.sent.length, { timeout: 2000 }).toBe(1);
    const retried = await impatient.send(message());
    expect(retried.providerMessageId).toBe(fake.sent[0]?.id);
    expect(fake.sent).toHaveLength(1);
  });

  it('hashes idempotency keys longer than 256 chars, deterministically', async () => {
    const longKey = `wf-${'x'.repeat(300)}/step/email`;
    await adapter.send(message({ idempotencyKey: longKey }));
    await adapter.send(message({ idempotencyKey: longKey }));

    const sentKey = fake.requests[0]?.headers['idempotency-key'];
    expect(typeof sentKey).toBe('string');
    expect((sentKey as string).length).toBeLessThanOrEqual(256);
    expect(sentKey).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(fake.requests[1]?.headers['idempotency-key']).toBe(sentKey);
    expect(fake.sent).toHaveLength(1);
  });

  it('error messages never contain the recipient address', async () => {
    fake.failNext(1, {
      status: 403,
      body: {
        statusCode: 403,
        name: 'validation_error',
        message: `You can only send testing emails to your own email address (${RECIPIENT}).`,
      },
    });
    const err = await sendError(adapter);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err.message).not.toContain(RECIPIENT);
    expect(err.message).not.toMatch(/@/);
    expect(err.message).toContain('[email]');
  });
});

describe('helpers', () => {
  it('toIdempotencyKey keeps short ASCII keys and hashes long or non-ASCII ones', () => {
    expect(toIdempotencyKey('a/b/c')).toBe('a/b/c');
    expect(toIdempotencyKey('k'.repeat(256))).toBe('k'.repeat(256));
    expect(toIdempotencyKey('k'.repeat(257))).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(toIdempotencyKey('wf/ünïcode')).toMatch(/^sha256:/);
  });

  it('toTagValue keeps only [A-Za-z0-9_-]', () => {
    expect(toTagValue('order.shipped v2')).toBe('order_shipped_v2');
    expect(toTagValue('')).toBe('unknown');
  });

  it('redactEmails strips address-shaped text', () => {
    expect(redactEmails('bad to: "Ana" <ana@example.org>, bob@x.io')).toBe('bad to: "Ana" <[email]>, [email]');
  });

  it('rejects an empty API key instead of falling back to the environment', () => {
    expect(() => new ResendEmailAdapter({ apiKey: '' })).toThrow(/apiKey/);
  });
});
