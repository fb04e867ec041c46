import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CustomerEventSink } from './sink';

/** What every provider's webhook routes share. */
export interface InboundContext {
  sink: CustomerEventSink;
  /** AFTERCARE_SECRET: contact keys and tokens. */
  secret: string;
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
