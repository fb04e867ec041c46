import { createHash } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowIdReusePolicy } from '@temporalio/common';
import {
  advanceStageUpdate,
  consentInputSchema,
  customerPatchSchema,
  getStatsQuery,
  STAT_METRICS,
  statsWorkflowId,
  updateCustomerUpdate,
  type StatMetric,
  type StatsState,
  feedbackInputSchema,
  reviewClickedSignal,
  submitFeedbackUpdate,
  currencyDigits,
  customerEventSignal,
  customerLifecycleId,
  DEFAULT_TASK_QUEUE,
  getCustomerQuery,
  getJourneyQuery,
  JourneyErrorType,
  orderInputSchema,
  orderJourneyId,
  SA,
  stageUpdateSchema,
  type ConsentInput,
  type FeedbackInput,
  type CustomerEvent,
  type CustomerLifecycleState,
  type Order,
  type OrderInput,
  type OrderJourneyState,
  type StageUpdateInput,
  type StageUpdateResult,
} from './contract';
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from './errors';
import { formatPath, type Playbook } from './playbook/schema';
import type { orderJourney } from './workflows';
import type { CustomerEventSink } from './api/customer-events';
import { recordStatWith } from './stats';
import type { z } from 'zod';

export interface AftercareClientOptions {
  client: Client;
  /** The playbook new journeys run by (frozen into each journey at start). */
  playbook: Playbook;
  taskQueue?: string;
  now?: () => Date;
}

export interface StatsView {
  periods: StatsState['counts'];
  totals: Record<string, Record<StatMetric, number>>;
  /** (answered + converted) / sent, per kind. */
  responseRate: Record<string, number>;
}

export interface StartResult {
  orderId: string;
  workflowId: string;
  /** False when the order already had a journey: the same journey is returned, none is started. */
  created: boolean;
}

/**
 * The typed way into Aftercare, for businesses' own TypeScript code and for the HTTP API alike.
 * Every method validates its input with the contract's schemas before Temporal sees it.
 */
export class AftercareClient implements CustomerEventSink {
  private readonly client: Client;
  private readonly playbook: Playbook;
  private readonly taskQueue: string;
  private readonly now: () => Date;

  constructor(opts: AftercareClientOptions) {
    this.client = opts.client;
    this.playbook = opts.playbook;
    this.taskQueue = opts.taskQueue ?? DEFAULT_TASK_QUEUE;
    this.now = opts.now ?? (() => new Date());
  }

  /** Starts the order's journey, or returns the existing one for a repeated request. */
  async startOrderJourney(input: OrderInput | unknown): Promise<StartResult> {
    return this.startValidatedOrder(parse(orderInputSchema, input));
  }

  async startValidatedOrder(order: Order): Promise<StartResult> {
    const workflowId = orderJourneyId(order.orderId);
    const orderHash = hashOrder(order);
    const digits = currencyDigits(order.currency);
    const total = `${(order.totalMinor / 10 ** digits).toFixed(digits)} ${order.currency}`;
    try {
      await this.client.workflow.start<typeof orderJourney>('orderJourney', {
        workflowId,
        taskQueue: this.taskQueue,
        args: [{ order, playbook: this.playbook, receivedAt: this.now().toISOString() }],
        // One journey per order, ever: a finished order is not started again either.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        workflowIdConflictPolicy: 'FAIL',
        typedSearchAttributes: [
          { key: SA.orderId, value: order.orderId },
          { key: SA.customerId, value: order.customer.id },
          { key: SA.stage, value: this.playbook.stages[0]!.id },
        ],
        memo: { orderHash },
        staticSummary: `Order ${order.orderId} for customer ${order.customer.id}`,
        staticDetails: `${order.items.length} item(s), total ${total}; stages: ${this.playbook.stages.map((s) => s.id).join(' → ')}`,
      });
      return { orderId: order.orderId, workflowId, created: true };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const existing = await this.client.workflow.getHandle(workflowId).describe();
      if (existing.memo?.orderHash !== orderHash) {
        throw new ConflictError(
          `order ${order.orderId} already has a journey, started with different content; use a new orderId or send stage updates`,
          'order_exists_with_different_content',
        );
      }
      return { orderId: order.orderId, workflowId, created: false };
    }
  }

  /** Moves an order to a later stage, or sends a delay/problem notice (stage "delayed" / "problem"). */
  async advanceStage(orderId: string, update: StageUpdateInput | unknown): Promise<StageUpdateResult> {
    const parsed = parse(stageUpdateSchema, update);
    const handle = this.client.workflow.getHandle<typeof orderJourney>(orderJourneyId(orderId));
    try {
      return await handle.executeUpdate(advanceStageUpdate, { args: [parsed] });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        if (err.cause.type === JourneyErrorType.unknownStage)
          throw new UnprocessableError(err.cause.message, 'unknown_stage');
        if (err.cause.type === JourneyErrorType.stageOutOfOrder)
          throw new ConflictError(err.cause.message, 'stage_out_of_order');
        if (err.cause.type === JourneyErrorType.journeyCompleted)
          throw new ConflictError(err.cause.message, 'journey_completed');
      }
      if (err instanceof WorkflowNotFoundError) throw await this.notFoundOrClosed(orderId);
      throw err;
    }
  }

  async getOrderJourney(orderId: string): Promise<OrderJourneyState> {
    try {
      return await this.client.workflow.getHandle(orderJourneyId(orderId)).query(getJourneyQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`no order "${orderId}"`);
      throw err;
    }
  }

  async getCustomer(customerId: string): Promise<CustomerLifecycleState> {
    try {
      return await this.client.workflow.getHandle(customerLifecycleId(customerId)).query(getCustomerQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`no customer "${customerId}"`);
      throw err;
    }
  }

  /** Records the customer's satisfaction answer (survey page, or the business's own channel). */
  async submitFeedback(
    orderId: string,
    input: FeedbackInput | unknown,
  ): Promise<{ accepted: true; replaced: boolean }> {
    const feedback = parse(feedbackInputSchema, input);
    const handle = this.client.workflow.getHandle<typeof orderJourney>(orderJourneyId(orderId));
    try {
      return await handle.executeUpdate(submitFeedbackUpdate, { args: [feedback] });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        if (err.cause.type === JourneyErrorType.feedbackClosed)
          throw new ConflictError(err.cause.message, 'feedback_closed');
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

  /** Counts a click on a review link sent for this order. */
  async recordReviewClick(orderId: string, eventId: string): Promise<void> {
    await recordStatWith(this.client, this.taskQueue, {
      kind: 'review_request',
      metric: 'converted',
      eventId: `review-click:${orderId}`,
      at: this.now().toISOString(),
    });
    try {
      await this.client.workflow
        .getHandle(orderJourneyId(orderId))
        .signal(reviewClickedSignal, { eventId, at: this.now().toISOString() });
    } catch (err) {
      // A click after the journey ended is still a click the customer made: the redirect must work.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }

  /** Durable follow-up counts: per month and kind, how many were sent, answered and converted. */
  async getStats(): Promise<StatsView> {
    let state: StatsState;
    try {
      state = await this.client.workflow.getHandle(statsWorkflowId(this.taskQueue)).query(getStatsQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) state = { counts: {}, seen: [], generation: 0 };
      else throw err;
    }
    const totals: StatsView['totals'] = {};
    for (const byKind of Object.values(state.counts)) {
      for (const [kind, metrics] of Object.entries(byKind)) {
        const t = (totals[kind] ??= { sent: 0, answered: 0, converted: 0 });
        for (const m of STAT_METRICS) t[m] += metrics[m] ?? 0;
      }
    }
    const rates = Object.fromEntries(
      Object.entries(totals).map(([kind, t]) => [
        kind,
        t.sent ? Math.round(((t.converted + t.answered) / t.sent) * 1000) / 1000 : 0,
      ]),
    );
    return { periods: state.counts, totals, responseRate: rates };
  }

  /** Notes and preferences the business keeps about a customer. */
  async updateCustomer(customerId: string, input: unknown): Promise<CustomerLifecycleState> {
    const patch = parse(customerPatchSchema, input);
    try {
      return await this.client.workflow
        .getHandle(customerLifecycleId(customerId))
        .executeUpdate(updateCustomerUpdate, { args: [patch] });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`no customer "${customerId}"`);
      if (err instanceof WorkflowUpdateFailedError)
        throw new NotFoundError(`no customer "${customerId}" with an order yet`);
      throw err;
    }
  }

  /** Finds the customer whose lifecycle carries this contact key (webhooks name contacts, not customers). */
  async findCustomerByContactKey(key: string): Promise<string | undefined> {
    const query = `${SA.contactKeys.name} = "${key.replace(/[^A-Za-z0-9_-]/g, '')}" AND WorkflowType = "customerLifecycle" AND ExecutionStatus = "Running"`;
    for await (const wf of this.client.workflow.list({ query, pageSize: 1 })) {
      const id = wf.typedSearchAttributes.get(SA.customerId);
      if (id) return id;
    }
    return undefined;
  }

  /** Hands a consent or delivery event to the customer's lifecycle; replayed event ids change nothing. */
  async recordCustomerEvent(customerId: string, event: CustomerEvent): Promise<void> {
    try {
      await this.client.workflow.getHandle(customerLifecycleId(customerId)).signal(customerEventSignal, event);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`no customer "${customerId}"`);
      throw err;
    }
  }

  /** The business records consent given or withdrawn (e.g. at the counter, by phone). */
  async setConsent(customerId: string, input: ConsentInput | unknown): Promise<CustomerLifecycleState> {
    const consent = parse(consentInputSchema, input);
    const at = this.now().toISOString();
    await this.recordCustomerEvent(customerId, {
      type: consent.granted ? 'opt-in' : 'opt-out',
      channel: consent.channel,
      scope: consent.purpose === 'marketing' ? 'marketing' : 'all',
      source: consent.source ?? 'api',
      eventId: consent.eventId ?? `api-${customerId}-${at}-${consent.purpose}-${consent.channel}-${consent.granted}`,
      at,
    });
    return this.getCustomer(customerId);
  }

  /** An update to a closed workflow also reports "not found": tell the two apart for the caller. */
  private async notFoundOrClosed(orderId: string): Promise<Error> {
    try {
      const d = await this.client.workflow.getHandle(orderJourneyId(orderId)).describe();
      return new ConflictError(
        `order ${orderId}'s journey has ended (${d.status.name}); it accepts no more stage events`,
        'journey_completed',
      );
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return new NotFoundError(`no order "${orderId}"`);
      throw err;
    }
  }
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ValidationError(
      'the request does not match the contract',
      result.error.issues.map((i) => ({ path: formatPath(i.path) || '(body)', message: i.message })),
    );
  }
  return result.data;
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
