import type { Channel } from '../playbook/schema';

/**
 * One interface for every channel. An adapter turns a rendered message into one provider call and
 * reports failures as one of three DeliveryErrors, so retry behaviour is decided by the error's
 * class, never by string matching further up.
 */
export interface EmailContent {
  channel: 'email';
  to: string;
  from: string;
  subject: string;
  html: string;
  text: string;
  headers?: Record<string, string>;
}

export interface TextContent {
  channel: Exclude<Channel, 'email'>;
  /** E.164 phone number or chat id, depending on the channel. */
  to: string;
  text: string;
}

export type OutgoingContent = EmailContent | TextContent;

export interface OutgoingMessage<C extends OutgoingContent = OutgoingContent> {
  /** Derived from workflow id + message key (+ channel): the same message always has the same key. */
  idempotencyKey: string;
  content: C;
  /** Not sent to the provider: for the outbox, logs (no PII here) and tags. */
  meta: { kind: string; workflowId: string; messageKey: string; locale: string };
}

export interface SendResult {
  provider: string;
  providerMessageId: string;
}

export interface ChannelAdapter<C extends OutgoingContent = OutgoingContent> {
  readonly channel: C['channel'];
  /** e.g. "resend", "outbox". */
  readonly provider: string;
  send(message: OutgoingMessage<C>): Promise<SendResult>;
}

export abstract class DeliveryError extends Error {
  abstract readonly retry: 'never' | 'after-delay' | 'backoff';
  constructor(
    message: string,
    readonly provider: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The provider will never accept this message (bad address, validation, blocked): try another channel. */
export class PermanentDeliveryError extends DeliveryError {
  readonly retry = 'never' as const;
}

/** The provider asked us to slow down: retry after its delay, with the same idempotency key. */
export class ThrottledDeliveryError extends DeliveryError {
  readonly retry = 'after-delay' as const;
  constructor(
    message: string,
    provider: string,
    readonly retryAfterMs: number,
    status?: number,
    code?: string,
  ) {
    super(message, provider, status, code);
  }
}

/** Outage, 5xx, network: retry with backoff, with the same idempotency key. */
export class TransientDeliveryError extends DeliveryError {
  readonly retry = 'backoff' as const;
}

/** Parses Retry-After (seconds or HTTP date) into milliseconds; falls back when absent or odd. */
export function parseRetryAfter(value: string | null | undefined, now: number, fallbackMs = 1000): number {
  if (!value) return fallbackMs;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  if (Number.isFinite(date)) return Math.max(0, date - now);
  return fallbackMs;
}
