import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { cancellationSignal, Context } from '@temporalio/activity';
import { DEFAULT_TENANT, fairFor, tenantOfWorkflowId, tenantSearchAttributes } from '../workflows/tenant';
import { ApplicationFailure, WorkflowIdReusePolicy } from '@temporalio/common';
import { addressesOf, contactKey } from '../channels/contact-keys';
import { keyedOrder, type OrderForCustomer } from '../gateway/customer-keys';
import type { Channel } from '../channels/types';
import type { Keys } from '../lib/keys';
import {
  CUSTOMER_LIFECYCLE,
  CUSTOMER_SA,
  CustomerErrorType,
  customerEventSignal,
  customerLifecycleId,
  orderCompletedSignal,
  orderPlacedSignal,
  requestSendPermitUpdate,
  type CustomerEvent,
  type CustomerLifecycleWorkflow,
  type OrderPlacedSignal,
} from '../workflows/customer/contract';
import type { PermitAsk, SendPermit, SendPermitRequest } from '../workflows/delivery/contract';
import { summary } from '../lib/bounded-text';

/**
 * What journeys tell, and ask, the customer's lifecycle. Contacts are keyed here (keys need the
 * secret, which workflow code never holds). A lifecycle that was terminated or failed is never
 * replaced by a new, empty one that would have forgotten the customer's consent: every call on it
 * fails with CustomerLifecycleClosed, for the journey to alert an operator.
 */
export function customerActivities(deps: { client: Client; taskQueue: string; keys: Pick<Keys, 'contacts'> }) {
  const secret = deps.keys.contacts;
  /** The tenant of the journey that asks (its workflow id carries it): its customers are its own. */
  const tenant = () => tenantOfWorkflowId(Context.current().info.workflowExecution?.workflowId ?? '');
  const lifecycle = (customerId: string) => deps.client.workflow.getHandle(customerLifecycleId(customerId, tenant()));
  /**
   * Calls on the lifecycle end when the activity is cancelled (a worker shutting down cancels its activities).
   * An update waits for the lifecycle's workflow task, which a stopping worker no longer runs: without this,
   * shutdown would wait for the update, and the update for the shutdown.
   */
  const call = <T>(work: () => Promise<T>) => deps.client.withAbortSignal(cancellationSignal(), work);
  return {
    /** Tells the customer's lifecycle about a new order, starting the lifecycle if the customer is new. */
    async recordOrderWithCustomer(input: OrderForCustomer): Promise<void> {
      const { profile } = input;
      const of = tenant();
      const { signal } = keyedOrder(secret, input, of === DEFAULT_TENANT ? undefined : of);
      try {
        await call(() =>
          deps.client.workflow.signalWithStart<CustomerLifecycleWorkflow, [OrderPlacedSignal]>(CUSTOMER_LIFECYCLE, {
            workflowId: customerLifecycleId(profile.id, tenant()),
            taskQueue: deps.taskQueue,
            args: [{ customerId: profile.id }],
            signal: orderPlacedSignal,
            signalArgs: [signal],
            // A closed lifecycle (terminated, failed) is not started again: a new one would know nothing of the
            // customer. After an erasure there is no execution left, so a returning customer starts afresh.
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            typedSearchAttributes: [
              { key: CUSTOMER_SA.customerId, value: profile.id },
              ...tenantSearchAttributes(tenant()),
            ],
            ...fairFor(tenant()),
            staticSummary: summary(`Customer ${profile.id}: profile, order history, consent and loyalty`),
          }),
        );
      } catch (err) {
        throw closedOr(err, profile.id);
      }
    },

    async recordOrderCompleted(input: { customerId: string; orderId: string; completedAt: string }): Promise<void> {
      try {
        await call(() =>
          lifecycle(input.customerId).signal(orderCompletedSignal, {
            orderId: input.orderId,
            completedAt: input.completedAt,
          }),
        );
      } catch (err) {
        throw closedOr(err, input.customerId);
      }
    },

    /** Asks the customer's lifecycle whether, when and where a message may go, to the order's own contacts. */
    async requestSendPermit(customerId: string, ask: PermitAsk): Promise<SendPermit> {
      const { recipient, ...rest } = ask;
      const request: SendPermitRequest = {
        ...rest,
        ...(recipient ? { recipient: { ...recipient, addresses: addressesOf(secret, recipient.addresses) } } : {}),
      };
      try {
        // The update id makes a retried request idempotent on the server too.
        return await call(() =>
          lifecycle(customerId).executeUpdate(requestSendPermitUpdate, { args: [request], updateId: request.permitId }),
        );
      } catch (err) {
        throw closedOr(err, customerId);
      }
    },

    /** Reports a consent or delivery event to the customer's lifecycle, about the address given. */
    async reportCustomerEvent(
      customerId: string,
      event: CustomerEvent,
      address?: { channel: Channel; to: string },
    ): Promise<void> {
      const keyed =
        address && (event.type === 'delivery-problem' || event.type === 'opt-out' || event.type === 'opt-in')
          ? { ...event, contactKey: contactKey(secret, address.channel, address.to) }
          : event;
      try {
        await call(() => lifecycle(customerId).signal(customerEventSignal, keyed));
      } catch (err) {
        throw closedOr(err, customerId);
      }
    },
  };
}

/** A lifecycle that exists but no longer runs becomes one non-retryable failure type; anything else as it is. */
function closedOr(err: unknown, customerId: string): unknown {
  const closed =
    err instanceof WorkflowExecutionAlreadyStartedError ||
    err instanceof WorkflowNotFoundError ||
    (err instanceof WorkflowUpdateFailedError && /completed|closed|not found/i.test(String(err.cause?.message)));
  if (!closed) return err;
  return ApplicationFailure.create({
    type: CustomerErrorType.lifecycleClosed,
    message: `the lifecycle of customer ${customerId} is closed (terminated or failed); an operator must look at it`,
    nonRetryable: true,
  });
}
