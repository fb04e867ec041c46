import { createHash } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowIdReusePolicy } from '@temporalio/common';
import { recordStatWith } from '../activities/stats';
import { ConflictError, NotFoundError, UnprocessableError } from '../errors';
import { formatMinor } from '../lib/money';
import type { Keys } from '../lib/keys';
import { LeanStart } from './lean-start';
import { fairFor, tenantSearchAttributes } from '../workflows/tenant';
import { updateIdFor, type RequestOptions } from './idempotency';
import type { Playbook } from '../playbook/schema';
import { CUSTOMER_SA } from '../workflows/customer/contract';
import {
  advanceStageUpdate,
  cancelOrderUpdate,
  recordRefundUpdate,
  type RefundInput,
  type RefundResult,
  type CancelOrderInput,
  type CancelOrderResult,
  type OrderJourneyInput,
  getJourneyQuery,
  JourneyErrorType,
  ORDER_JOURNEY,
  ORDER_SA,
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
import { DETAILS_MAX_BYTES, fitBytes, summary } from '../lib/bounded-text';

export interface StartResult {
  orderId: string;
  workflowId: string;
  /** False when the order already had a journey: the same journey is returned, none is started. */
  created: boolean;
}

/**
 * The order journeys in Temporal, for validated input: starts, stage updates, answers and reads,
 * with Temporal's errors turned into Aftercare's (404, 409, 422).
 */
export class OrderGateway {
  private readonly customers: LeanStart;

  constructor(
    private readonly client: Client,
    private readonly playbook: Playbook,
    private readonly taskQueue: string,
    private readonly now: () => Date,
    keys: Pick<Keys, 'contacts'>,
    /** The client shares a NativeConnection with a worker in this process (npm start): start journeys eagerly. */
    private readonly eagerStart = false,
    /** Whose orders these are (undefined: the default tenant); every id it makes carries it. */
    private readonly tenant?: string,
  ) {
    this.customers = new LeanStart(client, taskQueue, keys, tenant);
  }

  /** The playbook this gateway's new journeys start with (frozen into each): the preview plans with it too. */
  get playbookOfNewJourneys(): Playbook {
    return this.playbook;
  }

  /**
   * Starts the order's journey, or returns the existing one for a repeated request. The order is recorded with
   * the customer's lifecycle first, and the journey starts with what it needs of the customer (lean path).
   */
  async start(order: Order): Promise<StartResult> {
    const orderHash = hashOrder(order);
    const receivedAt = this.now().toISOString();
    // An order id that has a journey already is answered before anything is recorded: the same order again (200),
    // or another order under its id (409), which must not reach the customer it names (their lifecycle would
    // start, or keep an order that is not theirs). Looked up beside the customer: no time added. Not billed. (Two
    // different orders sent under one new id at the same moment can still both reach their customers before one
    // journey wins; only the other gets the 409.)
    const [existing, customer] = await Promise.all([
      this.repeated(orderJourneyId(order.orderId, this.tenant), order.orderId, orderHash),
      this.customers.lookUp(order.customer.id),
    ]);
    if (existing) return existing;
    // Recorded with the customer first: a journey never runs for an order its customer does not know. A request
    // repeated before its journey started (the first one died in between) records nothing new (the lifecycle keeps
    // each order id once) and starts the journey.
    const lean = await this.customers.record(customer, order, this.playbook, receivedAt);
    return this.startJourney(order, orderHash, receivedAt, lean);
  }

  private async startJourney(
    order: Order,
    orderHash: string,
    receivedAt: string,
    customer: OrderJourneyInput['customer'] | undefined,
  ): Promise<StartResult> {
    const workflowId = orderJourneyId(order.orderId, this.tenant);
    try {
      await this.client.workflow.start<OrderJourneyWorkflow>(ORDER_JOURNEY, {
        workflowId,
        taskQueue: this.taskQueue,
        args: [{ order, playbook: this.playbook, receivedAt, ...(customer ? { customer } : {}), operatorTools: 1 }],
        // One journey per order, ever: a finished order is not started again either.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        // With a worker in this process (npm start), its first task comes back with the start: one hop less.
        ...(this.eagerStart ? { requestEagerStart: true } : {}),
        workflowIdConflictPolicy: 'FAIL',
        typedSearchAttributes: [
          { key: ORDER_SA.orderId, value: order.orderId },
          { key: CUSTOMER_SA.customerId, value: order.customer.id },
          { key: ORDER_SA.stage, value: this.playbook.stages[0]!.id },
          { key: ORDER_SA.waitingFor, value: 'stage-update' },
          ...tenantSearchAttributes(this.tenant),
        ],
        ...fairFor(this.tenant),
        memo: { orderHash },
        staticSummary: summary(`Order ${order.orderId} for customer ${order.customer.id}`),
        staticDetails: fitBytes(
          `${order.items.length} item(s), total ${formatMinor(order.totalMinor, order.currency)}; stages: ${this.playbook.stages.map((s) => s.id).join(' → ')}`,
          DETAILS_MAX_BYTES,
        ),
      });
      return { orderId: order.orderId, workflowId, created: true };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // A concurrent request with the same order won the start.
      return (await this.repeated(workflowId, order.orderId, orderHash))!;
    }
  }

  /** The order's journey already exists: the same order (200, nothing started) or another one (409). */
  private async repeated(workflowId: string, orderId: string, orderHash: string): Promise<StartResult | undefined> {
    let memo: Record<string, unknown> | undefined;
    try {
      memo = (await this.client.workflow.getHandle(workflowId).describe()).memo;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
    if (memo?.orderHash !== orderHash) {
      throw new ConflictError(
        `order ${orderId} already has a journey, started with different content; use a new orderId or send stage updates`,
        'order_exists_with_different_content',
      );
    }
    return { orderId, workflowId, created: false };
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
function updateFailureType(err: unknown): string | undefined {
  return err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure
    ? (err.cause.type ?? undefined)
    : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof WorkflowUpdateFailedError && err.cause ? err.cause.message : String(err);
}

/** Canonical hash of an order, to tell a repeated request from a different order with the same id. */
export function hashOrder(order: Order): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .filter(([, x]) => x !== undefined)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([k, x]) => [k, canonical(x)]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical(order)))
    .digest('hex');
}
