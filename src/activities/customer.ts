import type { Client } from '@temporalio/client';
import { contactKeysFor } from '../channels/contact-keys';
import type { Keys } from '../lib/keys';
import {
  CUSTOMER_LIFECYCLE,
  CUSTOMER_SA,
  customerEventSignal,
  customerLifecycleId,
  orderCompletedSignal,
  orderPlacedSignal,
  requestSendPermitUpdate,
  type CustomerEvent,
  type CustomerLifecycleWorkflow,
  type OrderPlacedSignal,
} from '../workflows/customer/contract';
import type { SendPermit, SendPermitRequest } from '../workflows/delivery/contract';

/** What journeys tell, and ask, the customer's lifecycle. */
export function customerActivities(deps: { client: Client; taskQueue: string; keys: Pick<Keys, 'contacts'> }) {
  const lifecycle = (customerId: string) => deps.client.workflow.getHandle(customerLifecycleId(customerId));
  return {
    /** Tells the customer's lifecycle about a new order, starting the lifecycle if it is new. */
    async recordOrderWithCustomer(
      input: Omit<OrderPlacedSignal, 'contactKeys' | 'rules'> & Partial<Pick<OrderPlacedSignal, 'rules'>>,
    ): Promise<void> {
      const signal = { ...input, contactKeys: contactKeysFor(deps.keys.contacts, input.profile) } as OrderPlacedSignal;
      await deps.client.workflow.signalWithStart<CustomerLifecycleWorkflow, [OrderPlacedSignal]>(CUSTOMER_LIFECYCLE, {
        workflowId: customerLifecycleId(signal.profile.id),
        taskQueue: deps.taskQueue,
        args: [{ customerId: signal.profile.id }],
        signal: orderPlacedSignal,
        signalArgs: [signal],
        typedSearchAttributes: [{ key: CUSTOMER_SA.customerId, value: signal.profile.id }],
        staticSummary: `Customer ${signal.profile.id}: profile, order history and (later) loyalty`,
      });
    },

    async recordOrderCompleted(input: { customerId: string; orderId: string; completedAt: string }): Promise<void> {
      await lifecycle(input.customerId).signal(orderCompletedSignal, {
        orderId: input.orderId,
        completedAt: input.completedAt,
      });
    },

    /** Asks the customer's lifecycle whether, when and where a message may go. */
    async requestSendPermit(customerId: string, request: SendPermitRequest): Promise<SendPermit> {
      // The update id makes a retried request idempotent on the server too.
      return lifecycle(customerId).executeUpdate(requestSendPermitUpdate, {
        args: [request],
        updateId: request.permitId,
      });
    },

    /** Reports a consent or delivery event to the customer's lifecycle. */
    async reportCustomerEvent(customerId: string, event: CustomerEvent): Promise<void> {
      await lifecycle(customerId).signal(customerEventSignal, event);
    },
  };
}
