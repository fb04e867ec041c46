import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  isGrpcServiceError,
  type Client,
} from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { fairFor, tenantSearchAttributes } from '../workflows/tenant';
import { keyedOrder } from './customer-keys';
import { summary } from '../lib/bounded-text';
import type { Keys } from '../lib/keys';
import type { Playbook } from '../playbook/schema';
import {
  CUSTOMER_LIFECYCLE,
  CUSTOMER_SA,
  customerLifecycleId,
  orderPlacedSignal,
  recordOrderUpdate,
  type CustomerLifecycleWorkflow,
  type OrderPlacedSignal,
} from '../workflows/customer/contract';
import { FRESH_CUSTOMER, type CustomerSnapshot } from '../workflows/customer/snapshot';
import { orderForCustomer, type Order, type OrderJourneyInput } from '../workflows/order/contract';
import { boundedUpdateId } from './idempotency';

/** How long the API waits for a known customer's lifecycle to record the order. */
const RECORD_DEADLINE_MS = 5_000;
const isDeadline = (err: unknown): boolean =>
  (isGrpcServiceError(err) && (err.code === GRPC_DEADLINE_EXCEEDED || err.code === GRPC_CANCELLED)) ||
  (err instanceof Error && err.cause !== undefined && err.cause !== err && isDeadline(err.cause));
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_CANCELLED = 1;

/**
 * The lean start of an order: the order is recorded with the customer's lifecycle before its journey starts,
 * and the journey starts with the order's keyed addresses and the customer's snapshot, so it decides its
 * transactional messages itself (no activity, no update per message). A customer nobody knows yet starts
 * their lifecycle with the order (one signal-with-start: nothing to know about them yet); a known one answers
 * with its snapshot (one update, idempotent per order). A closed lifecycle is never replaced: the journey
 * starts knowing it is closed, tells an operator and sends nothing.
 *
 * The two steps are not one transaction: if this process dies between them, the lifecycle knows an order
 * whose journey starts when the client repeats the request (it got no answer, so it does; both steps are
 * idempotent per order).
 */
export type CustomerStatus = 'new' | 'running' | 'closed';

export class LeanStart {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly keys: Pick<Keys, 'contacts'>,
    /** Whose customers these are (undefined: the default tenant). */
    private readonly tenant?: string,
  ) {}

  /** The customer's lifecycle: absent (a new customer), running, or closed (terminated, failed). Not billed. */
  async lookUp(customerId: string): Promise<CustomerStatus> {
    try {
      const { status } = await this.client.workflow.getHandle(customerLifecycleId(customerId, this.tenant)).describe();
      return status.name === 'RUNNING' ? 'running' : 'closed';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'new';
      throw err;
    }
  }

  /** What the journey starts with; undefined when the lifecycle runs code without the lean path (mid-deploy). */
  async record(
    customer: CustomerStatus,
    order: Order,
    playbook: Playbook,
    receivedAt: string,
  ): Promise<OrderJourneyInput['customer']> {
    const { signal, addresses } = keyedOrder(
      this.keys.contacts,
      {
        ...orderForCustomer(order, playbook, receivedAt),
        keepsSnapshot: true,
        // Its journey (operatorTools) tells the lifecycle when its follow-ups are done.
        reportsFollowUps: true,
      },
      this.tenant,
    );
    const snapshot =
      customer === 'new'
        ? await this.startCustomer(signal)
        : customer === 'closed'
          ? { ...FRESH_CUSTOMER, closed: true }
          : await this.recordWithKnown(signal);
    return snapshot && { addresses, snapshot };
  }

  private async recordWithKnown(signal: OrderPlacedSignal): Promise<CustomerSnapshot | undefined> {
    const handle = this.client.workflow.getHandle(customerLifecycleId(signal.profile.id, this.tenant));
    try {
      // Bounded: a lifecycle that does not answer (no worker polls, its tasks fail) must not hold the order.
      return await this.client.withDeadline(Date.now() + RECORD_DEADLINE_MS, () =>
        handle.executeUpdate(recordOrderUpdate, {
          args: [signal],
          updateId: boundedUpdateId('record-order', signal.order.orderId),
        }),
      );
    } catch (err) {
      // Closed since the look-up: as closed. Code without the update (a worker not yet upgraded), or no answer in
      // time: the journey records the order itself, durably, the way journeys did before (it asks every message).
      if (err instanceof WorkflowNotFoundError) return { ...FRESH_CUSTOMER, closed: true };
      if (err instanceof WorkflowUpdateFailedError || isDeadline(err)) return undefined;
      throw err;
    }
  }

  /** A new customer: their lifecycle starts with the order (nothing is known of them, so nothing restricts). */
  private async startCustomer(signal: OrderPlacedSignal): Promise<CustomerSnapshot> {
    const customerId = signal.profile.id;
    try {
      await this.client.workflow.signalWithStart<CustomerLifecycleWorkflow, [OrderPlacedSignal]>(CUSTOMER_LIFECYCLE, {
        workflowId: customerLifecycleId(customerId, this.tenant),
        taskQueue: this.taskQueue,
        args: [{ customerId, protocol: 3 }],
        signal: orderPlacedSignal,
        signalArgs: [signal],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [
          { key: CUSTOMER_SA.customerId, value: customerId },
          { key: CUSTOMER_SA.contactKeys, value: signal.contactKeys },
          ...tenantSearchAttributes(this.tenant),
        ],
        ...fairFor(this.tenant),
        staticSummary: summary(`Customer ${customerId}: profile, order history, consent and loyalty`),
      });
      return FRESH_CUSTOMER;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { ...FRESH_CUSTOMER, closed: true };
      throw err;
    }
  }
}
