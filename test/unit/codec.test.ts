import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app';
import { SESSION_COOKIE } from '../../src/api/codec';
import { AftercareClient } from '../../src/client';
import { deriveKeys } from '../../src/lib/keys';
import { createLogger } from '../../src/logger';
import { loadPlaybook } from '../../src/playbook/load';
import {
  dataConverterFor,
  EncryptionCodec,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  PayloadDecryptionError,
} from '../../src/temporal/codec';

const SECRET = 'codec-test-secret-0123456789abcdef0123';
const KEYS = deriveKeys(SECRET);
const CUSTOMER = { name: 'Nadia Rahman', email: 'nadia.rahman@private.example', phone: '+8801711234567' };
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const plain = (value: unknown) => defaultPayloadConverter.toPayload(value)!;
const valueOf = (payload: Payload) => defaultPayloadConverter.fromPayload(payload);

describe('payload codec', () => {
  const codec = new EncryptionCodec(KEYS.payloads);

  it('round-trips every kind of payload', async () => {
    const values = [CUSTOMER, 'text', 42, null, undefined, new Uint8Array([0, 1, 255]), []];
    const encoded = await codec.encode(values.map(plain));
    const decoded = await codec.decode(encoded);
    expect(decoded.map(valueOf)).toEqual(values);
  });

  it('hides the content and names the key (and only the key) in the metadata', async () => {
    const [sealed] = await codec.encode([plain(CUSTOMER)]);
    expect(Object.keys(sealed!.metadata!).sort()).toEqual([KEY_ID_METADATA, METADATA_ENCODING_KEY].sort());
    expect(text(sealed!.metadata![METADATA_ENCODING_KEY])).toBe(ENCRYPTED_ENCODING);
    expect(text(sealed!.metadata![KEY_ID_METADATA])).toBe('s1');
    for (const secret of Object.values(CUSTOMER)) expect(text(sealed!.data)).not.toContain(secret);
    // A fresh IV each time: equal inputs never look equal in history.
    const [again] = await codec.encode([plain(CUSTOMER)]);
    expect(Buffer.from(again!.data!).equals(Buffer.from(sealed!.data!))).toBe(false);
  });

  it('still opens payloads sealed with an older key after a rotation, and seals new ones with the new key', async () => {
    const [old] = await codec.encode([plain(CUSTOMER)]);
    const rotated = new EncryptionCodec(deriveKeys(SECRET, `k2:${randomBytes(32).toString('base64')}`).payloads);
    const [fresh] = await rotated.encode([plain(CUSTOMER)]);
    expect(text(fresh!.metadata![KEY_ID_METADATA])).toBe('k2');
    expect((await rotated.decode([old!, fresh!])).map(valueOf)).toEqual([CUSTOMER, CUSTOMER]);
  });

  it('rejects a payload whose key is not in the keyring', async () => {
    const rotated = new EncryptionCodec(deriveKeys(SECRET, `k2:${randomBytes(32).toString('base64')}`).payloads);
    const [sealed] = await rotated.encode([plain(CUSTOMER)]);
    await expect(codec.decode([sealed!])).rejects.toThrow(PayloadDecryptionError);
    await expect(codec.decode([sealed!])).rejects.toThrow(/no key "k2"/);
    // Same id, another secret: the key does not open it.
    const stranger = new EncryptionCodec(deriveKeys('another-secret-0123456789abcdef0123456').payloads);
    await expect(stranger.decode([sealed!])).rejects.toThrow(PayloadDecryptionError);
    const [ours] = await codec.encode([plain(CUSTOMER)]);
    await expect(stranger.decode([ours!])).rejects.toThrow(/failed authentication with key "s1"/);
  });

  it('rejects tampered, relabelled and truncated ciphertext instead of returning garbage', async () => {
    const [sealed] = await codec.encode([plain(CUSTOMER)]);
    const data = Buffer.from(sealed!.data!);
    for (const at of [0, 12, data.length - 20, data.length - 1]) {
      const tampered = Buffer.from(data);
      tampered[at] = tampered[at]! ^ 0x01;
      await expect(codec.decode([{ ...sealed!, data: tampered }]), `byte ${at}`).rejects.toThrow(
        PayloadDecryptionError,
      );
    }
    const both = new EncryptionCodec(deriveKeys(SECRET, `k2:${KEYS.payloads.current.key.toString('base64')}`).payloads);
    const relabelled = { data, metadata: { ...sealed!.metadata!, [KEY_ID_METADATA]: Buffer.from('k2') } };
    await expect(both.decode([relabelled])).rejects.toThrow(PayloadDecryptionError);
    await expect(codec.decode([{ ...sealed!, data: data.subarray(0, 20) }])).rejects.toThrow(/truncated/);
    const { [KEY_ID_METADATA]: _dropped, ...noKeyId } = sealed!.metadata!;
    await expect(codec.decode([{ ...sealed!, metadata: noKeyId }])).rejects.toThrow(/no "encryption-key-id"/);
  });

  it('passes payloads written before encryption through decode untouched', async () => {
    const before = [plain(CUSTOMER), plain(undefined), plain(new Uint8Array([7]))];
    const decoded = await codec.decode(before);
    decoded.forEach((payload, i) => expect(payload).toBe(before[i]));
  });

  it('encodes failure messages and stack traces, and gives readers with the codec the real message back', async () => {
    const converter = loadDataConverter(dataConverterFor(KEYS.payloads));
    const error = new Error(`The 'To' number ${CUSTOMER.phone} is not a valid phone number`);
    const failure = converter.failureConverter.errorToFailure(error, converter.payloadConverter);
    expect(failure.message).not.toContain(CUSTOMER.phone);
    expect(failure.stackTrace ?? '').not.toContain(CUSTOMER.phone);
    const [stored] = await codec.encode([failure.encodedAttributes!]);
    expect(text(stored!.data)).not.toContain(CUSTOMER.phone);
    const [read] = await codec.decode([stored!]);
    const restored = converter.failureConverter.failureToError(
      { ...failure, encodedAttributes: read },
      converter.payloadConverter,
    );
    expect(restored.message).toBe(error.message);
  });
});

const UI_ORIGIN = 'https://temporal-ui.example';
const OPERATOR_KEY = 'operator-key-0123456789abcdef';
const HOUR = 3_600_000;

async function appWith(codec: { requireAuth: boolean; operatorKey?: string; now?: () => number }) {
  const playbook = loadPlaybook(`${__dirname}/../playbook.fast.yaml`);
  return buildApp({
    // A lazy client: the codec routes never call Temporal.
    aftercare: new AftercareClient({ client: new Client(), playbook, taskQueue: 'unused', keys: KEYS }),
    apiKey: 'api-key-0123456789abcdef',
    logger: createLogger('silent'),
    temporalHealth: async () => {},
    codec: { keyring: KEYS.payloads, uiOrigin: UI_ORIGIN, ...codec },
  });
}

const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? []).toString('base64'),
});
const fromJson = (p: { metadata: Record<string, string>; data: string }): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});
/** What the Temporal UI sends: JSON, its namespace, its origin. */
const uiHeaders = { 'content-type': 'application/json', 'x-namespace': 'default', origin: UI_ORIGIN };

describe('codec endpoint, development (open)', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await appWith({ requireAuth: false });
  });
  afterAll(() => app?.close());

  it('answers the UI origin’s CORS preflight, with credentials allowed, and no other origin', async () => {
    const preflight = (origin: string) =>
      app.inject({
        method: 'OPTIONS',
        url: '/codec/decode',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace',
        },
      });
    const res = await preflight(UI_ORIGIN);
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(String(res.headers['access-control-allow-headers'])).toContain('x-namespace');
    expect(String(res.headers['access-control-allow-methods'])).toContain('POST');
    expect((await preflight('https://evil.example')).headers['access-control-allow-origin']).not.toBe(
      'https://evil.example',
    );
  });

  it('decodes what workers encrypted, encodes for the UI, and refuses what it cannot open', async () => {
    const sealed = await new EncryptionCodec(KEYS.payloads).encode([plain(CUSTOMER), plain('note')]);
    const decoded = await app.inject({
      method: 'POST',
      url: '/codec/decode',
      headers: uiHeaders,
      payload: { payloads: [...sealed.map(toJson), toJson(plain('written before encryption'))] },
    });
    expect(decoded.statusCode).toBe(200);
    expect(decoded.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    const payloads = (decoded.json() as { payloads: { metadata: Record<string, string>; data: string }[] }).payloads;
    expect(payloads.map((p) => valueOf(fromJson(p)))).toEqual([CUSTOMER, 'note', 'written before encryption']);

    const encoded = await app.inject({
      method: 'POST',
      url: '/codec/encode',
      headers: uiHeaders,
      payload: { payloads: [toJson(plain(CUSTOMER))] },
    });
    expect(encoded.statusCode).toBe(200);
    const [out] = (encoded.json() as { payloads: { metadata: Record<string, string>; data: string }[] }).payloads;
    expect(text(fromJson(out!).metadata![METADATA_ENCODING_KEY])).toBe(ENCRYPTED_ENCODING);
    expect((await new EncryptionCodec(KEYS.payloads).decode([fromJson(out!)])).map(valueOf)).toEqual([CUSTOMER]);

    const tampered = toJson(sealed[0]!);
    tampered.data = Buffer.from(tampered.data, 'base64').reverse().toString('base64');
    const refused = await app.inject({
      method: 'POST',
      url: '/codec/decode',
      headers: uiHeaders,
      payload: { payloads: [tampered] },
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.code).toBe('undecryptable');
    const malformed = await app.inject({ method: 'POST', url: '/codec/decode', headers: uiHeaders, payload: {} });
    expect(malformed.statusCode).toBe(422);
  });
});

describe('codec endpoint, production (operator authentication)', () => {
  let app: FastifyInstance;
  let clock = Date.parse('2026-11-02T10:00:00Z');
  const decode = async (headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: '/codec/decode',
      headers: { ...uiHeaders, ...headers },
      payload: { payloads: (await new EncryptionCodec(KEYS.payloads).encode([plain(CUSTOMER)])).map(toJson) },
    });
  const signIn = (key: string) =>
    app.inject({
      method: 'POST',
      url: '/codec/session',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ key }).toString(),
    });

  beforeAll(async () => {
    app = await appWith({ requireAuth: true, operatorKey: OPERATOR_KEY, now: () => clock });
  });
  afterAll(() => app?.close());

  it('refuses without the operator key, readably for the UI (CORS headers on the 401)', async () => {
    const res = await decode();
    expect(res.statusCode).toBe(401);
    expect(res.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    expect(res.json().error.message).toContain('/codec/session');
    expect(res.body).not.toContain(CUSTOMER.email);
    expect((await decode({ authorization: 'Bearer not-the-operator-key' })).statusCode).toBe(401);
    expect((await decode({ authorization: `Bearer ${KEYS.links}` })).statusCode).toBe(401);
  });

  it('accepts Authorization: Bearer <operator key> (temporal --codec-auth)', async () => {
    const res = await decode({ authorization: `Bearer ${OPERATOR_KEY}` });
    expect(res.statusCode).toBe(200);
    expect(valueOf(fromJson(res.json().payloads[0]))).toEqual(CUSTOMER);
  });

  it('signs the browser in with a form and an HttpOnly, Secure, SameSite=None cookie for the codec path', async () => {
    const form = await app.inject({ method: 'GET', url: '/codec/session' });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('name="key"');
    expect(form.headers['content-security-policy']).toContain("frame-ancestors 'none'");

    const wrong = await signIn('guess-0123456789abcdef');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();

    const ok = await signIn(OPERATOR_KEY);
    expect(ok.statusCode).toBe(200);
    const setCookie = String(ok.headers['set-cookie']);
    expect(setCookie).toMatch(new RegExp(`^${SESSION_COOKIE.replace(/[-_]/g, '.')}=`));
    for (const attribute of ['HttpOnly', 'Secure', 'SameSite=None', 'Path=/codec', 'Max-Age=43200']) {
      expect(setCookie).toContain(attribute);
    }
    expect(setCookie).not.toContain(OPERATOR_KEY);
    const session = setCookie.split(';')[0]!;

    expect((await decode({ cookie: session })).statusCode).toBe(200);
    expect((await decode({ cookie: `${session.slice(0, -2)}xx` })).statusCode).toBe(401);
    clock += 13 * HOUR;
    expect((await decode({ cookie: session })).statusCode).toBe(401);
  });

  it('takes no session signed for another operator key', async () => {
    const other = await appWith({
      requireAuth: true,
      operatorKey: 'another-operator-key-0123456789',
      now: () => clock,
    });
    try {
      const cookie = String((await signIn(OPERATOR_KEY)).headers['set-cookie']).split(';')[0]!;
      const res = await other.inject({
        method: 'POST',
        url: '/codec/decode',
        headers: { ...uiHeaders, cookie },
        payload: { payloads: [] },
      });
      expect(res.statusCode).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('will not start without an operator key', async () => {
    await expect(appWith({ requireAuth: true })).rejects.toThrow(/operator key/);
  });
});
