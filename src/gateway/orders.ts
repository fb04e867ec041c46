import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ConflictError, NotFoundError, UnprocessableError } from '../errors';
import type { Keys } from '../lib/keys';
import { updateIdFor, type RequestOptions } from './idempotency';
import { journeyEndedOrMissing, messageOf, updateFailureType } from './journey-errors';
import { OrderStart, type StartResult } from './order-start';
import { recordStatWith } from './stats';
import type { Playbook } from '../playbook/schema';
import {
  advanceStageUpdate,
  cancelOrderUpdate,
  recordRefundUpdate,
  type RefundInput,
  type RefundResult,
  type CancelOrderInput,
  type CancelOrderResult,
  getJourneyQuery,
  JourneyErrorType,
  orderJourneyId,
  reviewClickedSignal,
  submitFeedbackUpdate,
  type FeedbackInput,
  type Order,
  type OrderJourneyState,
  type OrderJourneyWorkflow,
  type StageUpdate,
  type StageUpdateResult,
} from '../workflows/order/contract';

// Starting a journey and telling Temporal's errors apart live beside this file; importers keep this path.
export type { StartResult } from './order-start';
export { journeyEndedOrMissing } from './journey-errors';

/**
 * The order journeys in Temporal, for validated input: starts, stage updates, answers and reads,
 * with Temporal's errors turned into Aftercare's (404, 409, 422).
 */
export class OrderGateway {
  private readonly starts: OrderStart;

  constructor(
    private readonly client: Client,
    private readonly playbook: Playbook,
    private readonly taskQueue: string,
    private readonly now: () => Date,
    keys: Pick<Keys, 'contacts'>,
    /** The client shares a NativeConnection with a worker in this process (npm start): start journeys eagerly. */
    eagerStart = false,
    /** Whose orders these are (undefined: the default tenant); every id it makes carries it. */
    private readonly tenant?: string,
  ) {
    this.starts = new OrderStart(client, playbook, taskQueue, now, keys, eagerStart, tenant);
  }

  /** The playbook this gateway's new journeys start with (frozen into each): the preview plans with it too. */
  get playbookOfNewJourneys(): Playbook {
    return this.playbook;
  }

  /**
   * Starts the order's journey, or returns the existing one for a repeated request. The order is recorded with
   * the customer's lifecycle first, and the journey starts with what it needs of the customer (lean path).
   */
  start(order: Order): Promise<StartResult> {
    return this.starts.start(order);
  }

  /** The order's journey's workflow id, in this gateway's tenant. */
  journeyIdOf(orderId: string): string {
    return orderJourneyId(orderId, this.tenant);
  }

  /** Moves an order to a later stage, or sends a delay/problem notice (stage "delayed" / "problem"). */
  async advanceStage(orderId: string, update: StageUpdate, opts: RequestOptions = {}): Promise<StageUpdateResult> {
    const handle = this.client.workflow.getHandle<OrderJourneyWorkflow>(orderJourneyId(orderId, this.tenant));
    const updateId = updateIdFor('stage', opts.requestId, update);
    try {
      return await handle.executeUpdate(advanceStageUpdate, { args: [update], ...(updateId ? { updateId } : {}) });
    } catch (err) {
      const type = updateFailureType(err);
      if (type === JourneyErrorType.unknownStage) throw new UnprocessableError(messageOf(err), 'unknown_stage');
      if (type === JourneyErrorType.stageOutOfOrder) throw new ConflictError(messageOf(err), 'stage_out_of_order');
      if (type === JourneyErrorType.journeyCompleted) throw new ConflictError(messageOf(err), 'journey_completed');
      if (type === JourneyErrorType.noticeRepeated) throw new ConflictError(messageOf(err), 'notice_repeated');
      if (type === JourneyErrorType.noticeLimit) throw new ConflictError(messageOf(err), 'notice_limit');
      if (err instanceof WorkflowNotFoundError) throw await this.notFoundOrClosed(orderId);
      throw err;
    }
  }

  /**
   * The business cancels the order: its customer is told, and every remaining message and follow-up stops. A repeat
   * (the same cancellation again, from a retry or a replayed shop webhook) changes nothing and says so.
   */
  async cancel(orderId: string, input: CancelOrderInput, opts: RequestOptions = {}): Promise<CancelOrderResult> {
    const handle = this.client.workflow.getHandle<OrderJourneyWorkflow>(orderJourneyId(orderId, this.tenant));
    const updateId = updateIdFor('cancel', opts.requestId, input);
    try {
      return await handle.executeUpdate(cancelOrderUpdate, { args: [input], ...(updateId ? { updateId } : {}) });
    } catch (err) {
      if (updateFailureType(err) === JourneyErrorType.journeyCompleted) {
        throw new ConflictError(messageOf(err), 'journey_completed');
      }
      if (updateFailureType(err) === JourneyErrorType.nothingToDo) {
        throw new UnprocessableError(messageOf(err), 'reason_required');
      }
      if (err instanceof WorkflowNotFoundError) {
        // The journey ended: if it ended cancelled, this is a repeat of that cancellation, and changes nothing.
        const ended = await this.endedState(orderId);
        if (ended?.status === 'cancelled') return { orderId, status: 'cancelled', alreadyCancelled: true };
        throw await this.notFoundOrClosed(orderId);
      }
      throw err;
    }
  }

  /**
   * Money back for the order: recorded once per refund id, told to the customer, taken off their spend and
   * cashback. A repeat changes nothing (applied: false).
   */
  async refund(orderId: string, input: RefundInput, opts: RequestOptions = {}): Promise<RefundResult> {
    const handle = this.client.workflow.getHandle<OrderJourneyWorkflow>(orderJourneyId(orderId, this.tenant));
    const updateId = updateIdFor('refund', opts.requestId, input);
    try {
      return await handle.executeUpdate(recordRefundUpdate, { args: [input], ...(updateId ? { updateId } : {}) });
    } catch (err) {
      if (updateFailureType(err) === JourneyErrorType.refundTooLarge) {
        throw new UnprocessableError(messageOf(err), 'refund_not_possible');
      }
      if (err instanceof WorkflowNotFoundError) {
        const ended = await this.endedState(orderId);
        const earlier = ended?.refunds?.find((r) => r.refundId === input.refundId);
        if (ended && earlier) {
          const refundedMinor = ended.refunds!.reduce((sum, r) => sum + r.amountMinor, 0);
          return { orderId, refundId: input.refundId, applied: false, refundedMinor };
        }
        throw await this.notFoundOrClosed(orderId);
      }
      throw err;
    }
  }

  /** A finished journey's last state (its result), if it finished. */
  private async endedState(orderId: string): Promise<OrderJourneyState | undefined> {
    try {
      const handle = this.client.workflow.getHandle<OrderJourneyWorkflow>(orderJourneyId(orderId, this.tenant));
      const { status } = await handle.describe();
      return status.name === 'COMPLETED' ? await handle.result() : undefined;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  async get(orderId: string): Promise<OrderJourneyState> {
    try {
      return await this.client.workflow.getHandle(orderJourneyId(orderId, this.tenant)).query(getJourneyQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`no order "${orderId}"`);
      throw err;
    }
  }

  /** Records the customer's satisfaction answer (survey page, or the business's own channel). */
  async submitFeedback(
    orderId: string,
    feedback: FeedbackInput,
    opts: RequestOptions = {},
  ): Promise<{ accepted: true; replaced: boolean }> {
    const handle = this.client.workflow.getHandle<OrderJourneyWorkflow>(orderJourneyId(orderId, this.tenant));
    const updateId = updateIdFor('feedback', opts.requestId, feedback);
    try {
      return await handle.executeUpdate(submitFeedbackUpdate, { args: [feedback], ...(updateId ? { updateId } : {}) });
    } catch (err) {
      if (updateFailureType(err) === JourneyErrorType.feedbackClosed) {
        throw new ConflictError(messageOf(err), 'feedback_closed');
      }
      if (err instanceof WorkflowNotFoundError) {
        const e = await this.notFoundOrClosed(orderId);
        throw e instanceof ConflictError
          ? new ConflictError(`order ${orderId}'s journey has ended; it takes no more answers`, 'feedback_closed')
          : e;
      }
      throw err;
    }
  }

  /** Counts a click on a review link sent for this order (for the review request's A/B variant, if it had one). */
  async recordReviewClick(orderId: string, eventId: string, variant?: string): Promise<void> {
    await recordStatWith(
      this.client,
      this.taskQueue,
      {
        kind: 'review_request',
        metric: 'converted',
        eventId: `review-click:${orderId}`,
        at: this.now().toISOString(),
        // The review request's A/B variant, from the link's signature.
        ...(variant ? { variant } : {}),
      },
      this.tenant,
    );
    try {
      await this.client.workflow
        .getHandle(orderJourneyId(orderId, this.tenant))
        .signal(reviewClickedSignal, { eventId, at: this.now().toISOString() });
    } catch (err) {
      // A click after the journey ended is still a click the customer made: the redirect must work.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }

  private notFoundOrClosed(orderId: string): Promise<Error> {
    return journeyEndedOrMissing(this.client, orderId, 'it accepts no more stage events', this.tenant);
  }
}
