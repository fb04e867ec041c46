import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { ConflictError } from '../errors';
import { formatMinor } from '../lib/money';
import type { Keys } from '../lib/keys';
import { LeanStart } from './lean-start';
import { fairFor, tenantSearchAttributes } from '../workflows/tenant';
import type { Playbook } from '../playbook/schema';
import { CUSTOMER_SA } from '../workflows/customer/contract';
import {
  type OrderJourneyInput,
  ORDER_JOURNEY,
  ORDER_SA,
  orderJourneyId,
  type Order,
  type OrderJourneyWorkflow,
} from '../workflows/order/contract';
import { DETAILS_MAX_BYTES, fitBytes, summary } from '../lib/bounded-text';

export interface StartResult {
  orderId: string;
  workflowId: string;
  /** False when the order already had a journey: the same journey is returned, none is started. */
  created: boolean;
}

/**
 * The start of an order's journey for OrderGateway: the order is recorded with its customer (lean path), then its
 * journey starts; a repeated request gets the journey it started (200), another order under its id a 409.
 */
export class OrderStart {
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
