import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ConflictError, NotFoundError } from '../errors';
import { applyCustomerEventUpdate, customerLifecycleId, type CustomerEvent } from '../workflows/customer/contract';
import {
  cancelFollowUpsUpdate,
  changeWaitUpdate,
  getJourneyQuery,
  JourneyErrorType,
  ORDER_SA,
  orderJourneyId,
  resendMessageUpdate,
  retryMessageUpdate,
  skipMessageUpdate,
  type OperatorActionResult,
  type StuckReason,
} from '../workflows/order/contract';
import { updateIdFor, type RequestOptions, boundedUpdateId } from './idempotency';
import { journeyEndedOrMissing } from './orders';
import { tenantClause } from '../workflows/tenant';
import { STUCK_JOURNEYS_QUERY } from './stuck';

/** `by`: who acts, kept with the action in the journey's events. */
export type JourneyAction = { by?: string } & (
  | { action: 'retry'; reason?: string }
  | { action: 'skip'; reason: string }
  | { action: 'resend'; messageKey: string; reason: string }
  | { action: 'change-wait'; until?: string; byMs?: number; reason: string }
  | { action: 'cancel'; reason: string }
);

export interface MarketingAction {
  action: 'pause-marketing' | 'resume-marketing';
  reason: string;
  until?: string;
}

export interface StuckJourney {
  orderId: string;
  workflowId: string;
  reason: StuckReason | 'workflow-task-failing';
  since?: string;
}

const UPDATES = {
  retry: retryMessageUpdate,
  skip: skipMessageUpdate,
  resend: resendMessageUpdate,
  'change-wait': changeWaitUpdate,
  cancel: cancelFollowUpsUpdate,
} as const;

/**
 * What operators do to journeys: the journey's own Updates (retry, skip, re-send, move a wait, cancel), pausing a
 * customer's marketing, and finding the stuck ones. A request's Idempotency-Key makes a retried request one action.
 */
export class OperationsGateway {
  constructor(
    private readonly client: Client,
    private readonly now: () => Date,
    /** Whose journeys these are (undefined: the default tenant). */
    private readonly tenant?: string,
  ) {}

  /** The order's journey's workflow id, in this gateway's tenant. */
  journeyIdOf(orderId: string): string {
    return orderJourneyId(orderId, this.tenant);
  }

  async act(orderId: string, request: JourneyAction, opts: RequestOptions = {}): Promise<OperatorActionResult> {
    const { action, ...input } = request;
    const handle = this.client.workflow.getHandle(orderJourneyId(orderId, this.tenant));
    const updateId = updateIdFor(`operator-${action}`, opts.requestId, input);
    try {
      // Each update's input is the request's own fields, as the contract types them.
      return await handle.executeUpdate(UPDATES[action] as typeof cancelFollowUpsUpdate, {
        args: [input as { reason: string }],
        ...(updateId ? { updateId } : {}),
      });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        if (err.cause.type === JourneyErrorType.nothingToDo)
          throw new ConflictError(err.cause.message, 'nothing_to_do');
      }
      if (err instanceof WorkflowNotFoundError) throw await this.notFoundOrEnded(orderId);
      throw err;
    }
  }

  /** Pauses or resumes the marketing of the order's customer (every journey of theirs, and the win-back). */
  async marketing(
    orderId: string,
    request: MarketingAction,
    opts: RequestOptions = {},
  ): Promise<{ action: MarketingAction['action']; outcome: string; customerId: string }> {
    const customerId = await this.customerOf(orderId);
    const at = this.now().toISOString();
    const base = { source: 'operator', at, reason: request.reason };
    const eventId =
      updateIdFor(request.action, opts.requestId, { orderId, ...request }) ??
      `operator-${request.action}-${orderId}-${at}`;
    const event: CustomerEvent =
      request.action === 'pause-marketing'
        ? { type: 'marketing-paused', ...base, eventId, ...(request.until ? { until: request.until } : {}) }
        : { type: 'marketing-resumed', ...base, eventId };
    try {
      await this.client.workflow
        .getHandle(customerLifecycleId(customerId, this.tenant))
        .executeUpdate(applyCustomerEventUpdate, { args: [event], updateId: boundedUpdateId('operator', eventId) });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`no customer "${customerId}"`);
      throw err;
    }
    const outcome =
      request.action === 'pause-marketing'
        ? `marketing paused for customer ${customerId}${request.until ? ` until ${request.until}` : ' until resumed'}`
        : `marketing resumed for customer ${customerId}`;
    return { action: request.action, outcome, customerId };
  }

  /**
   * The journeys that need a person: stuck by their own account (AftercareStuck), and, on servers that report it
   * (Temporal 1.30 and later: TemporalReportedProblems), those whose workflow task keeps failing.
   */
  async stuck(limit = 200): Promise<StuckJourney[]> {
    const found: StuckJourney[] = [];
    // The default tenant's operators see every tenant's; a tenant's own request sees its own only.
    const own = (query: string) => (this.tenant ? `${query} AND ${tenantClause(this.tenant)}` : query);
    for await (const wf of this.client.workflow.list({ query: own(STUCK_JOURNEYS_QUERY) })) {
      const reason = wf.typedSearchAttributes.get(ORDER_SA.stuck) as StuckReason | undefined;
      const since = wf.typedSearchAttributes.get(ORDER_SA.stuckSince);
      found.push({
        orderId: wf.typedSearchAttributes.get(ORDER_SA.orderId) ?? orderIdOf(wf.workflowId),
        workflowId: wf.workflowId,
        reason: reason ?? 'delivery-failing',
        ...(since ? { since: since.toISOString() } : {}),
      });
      if (found.length >= limit) return found;
    }
    if (await this.serverReportsProblems()) {
      for await (const wf of this.client.workflow.list({
        query: own(
          `TemporalReportedProblems IS NOT NULL AND WorkflowType = "orderJourney" AND ExecutionStatus = "Running"`,
        ),
      })) {
        if (found.some((f) => f.workflowId === wf.workflowId)) continue;
        found.push({
          orderId: orderIdOf(wf.workflowId),
          workflowId: wf.workflowId,
          reason: 'workflow-task-failing',
        });
        if (found.length >= limit) break;
      }
    }
    return found;
  }

  private reportsProblems: boolean | undefined;
  private async serverReportsProblems(): Promise<boolean> {
    if (this.reportsProblems === undefined) {
      const { systemAttributes } = await this.client.connection.operatorService.listSearchAttributes({
        namespace: this.client.options.namespace,
      });
      this.reportsProblems = Object.keys(systemAttributes ?? {}).includes('TemporalReportedProblems');
    }
    return this.reportsProblems;
  }

  private async customerOf(orderId: string): Promise<string> {
    try {
      const state = await this.client.workflow.getHandle(orderJourneyId(orderId, this.tenant)).query(getJourneyQuery);
      return state.customerId;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`no order "${orderId}"`);
      throw err;
    }
  }

  private notFoundOrEnded(orderId: string): Promise<Error> {
    return journeyEndedOrMissing(this.client, orderId, 'there is nothing left to act on', this.tenant);
  }
}

/** The order id in a journey's workflow id ("order-1001", "t:outlet:order-1001"). */
const orderIdOf = (workflowId: string) => workflowId.replace(/^(t:[a-z0-9_-]+:)?order-/, '');
