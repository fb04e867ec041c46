import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Channel } from '../../channels/types';
import { contactKey } from '../../channels/contact-keys';
import type { Keys } from '../../lib/keys';
import type { ShopOutcome } from '../../shops/outcome';
import type { ReplyRouter } from '../../gateway/inbound-reply';
import type { CustomerEventSink } from './sink';

/** What every provider's webhook routes share. */
export interface InboundContext {
  sink: CustomerEventSink;
  /** Where what a customer writes back goes (its order's journey, or their lifecycle); absent: an inbound event only. */
  replies?: ReplyRouter;
  /** Contact keys and link tokens. */
  keys: Keys;
  /** The URL providers call us at, without a trailing slash (Twilio signs the full URL). */
  publicUrl: string;
  now: () => number;
  at: () => string;
  /** Keeps query strings (WhatsApp's hub.verify_token, whatever an operator put in a URL) out of the log. */
  routeOpts: { logSerializers: { req: (req: FastifyRequest) => Record<string, unknown> } };
}

export function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : Array.isArray(value) ? value[0] : undefined;
}

/** Signatures cover the bytes as sent: bodies stay raw in the webhooks' scope. */
export function rawOf(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  return Buffer.from(typeof body === 'string' ? body : '', 'utf8');
}

export function unauthorized(reply: FastifyReply, message: string) {
  return reply.status(401).send({ error: { code: 'invalid_signature', message } });
}

export function badRequest(message: string) {
  return { error: { code: 'bad_request', message } };
}

/**
 * The keys a contact may be stored under: its key today, and the key of releases before subkeys
 * (lifecycles not yet refreshed by a new order still carry that one).
 */
export function keysOfContact(keys: Keys, channel: Channel | 'telegram-link', address: string): string[] {
  return [contactKey(keys.contacts, channel, address), contactKey(keys.legacy, channel, address)];
}

/**
 * A shop's event handled within the shop's time budget: its outcome, or 'late' once the budget has passed. Late
 * work goes on and may still land (every effect is idempotent); its failure then is nobody's to answer.
 */
export async function withinBudget<T>(work: Promise<T>, budgetMs: number): Promise<T | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), budgetMs);
  });
  try {
    const result = await Promise.race([work, late]);
    if (result === 'late') work.catch(() => undefined);
    return result;
  } finally {
    clearTimeout(timer);
  }
}

/** A shop event's outcome in the log (ids, codes and field names only) and in the 200 answer. */
export function answerShopOutcome(
  request: FastifyRequest,
  message: string,
  log: Record<string, unknown>,
  result: ShopOutcome,
) {
  request.log[result.outcome === 'invalid' ? 'warn' : 'info'](
    { ...log, outcome: result.outcome, ...(result.orderId ? { orderId: result.orderId } : {}), detail: result.detail },
    message,
  );
  return { ok: true, outcome: result.outcome };
}
