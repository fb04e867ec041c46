/**
 * The delivery errors every adapter throws, generic across vendors: only adapters know vendor codes,
 * and they translate them into one of these. Each class carries what Temporal needs: whether to retry
 * (`retry`), after how long (throttled), and the failure type the journey reads to pick the next
 * channel and to tell the customer's lifecycle what it learned about the address. Pure: the failure
 * type names are imported by workflows.
 */

/** Failure types of the send activity, one per error class below. */
export const DeliveryFailureType = {
  permanent: 'PermanentDeliveryFailure',
  optedOut: 'RecipientOptedOut',
  unreachable: 'ChannelUnreachable',
  invalidAddress: 'InvalidAddress',
  throttled: 'ProviderThrottled',
  transient: 'TransientDeliveryFailure',
  notConfigured: 'ChannelNotConfigured',
  outcomeUnknown: 'DeliveryOutcomeUnknown',
} as const;
export type DeliveryFailureType = (typeof DeliveryFailureType)[keyof typeof DeliveryFailureType];

/** What a delivery failure, a bounce or a status callback says about the customer's address on a channel. */
export type DeliveryProblem =
  'hard-bounce' | 'soft-bounce' | 'complaint' | 'undelivered' | 'blocked' | 'invalid-address' | 'opted-out';

export abstract class DeliveryError extends Error {
  abstract readonly retry: 'never' | 'after-delay' | 'backoff';
  abstract readonly failureType: DeliveryFailureType;
  /**
   * True when the provider surely did not accept the message (it answered with a refusal, or the request never
   * reached it), so a retry cannot duplicate it. False when it may have (a timeout after the request went out).
   * Read by the send activity for providers without an idempotency key (see ChannelAdapter.keyless).
   */
  notSent = false;
  constructor(
    message: string,
    readonly provider: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** Says the provider surely did not accept the message (see `notSent`); returns the error, for `throw`. */
  surelyNotSent(): this {
    this.notSent = true;
    return this;
  }
}

/** The provider will never accept this message (validation, content, account): try another channel. */
export class PermanentDeliveryError extends DeliveryError {
  readonly retry = 'never' as const;
  readonly failureType: DeliveryFailureType = DeliveryFailureType.permanent;
}

/** The recipient opted out with the provider (SMS STOP): nothing reaches them there until they opt in. */
export class RecipientOptedOutError extends PermanentDeliveryError {
  override readonly failureType = DeliveryFailureType.optedOut;
}

/** The address can't receive from us (blocked bot, deleted account): unreachable until the customer re-links. */
export class ChannelUnreachableError extends PermanentDeliveryError {
  override readonly failureType = DeliveryFailureType.unreachable;
}

/** The address itself is wrong (not a number, not a mobile number): it will never work. */
export class InvalidAddressError extends PermanentDeliveryError {
  override readonly failureType = DeliveryFailureType.invalidAddress;
}

/** No adapter serves this channel in this deployment. */
export class ChannelNotConfiguredError extends PermanentDeliveryError {
  override readonly failureType = DeliveryFailureType.notConfigured;
}

/**
 * The provider may or may not have accepted the message: an earlier attempt died or failed after its request went
 * out, or the answer was lost. For a provider without an idempotency key a resend may put a second copy on the
 * customer's phone, so this is permanent: never resent blindly. The journey records the attempt as failed with this
 * type (an operator sees "DeliveryOutcomeUnknown" and can check the provider's logs) and says nothing about the address.
 */
export class OutcomeUnknownError extends PermanentDeliveryError {
  override readonly failureType = DeliveryFailureType.outcomeUnknown;
}

/** The provider asked us to slow down: retry after its delay, with the same idempotency key. */
export class ThrottledDeliveryError extends DeliveryError {
  readonly retry = 'after-delay' as const;
  readonly failureType = DeliveryFailureType.throttled;
  /** A throttle is a refusal: nothing was accepted. */
  override notSent = true;
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

/** Outage, 5xx, network, an operator's misconfiguration: retry with backoff, with the same idempotency key. */
export class TransientDeliveryError extends DeliveryError {
  readonly retry = 'backoff' as const;
  readonly failureType = DeliveryFailureType.transient;
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
