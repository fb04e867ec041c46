import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import type { Payload } from '@temporalio/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { hmacSha256, safeEqualText } from '../lib/crypto';
import type { Keyring } from '../lib/keys';
import { EncryptionCodec, PayloadDecryptionError } from '../temporal/codec';
import { pageShell, sendPage } from './pages/shell';

/**
 * The codec server the Temporal UI and `temporal --codec-endpoint` call to show operators decrypted
 * payloads: POST /codec/decode and /codec/encode. The UI runs on another origin, so CORS lets exactly
 * its origin read the answers, with credentials. In production every call needs the operator key:
 * `Authorization: Bearer <key>` (the CLI's --codec-auth), or, for the browser UI that cannot add
 * headers, a session cookie from the sign-in form at /codec/session. Register with prefix '/codec'.
 */
export interface CodecOptions {
  keyring: Keyring;
  /** The Temporal UI's origin (scheme://host[:port]): the only origin allowed to read answers. */
  uiOrigin: string;
  /** Production: decode and encode need the operator key or a session. Development: open. */
  requireAuth: boolean;
  /** AFTERCARE_OPERATOR_KEY; required when requireAuth. */
  operatorKey?: string;
  now?: () => number;
}

/** `__Secure-`: browsers refuse the cookie unless it is Secure; Path keeps it to the codec routes. */
export const SESSION_COOKIE = '__Secure-aftercare-codec';
const SESSION_SECONDS = 12 * 60 * 60;
/** A batch of payloads up to Temporal's 2 MiB payload limit, base64 in JSON. */
const CODEC_BODY_LIMIT = 8 * 1024 * 1024;

/** Payloads as the Temporal UI and CLI send them: metadata values and data in base64. */
const jsonPayload = z.object({
  metadata: z.record(z.string(), z.string()).nullish(),
  data: z.string().nullish(),
});
const codecBody = z.object({ payloads: z.array(jsonPayload) });
type JsonPayload = z.infer<typeof jsonPayload>;

const fromJson = ({ metadata, data }: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(data ?? '', 'base64'),
});

const toJson = ({ metadata, data }: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
  ),
  data: Buffer.from(data ?? []).toString('base64'),
});

/**
 * Stateless session: expiry and an HMAC under a key derived from the operator key, so any API
 * instance verifies it, and changing the operator key ends every session.
 */
function sessionMac(operatorKey: string, expires: string): string {
  const sessionKey = hmacSha256(operatorKey, 'aftercare/codec-session');
  return hmacSha256(sessionKey, `codec-session.${expires}`).toString('base64url');
}

export function mintSession(operatorKey: string, now: number): string {
  const expires = String(Math.floor(now / 1000) + SESSION_SECONDS);
  return `${expires}.${sessionMac(operatorKey, expires)}`;
}

function isValidSession(operatorKey: string, token: string | undefined, now: number): boolean {
  const [expires, mac, extra] = (token ?? '').split('.');
  if (!expires || !mac || extra !== undefined || !/^\d{1,12}$/.test(expires)) return false;
  return Number(expires) * 1000 > now && safeEqualText(mac, sessionMac(operatorKey, expires));
}

export const codecRoutes: FastifyPluginAsyncZod<CodecOptions> = async (app, opts) => {
  const { keyring, requireAuth, operatorKey } = opts;
  if (requireAuth && !operatorKey) throw new Error('the codec endpoint requires an operator key in production');
  const now = opts.now ?? Date.now;
  const codec = new EncryptionCodec(keyring);

  await app.register(cookie);
  await app.register(cors, {
    origin: opts.uiOrigin,
    // The UI's "include cross-origin credentials" sends the session cookie.
    credentials: true,
    methods: ['POST'],
    allowedHeaders: ['content-type', 'x-namespace', 'authorization'],
    maxAge: 600,
  });
  // The sign-in form posts urlencoded (parsed in the handler, as the survey page does).
  if (app.hasContentTypeParser('application/x-www-form-urlencoded')) {
    app.removeContentTypeParser('application/x-www-form-urlencoded');
  }
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );

  const isOperator = (request: FastifyRequest): boolean => {
    if (!operatorKey) return false;
    const header = request.headers.authorization ?? '';
    if (header.startsWith('Bearer ') && safeEqualText(header.slice(7), operatorKey)) return true;
    return isValidSession(operatorKey, request.cookies[SESSION_COOKIE], now());
  };

  // onRequest: an unauthenticated caller is turned away before its (up to 8 MiB) body is read.
  const requireOperator = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!requireAuth || isOperator(request)) return;
    return reply
      .status(401)
      .header('www-authenticate', 'Bearer')
      .send({
        error: {
          code: 'unauthorized',
          message: 'send Authorization: Bearer <AFTERCARE_OPERATOR_KEY>, or sign in at /codec/session',
        },
      });
  };

  const route = { schema: { body: codecBody, hide: true }, onRequest: requireOperator, bodyLimit: CODEC_BODY_LIMIT };

  app.post('/decode', route, async (request, reply) => {
    try {
      const decoded = await codec.decode(request.body.payloads.map(fromJson));
      return reply.send({ payloads: decoded.map(toJson) });
    } catch (err) {
      if (!(err instanceof PayloadDecryptionError)) throw err;
      return reply.status(422).send({ error: { code: 'undecryptable', message: err.message } });
    }
  });

  app.post('/encode', route, async (request, reply) => {
    const encoded = await codec.encode(request.body.payloads.map(fromJson));
    return reply.send({ payloads: encoded.map(toJson) });
  });

  app.get('/session', { schema: { hide: true } }, async (_request, reply) =>
    sendPage(reply, 200, requireAuth ? signInPage() : openPage()),
  );

  // Guessing the operator key here gets a client ten tries a minute.
  const signIn = { schema: { hide: true }, config: { rateLimit: { max: 10, timeWindow: 60_000 } } };
  app.post('/session', signIn, async (request, reply) => {
    if (!requireAuth || !operatorKey) return sendPage(reply, 200, openPage());
    const key = typeof request.body === 'string' ? (new URLSearchParams(request.body).get('key') ?? '') : '';
    if (!safeEqualText(key, operatorKey)) {
      request.log.warn('codec sign-in with a wrong operator key');
      return sendPage(reply, 401, signInPage('That is not the operator key.'));
    }
    reply.setCookie(SESSION_COOKIE, mintSession(operatorKey, now()), {
      path: '/codec',
      httpOnly: true,
      secure: true,
      // The UI's fetches are cross-site when it is served from another site.
      sameSite: 'none',
      maxAge: SESSION_SECONDS,
    });
    return sendPage(reply, 200, signedInPage());
  });
};

const FORM_CSS = `  label { display: block; font-weight: 600; margin: 0 0 .25rem; }
  input { box-sizing: border-box; width: 100%; font: inherit; padding: .6rem; margin: 0 0 1rem; border: 1px solid #d0d7de; border-radius: 8px; }
  .problem { color: #cf222e; }`;

function signInPage(problem?: string): string {
  return pageShell(
    'en',
    'Aftercare codec: sign in',
    `<h1>Decrypt Aftercare's data in the Temporal UI</h1>
<p>Sign in with the operator key (AFTERCARE_OPERATOR_KEY). The session lasts 12 hours, in this browser only.</p>
${problem ? `<p class="problem">${problem}</p>` : ''}<form method="post">
<label for="key">Operator key</label>
<input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form>`,
    FORM_CSS,
  );
}

const signedInPage = () =>
  pageShell(
    'en',
    'Aftercare codec: signed in',
    `<h1>Signed in</h1>
<p>Reload the Temporal UI: with "Include cross-origin credentials" on in its codec server settings, it now shows Aftercare's payloads decrypted.</p>`,
  );

const openPage = () =>
  pageShell('en', 'Aftercare codec', `<h1>No sign-in needed</h1><p>In development the codec endpoint is open.</p>`);
