import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TelegramError } from 'telegraf';
import type { UserFromGetMe } from 'telegraf/types';
import { z } from 'zod';
import { twilioErrorKind } from '../channels/sms/twilio';
import { createTelegramBot, handleTelegramUpdate } from '../channels/telegram/telegraf';
import { PermanentDeliveryError } from '../channels/types';
import {
  deliveryErrorForStatus,
  GraphErrorCode,
  parseWebhookPayload,
  verifySignature256,
  verifyWebhookChallenge,
} from '../channels/whatsapp/cloud-api';
import { contactKey } from '../contact-keys';
import type { CustomerEvent } from '../contract';
import { verifyShortToken } from '../tokens';
import type { CustomerEventSink } from './customer-events';
import { describeError, unsubscribeRoutes } from './unsubscribe';

/**
 * Inbound provider webhooks: SMS keywords and status callbacks (Twilio), email bounces and
 * complaints (Resend), Telegram /start and /stop, WhatsApp messages and statuses. Each one checks
 * the provider's signature, finds the customer by a keyed hash of the contact, and hands their
 * lifecycle an event whose id comes from the provider's own id, so a redelivered webhook changes
 * nothing (the lifecycle drops replayed ids). Unknown customers get a 2xx: providers retry
 * anything else for days.
 */
export interface WebhookOptions {
  sink: CustomerEventSink;
  /** AFTERCARE_SECRET: contact keys and tokens. */
  secret: string;
  /** The URL providers call us at, e.g. https://aftercare.example (Twilio signs the full URL). */
  publicUrl: string;
  /** Enables /webhooks/twilio/*. */
  twilioAuthToken?: string;
  /** Enables /webhooks/resend (whsec_…). */
  resendWebhookSecret?: string;
  /** Enables /webhooks/telegram. */
  telegram?: { botToken: string; apiRoot?: string; webhookSecret: string; botInfo?: UserFromGetMe };
  /** Enables /webhooks/whatsapp. */
  whatsapp?: { appSecret: string; verifyToken: string };
  now?: () => number;
}

// Twilio's default keywords (single word, any case); Twilio itself blocks/unblocks the number and replies.
const OPT_OUT_KEYWORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const SMS_OPT_IN_KEYWORDS = new Set(['START', 'YES', 'UNSTOP']);
// WhatsApp has no carrier keyword handling; "yes" is too common a reply there to mean "subscribe me again".
const WHATSAPP_OPT_IN_KEYWORDS = new Set(['START', 'UNSTOP']);

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';
/** Svix rejects timestamps further than this from now, both ways (replay window). */
const SVIX_TOLERANCE_MS = 5 * 60 * 1000;

const TELEGRAM_CONNECTED = "You're connected: order updates will arrive here. Send /stop to stop.";
const TELEGRAM_EXPIRED = 'This link has expired. Ask for a new one.';
const TELEGRAM_STOPPED = 'You will get no more messages here. Send /start to resume.';
const TELEGRAM_NOT_LINKED = 'To get order updates here, open the Telegram link from your order confirmation.';

// Twilio error codes its classifier calls "undeliverable" that say nothing about the customer's number (our
// content, our account, carrier filtering): blocking the customer's SMS for them would punish the wrong party.
const TWILIO_NOT_ADDRESS_CODES = new Set([21408, 21602, 21608, 21617, 30007, 30008]);

/** Query strings (WhatsApp's hub.verify_token, whatever an operator put in a Twilio URL) stay out of the log. */
const redactedRequestLog = {
  req: (req: FastifyRequest) => ({ method: req.method, url: req.url.split('?')[0], remoteAddress: req.ip }),
};

export async function webhookRoutes(app: FastifyInstance, opts: WebhookOptions): Promise<void> {
  if (!opts.secret) throw new Error('webhookRoutes: secret is required');
  const { sink, secret } = opts;
  const now = opts.now ?? Date.now;
  const at = () => new Date(now()).toISOString();
  const publicUrl = opts.publicUrl.replace(/\/+$/, '');
  const routeOpts = { logSerializers: redactedRequestLog };

  // Signatures cover the bytes as sent, so bodies stay raw in this scope; handlers parse after verifying.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );

  // Scoped to the webhooks: a sink outage becomes a 5xx the provider retries, logged without the payload.
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.status(err.statusCode).send({ error: { code: err.code ?? 'bad_request', message: err.message } });
    }
    request.log.error({ error: describeError(err) }, 'webhook failed');
    return reply
      .status(500)
      .send({ error: { code: 'internal', message: 'internal error; see the server log for request ' + request.id } });
  });

  /** Records the events for whoever owns `key`; false (and nothing recorded) when nobody does. */
  async function deliver(request: FastifyRequest, key: string, events: CustomerEvent[]): Promise<boolean> {
    const customerId = await sink.findCustomerByContactKey(key);
    if (customerId === undefined) {
      request.log.info({ eventIds: events.map((e) => e.eventId) }, 'webhook for an unknown contact ignored');
      return false;
    }
    for (const event of events) {
      try {
        await sink.recordCustomerEvent(customerId, event);
      } catch (err) {
        // The lifecycle is gone (e.g. purged): same as an unknown customer, not worth a retry storm.
        if (isNotFound(err)) return false;
        throw err;
      }
    }
    request.log.info({ events: events.map((e) => ({ type: e.type, eventId: e.eventId })) }, 'webhook recorded');
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Twilio: form posts signed with X-Twilio-Signature over the full URL and the sorted params.
  // -------------------------------------------------------------------------------------------
  if (opts.twilioAuthToken) {
    const authToken = opts.twilioAuthToken;
    const verified = (request: FastifyRequest): Map<string, string[]> | undefined => {
      const params = formParams(request.body);
      const header = headerOf(request, 'x-twilio-signature');
      const expected = twilioSignature(authToken, publicUrl + request.url, params);
      return header !== undefined && safeEqualText(header, expected) ? params : undefined;
    };
    const twiml = (reply: FastifyReply) => reply.status(200).type('text/xml').send(EMPTY_TWIML);

    app.post('/webhooks/twilio/inbound', routeOpts, async (request, reply) => {
      const params = verified(request);
      if (!params) return unauthorized(reply, 'missing or invalid X-Twilio-Signature');
      const sid = first(params, 'MessageSid');
      const from = first(params, 'From');
      if (!sid || !from) return twiml(reply);
      const base = { source: 'sms', eventId: `twilio:${sid}`, at: at() };
      const word = keywordOf(first(params, 'Body'));
      const event: CustomerEvent =
        word && OPT_OUT_KEYWORDS.has(word)
          ? { type: 'opt-out', channel: 'sms', scope: 'all', ...base }
          : word && SMS_OPT_IN_KEYWORDS.has(word)
            ? { type: 'opt-in', channel: 'sms', scope: 'all', ...base }
            : { type: 'inbound', channel: 'sms', ...base };
      await deliver(request, contactKey(secret, 'sms', from), [event]);
      // Empty TwiML: Twilio sends its own STOP/START confirmations.
      return twiml(reply);
    });

    app.post('/webhooks/twilio/status', routeOpts, async (request, reply) => {
      const params = verified(request);
      if (!params) return unauthorized(reply, 'missing or invalid X-Twilio-Signature');
      const sid = first(params, 'MessageSid');
      const status = first(params, 'MessageStatus');
      const to = first(params, 'To');
      if (!sid || !to || (status !== 'undelivered' && status !== 'failed')) return twiml(reply);
      const code = Number(first(params, 'ErrorCode'));
      const errorCode = Number.isInteger(code) && code > 0 ? code : undefined;
      const kind = twilioErrorKind(errorCode);
      const problem =
        kind === 'opted-out'
          ? 'opted-out'
          : kind === 'undeliverable' && !TWILIO_NOT_ADDRESS_CODES.has(errorCode ?? 0)
            ? 'invalid-address'
            : 'undelivered';
      // Source 'sms' like STOP, so a later START undoes a 21610 opt-out too.
      await deliver(request, contactKey(secret, 'sms', to), [
        {
          type: 'delivery-problem',
          channel: 'sms',
          problem,
          source: 'sms',
          eventId: `twilio-status:${sid}:${status}`,
          at: at(),
        },
      ]);
      return twiml(reply);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Resend: Svix-signed JSON (svix-id, svix-timestamp, svix-signature).
  // -------------------------------------------------------------------------------------------
  if (opts.resendWebhookSecret) {
    const key = svixKey(opts.resendWebhookSecret);
    app.post('/webhooks/resend', routeOpts, async (request, reply) => {
      const raw = rawOf(request.body);
      const id = headerOf(request, 'svix-id');
      const timestamp = headerOf(request, 'svix-timestamp');
      const signature = headerOf(request, 'svix-signature');
      if (!id || !timestamp || !signature || !verifySvix(key, id, timestamp, signature, raw, now())) {
        return unauthorized(reply, 'missing, invalid or expired svix signature');
      }
      const event = resendEventSchema.safeParse(parseJson(raw));
      if (!event.success) return reply.status(400).send(badRequest('not a Resend webhook event'));
      const { type, data } = event.data;
      const problem =
        type === 'email.bounced'
          ? data.bounce?.type === 'Permanent'
            ? 'hard-bounce'
            : 'soft-bounce'
          : type === 'email.complained'
            ? 'complaint'
            : type === 'email.suppressed'
              ? 'hard-bounce'
              : undefined;
      const to = Array.isArray(data.to) ? data.to[0] : data.to;
      if (problem && to) {
        await deliver(request, contactKey(secret, 'email', to), [
          { type: 'delivery-problem', channel: 'email', problem, source: 'resend', eventId: `resend:${id}`, at: at() },
        ]);
      }
      return { ok: true };
    });
  }

  // -------------------------------------------------------------------------------------------
  // Telegram: updates authenticated by the secret token given to setWebhook.
  // -------------------------------------------------------------------------------------------
  if (opts.telegram) {
    const tg = opts.telegram;
    if (!tg.webhookSecret) throw new Error('webhookRoutes: telegram.webhookSecret is required');
    // The bot is shared; the update being handled travels with the async context.
    const current = new AsyncLocalStorage<{ request: FastifyRequest; updateId: number }>();
    const context = () => {
      const store = current.getStore();
      if (!store) throw new Error('telegram handler ran outside a webhook request');
      return store;
    };
    const bot = createTelegramBot({
      botToken: tg.botToken,
      apiRoot: tg.apiRoot,
      botInfo: tg.botInfo,
      async onStart({ chatId, payload }) {
        const { request, updateId } = context();
        const eventId = `telegram:${updateId}`;
        const optIn = (id: string): CustomerEvent => ({
          type: 'opt-in',
          channel: 'telegram',
          scope: 'all',
          source: 'telegram',
          eventId: id,
          at: at(),
        });
        if (payload === undefined) {
          // A bare /start from a linked chat: resubscribe after /stop.
          const ok = await deliver(request, contactKey(secret, 'telegram', chatId), [optIn(eventId)]);
          return ok ? TELEGRAM_CONNECTED : TELEGRAM_NOT_LINKED;
        }
        const link = verifyShortToken(secret, 'telegram-link', payload, now());
        if (!link.ok) return TELEGRAM_EXPIRED;
        const linked: CustomerEvent = {
          type: 'telegram-linked',
          chatId,
          linkToken: payload,
          contactKey: contactKey(secret, 'telegram', chatId),
          source: 'telegram',
          eventId: `${eventId}:linked`,
          at: at(),
        };
        // A /start after /stop re-subscribes, so linking also opts in.
        const ok = await deliver(request, contactKey(secret, 'telegram-link', link.id), [
          linked,
          optIn(`${eventId}:opt-in`),
        ]);
        return ok ? TELEGRAM_CONNECTED : TELEGRAM_EXPIRED;
      },
      async onStop(chatId) {
        const { request, updateId } = context();
        await deliver(request, contactKey(secret, 'telegram', chatId), [
          {
            type: 'opt-out',
            channel: 'telegram',
            scope: 'all',
            source: 'telegram',
            eventId: `telegram:${updateId}`,
            at: at(),
          },
        ]);
        return TELEGRAM_STOPPED;
      },
    });

    app.post('/webhooks/telegram', routeOpts, async (request, reply) => {
      const token = headerOf(request, 'x-telegram-bot-api-secret-token');
      if (token === undefined || !safeEqualText(token, tg.webhookSecret)) {
        return reply
          .status(403)
          .send({ error: { code: 'forbidden', message: 'missing or invalid X-Telegram-Bot-Api-Secret-Token' } });
      }
      const update = parseJson(rawOf(request.body));
      const updateId = (update as { update_id?: unknown } | undefined)?.update_id;
      if (typeof updateId !== 'number') return reply.status(400).send(badRequest('not a Telegram update'));
      try {
        await current.run({ request, updateId }, () => handleTelegramUpdate(bot, update));
      } catch (err) {
        // The events are recorded before the reply; a reply Telegram refuses (bot blocked, chat gone) won't
        // succeed on redelivery either. Anything else (sink, getMe, 429, 5xx) is retried by Telegram.
        const refused =
          err instanceof TelegramError &&
          (err.on as { method?: unknown }).method === 'sendMessage' &&
          err.code >= 400 &&
          err.code < 500 &&
          err.code !== 429;
        if (!refused) throw err;
        request.log.warn({ error: describeError(err) }, 'telegram reply refused');
      }
      return { ok: true };
    });
  }

  // -------------------------------------------------------------------------------------------
  // WhatsApp Cloud API: GET subscription handshake, POSTs signed with X-Hub-Signature-256.
  // -------------------------------------------------------------------------------------------
  if (opts.whatsapp) {
    const wa = opts.whatsapp;
    app.get('/webhooks/whatsapp', routeOpts, async (request, reply) => {
      const challenge = verifyWebhookChallenge(request.query as Record<string, unknown>, wa.verifyToken);
      if (challenge === undefined) {
        return reply.status(403).send({ error: { code: 'forbidden', message: 'verify token does not match' } });
      }
      return reply
        .status(200)
        .type('text/plain; charset=utf-8')
        .header('x-content-type-options', 'nosniff')
        .send(challenge);
    });

    app.post('/webhooks/whatsapp', routeOpts, async (request, reply) => {
      const raw = rawOf(request.body);
      if (!verifySignature256(raw, headerOf(request, 'x-hub-signature-256'), wa.appSecret)) {
        return unauthorized(reply, 'missing or invalid X-Hub-Signature-256');
      }
      const body = parseJson(raw);
      if (body === undefined) return reply.status(400).send(badRequest('body is not JSON'));
      let events;
      try {
        events = parseWebhookPayload(body);
      } catch {
        // Signed by Meta but another object type (page, instagram…): nothing for us, and no redelivery.
        return { ok: true };
      }
      for (const e of events) {
        if (e.type === 'message') {
          const base = { source: 'whatsapp', at: at() };
          // Any message opens the 24-hour window.
          const list: CustomerEvent[] = [
            { type: 'inbound', channel: 'whatsapp', eventId: `whatsapp:${e.id}`, ...base },
          ];
          const word = keywordOf(e.text);
          if (word && OPT_OUT_KEYWORDS.has(word)) {
            list.push({
              type: 'opt-out',
              channel: 'whatsapp',
              scope: 'all',
              eventId: `whatsapp:${e.id}:opt-out`,
              ...base,
            });
          } else if (word && WHATSAPP_OPT_IN_KEYWORDS.has(word)) {
            list.push({
              type: 'opt-in',
              channel: 'whatsapp',
              scope: 'all',
              eventId: `whatsapp:${e.id}:opt-in`,
              ...base,
            });
          }
          await deliver(request, contactKey(secret, 'whatsapp', `+${e.from}`), list);
        } else if (e.status === 'failed') {
          await deliver(request, contactKey(secret, 'whatsapp', `+${e.recipientId}`), [
            {
              type: 'delivery-problem',
              channel: 'whatsapp',
              problem: whatsappProblem(e),
              source: 'whatsapp',
              eventId: `whatsapp:${e.id}:${e.status}`,
              at: at(),
            },
          ]);
        }
      }
      return { ok: true };
    });
  }
}

/**
 * Registers the webhooks and the unsubscribe pages, each in its own encapsulated scope, so their
 * raw-body and form parsers (and error handlers) never reach the /v1 routes.
 */
export async function registerInboundRoutes(
  app: FastifyInstance,
  opts: WebhookOptions & { brandName: string },
): Promise<void> {
  const { brandName, ...webhookOpts } = opts;
  await app.register(webhookRoutes, webhookOpts);
  await app.register(unsubscribeRoutes, {
    sink: opts.sink,
    secret: opts.secret,
    brandName,
    ...(opts.now ? { now: opts.now } : {}),
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const resendEventSchema = z.object({
  type: z.string(),
  data: z.object({
    to: z.union([z.array(z.string()), z.string()]).optional(),
    bounce: z.object({ type: z.string().optional() }).optional(),
  }),
});

/**
 * Only "message undeliverable" (not on WhatsApp, or can't receive) is about the number. Other permanent
 * failures (template errors, outside the 24 h window, invalid parameters) are ours to fix and must not block
 * the customer's channel.
 */
function whatsappProblem(e: Parameters<typeof deliveryErrorForStatus>[0]): 'invalid-address' | 'undelivered' {
  const err = deliveryErrorForStatus(e);
  return err instanceof PermanentDeliveryError && e.errors?.[0]?.code === GraphErrorCode.messageUndeliverable
    ? 'invalid-address'
    : 'undelivered';
}

/** The single keyword a message consists of (upper-cased), if it is one word. */
function keywordOf(text: string | undefined): string | undefined {
  const word = text?.trim().toUpperCase();
  return word && /^[A-Z]+$/.test(word) ? word : undefined;
}

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : Array.isArray(value) ? value[0] : undefined;
}

function rawOf(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  return Buffer.from(typeof body === 'string' ? body : '', 'utf8');
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

function formParams(body: unknown): Map<string, string[]> {
  const params = new Map<string, string[]>();
  for (const [k, v] of new URLSearchParams(typeof body === 'string' ? body : '')) {
    params.set(k, [...(params.get(k) ?? []), v]);
  }
  return params;
}

function first(params: Map<string, string[]>, name: string): string | undefined {
  return params.get(name)?.[0];
}

/** base64(HMAC-SHA1(authToken, url + each name+value, names sorted; repeated values deduplicated, sorted)). */
export function twilioSignature(authToken: string, url: string, params: Map<string, string[]>): string {
  let data = url;
  for (const name of [...params.keys()].sort()) {
    for (const value of [...new Set(params.get(name))].sort()) data += name + value;
  }
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

function svixKey(secret: string): Buffer {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  if (key.length === 0) throw new Error('webhookRoutes: resendWebhookSecret is not a whsec_… secret');
  return key;
}

/** Svix / Standard Webhooks: any `v1,<base64 HMAC-SHA256(key, id.timestamp.body)>` in the header matches. */
export function verifySvix(
  key: Buffer,
  id: string,
  timestamp: string,
  header: string,
  raw: Buffer,
  nowMs: number,
): boolean {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowMs - Number(timestamp) * 1000) > SVIX_TOLERANCE_MS) return false;
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`, 'utf8').update(raw).digest('base64');
  return header
    .split(' ')
    .map((part) => part.split(','))
    .some(([version, signature]) => version === 'v1' && signature !== undefined && safeEqualText(signature, expected));
}

/** Hashing first gives equal lengths, so neither content nor length leaks through timing. */
function safeEqualText(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

function unauthorized(reply: FastifyReply, message: string) {
  return reply.status(401).send({ error: { code: 'invalid_signature', message } });
}

function badRequest(message: string) {
  return { error: { code: 'bad_request', message } };
}

function isNotFound(err: unknown): boolean {
  const e = err as { status?: unknown; statusCode?: unknown } | null;
  return typeof e === 'object' && e !== null && (e.status === 404 || e.statusCode === 404);
}
