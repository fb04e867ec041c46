import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MESSAGE_CSP, outboxRoutes } from '../../src/api/pages/outbox';
import { FileOutbox, OutboxChannelAdapter, outboxId, type NewOutboxRecord } from '../../src/channels/outbox';
import { type EmailContent, type OutgoingMessage } from '../../src/channels/types';
import { PermanentDeliveryError } from '../../src/channels/errors';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aftercare-outbox-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function email(key: string, overrides: Partial<NewOutboxRecord> = {}): NewOutboxRecord {
  return {
    idempotencyKey: key,
    channel: 'email',
    to: 'ana@example.com',
    from: "Dana's Shop <orders@shop.example>",
    subject: 'Order A-1: Shipped',
    html: '<!doctype html><html><body><p>Your order shipped</p></body></html>',
    text: 'Your order shipped',
    kind: 'order_status',
    workflowId: 'order-A-1',
    messageKey: 'stage-shipped',
    locale: 'en',
    ...overrides,
  };
}

/** A clock that moves one second per call, so records have a known order. */
function ticking(start = Date.parse('2025-03-10T10:00:00Z')) {
  let t = start;
  return () => new Date((t += 1000));
}

describe('FileOutbox', () => {
  it('keeps one record per idempotency key: the first write wins', async () => {
    const outbox = new FileOutbox(dir);
    const first = await outbox.write(email('order-A-1/stage-shipped/email', { text: 'first' }));
    const second = await outbox.write(email('order-A-1/stage-shipped/email', { text: 'second' }));
    expect(second).toEqual(first);
    expect(first.id).toBe(outboxId('order-A-1/stage-shipped/email'));
    expect(first.id).toMatch(/^[0-9a-f]{32}$/);
    expect(await readdir(dir)).toEqual([`${first.id}.json`]);
    expect((await outbox.get(first.id))?.text).toBe('first');
  });

  it('stays idempotent under concurrent writes of the same key', async () => {
    const outbox = new FileOutbox(dir);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => outbox.write(email('same-key', { text: `copy ${i}` }))),
    );
    expect(new Set(results.map((r) => r.text)).size).toBe(1);
    expect(await readdir(dir)).toHaveLength(1); // no temp files left behind either
  });

  it('lists newest first, honours the limit, and reads an empty or missing directory as empty', async () => {
    expect(await new FileOutbox(path.join(dir, 'missing')).list()).toEqual([]);
    const outbox = new FileOutbox(dir, ticking());
    for (const key of ['a', 'b', 'c']) await outbox.write(email(key));
    expect((await outbox.list()).map((r) => r.idempotencyKey)).toEqual(['c', 'b', 'a']);
    expect((await outbox.list(2)).map((r) => r.idempotencyKey)).toEqual(['c', 'b']);
  });

  it('never lets an id reach outside the directory', async () => {
    const outbox = new FileOutbox(dir);
    expect(await outbox.get('../../etc/passwd')).toBeUndefined();
    expect(await outbox.get('0'.repeat(32))).toBeUndefined();
  });
});

describe('OutboxChannelAdapter', () => {
  const message: OutgoingMessage<EmailContent> = {
    idempotencyKey: 'order-A-1/stage-shipped/email',
    content: {
      channel: 'email',
      to: 'ana@example.com',
      from: 'Shop <o@shop.example>',
      subject: 'Hi',
      html: '<p>Hi</p>',
      text: 'Hi',
    },
    meta: { kind: 'order_status', workflowId: 'order-A-1', messageKey: 'stage-shipped', locale: 'en' },
  };

  it('stores the message and returns the record id as the provider message id', async () => {
    const outbox = new FileOutbox(dir);
    const adapter = new OutboxChannelAdapter<EmailContent>(outbox, 'email');
    const result = await adapter.send(message);
    expect(result).toEqual({ provider: 'outbox', providerMessageId: outboxId(message.idempotencyKey) });
    expect(await adapter.send(message)).toEqual(result);
    const stored = await outbox.get(result.providerMessageId);
    expect(stored).toMatchObject({
      channel: 'email',
      subject: 'Hi',
      html: '<p>Hi</p>',
      workflowId: 'order-A-1',
      locale: 'en',
    });
  });

  it('refuses a message for another channel as a permanent failure', async () => {
    const adapter = new OutboxChannelAdapter(new FileOutbox(dir), 'sms');
    await expect(adapter.send(message)).rejects.toBeInstanceOf(PermanentDeliveryError);
  });
});

describe('outbox page', () => {
  let app: FastifyInstance;
  let outbox: FileOutbox;
  beforeEach(async () => {
    outbox = new FileOutbox(dir, ticking());
    // Registered the way the API does it: on an app whose compilers are zod's.
    const zodApp = Fastify().withTypeProvider<ZodTypeProvider>();
    zodApp.setValidatorCompiler(validatorCompiler);
    zodApp.setSerializerCompiler(serializerCompiler);
    await zodApp.register(outboxRoutes, { outbox });
    app = zodApp as unknown as FastifyInstance;
  });
  afterEach(async () => {
    await app.close();
  });

  it('lists messages newest first, with emails framed from their own URL', async () => {
    const mail = await outbox.write(email('k-email'));
    await outbox.write({
      idempotencyKey: 'k-sms',
      channel: 'sms',
      to: '+447700900123',
      text: "Dana's Shop: order A-1 is now Shipped.",
      kind: 'order_status',
      workflowId: 'order-A-1',
      messageKey: 'stage-shipped',
      locale: 'bn',
    });
    const res = await app.inject({ method: 'GET', url: '/outbox' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('Order A-1: Shipped');
    expect(res.body).toContain(`src="outbox/${mail.id}"`);
    expect(res.body).toMatch(/<iframe sandbox/);
    expect(res.body).toContain('Dana&#39;s Shop: order A-1 is now Shipped.');
    expect(res.body).toContain('order-A-1');
    expect(res.body.indexOf('+447700900123')).toBeLessThan(res.body.indexOf('ana@example.com')); // newest first
    expect(res.headers['content-security-policy']).toMatch(/script-src 'nonce-/);
  });

  it('serves an email raw with a restrictive CSP, and 404s an unknown id', async () => {
    const mail = await outbox.write(email('k-email'));
    const res = await app.inject({ method: 'GET', url: `/outbox/${mail.id}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; img-src data: https:",
    );
    expect(res.headers['content-security-policy']).toBe(MESSAGE_CSP);
    expect(res.body).toBe(mail.html);

    expect((await app.inject({ method: 'GET', url: `/outbox/${'f'.repeat(32)}` })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/outbox/not-an-id' })).statusCode).toBe(404);
  });

  it('escapes everything it puts into the page', async () => {
    const payload = '<img src=x onerror=alert(1)>';
    await outbox.write(email('k-evil', { subject: `Hi ${payload}`, to: `"><script>alert(2)</script>`, text: payload }));
    const res = await app.inject({ method: 'GET', url: '/outbox' });
    expect(res.body).not.toContain('<img src=x');
    expect(res.body).not.toContain('<script>alert(2)');
    expect(res.body).toContain('Hi &lt;img src=x onerror=alert(1)&gt;');
  });

  it('serves the records as JSON', async () => {
    await outbox.write(email('a'));
    await outbox.write(email('b'));
    const res = await app.inject({ method: 'GET', url: '/outbox.json?limit=1' });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { idempotencyKey: string }[];
    expect(body.map((r) => r.idempotencyKey)).toEqual(['b']);
  });
});
