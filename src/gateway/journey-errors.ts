import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ConflictError, NotFoundError } from '../errors';
import { orderJourneyId } from '../workflows/order/contract';

/**
 * An update to a closed workflow also reports "not found": tell the two apart for the caller (409 with `refusal`
 * for a journey that ended, 404 for an order that never had one).
 */
export async function journeyEndedOrMissing(
  client: Client,
  orderId: string,
  refusal: string,
  tenant?: string,
): Promise<Error> {
  try {
    const d = await client.workflow.getHandle(orderJourneyId(orderId, tenant)).describe();
    return new ConflictError(
      `order ${orderId}'s journey has ended (${d.status.name}); ${refusal}`,
      'journey_completed',
    );
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return new NotFoundError(`no order "${orderId}"`);
    throw err;
  }
}

/** The error type a workflow's update validator rejected with, if that is what happened. */
export function updateFailureType(err: unknown): string | undefined {
  return err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure
    ? (err.cause.type ?? undefined)
    : undefined;
}

export function messageOf(err: unknown): string {
  return err instanceof WorkflowUpdateFailedError && err.cause ? err.cause.message : String(err);
}
