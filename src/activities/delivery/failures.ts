/** Delivery errors as Temporal failures: the error's class decides retries, whatever the vendor. */
import { ApplicationFailure } from '@temporalio/activity';
import { DeliveryError, ThrottledDeliveryError } from '../../channels/errors';

export function toActivityFailure(err: unknown): Error {
  if (!(err instanceof DeliveryError)) return err instanceof Error ? err : new Error(String(err));
  return ApplicationFailure.create({
    type: err.failureType,
    message: err.message,
    nonRetryable: err.retry === 'never',
    ...(err instanceof ThrottledDeliveryError ? { nextRetryDelay: err.retryAfterMs } : {}),
    details: [{ provider: err.provider, status: err.status, code: err.code }],
  });
}
