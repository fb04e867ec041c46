/**
 * The journey's line to its customer's lifecycle. If the lifecycle is closed (terminated or failed),
 * it is not replaced by an empty one that forgot the customer's consent: the journey tells an operator
 * once, and sends nothing to the customer until someone looks. Workflow code: deterministic.
 */
import { ActivityFailure, ApplicationFailure, log } from '@temporalio/workflow';
import { bookkeeping } from '../activity-options';
import { CustomerErrorType, customerLifecycleId } from '../customer/contract';
import { tenantOfWorkflowId } from '../tenant';
import { NO_REACHABLE_CHANNEL, type PermitAsk } from '../delivery/contract';
import type { CustomerLink, Journey } from './context';
import { notifyOperator } from './operator';

export const isClosed = (err: unknown) => {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && cause.type === CustomerErrorType.lifecycleClosed;
};

export function linkToCustomer(j: Pick<Journey, 'order' | 'playbook' | 'state' | 'workflowId' | 'now'>): CustomerLink {
  const { order } = j;
  const customerId = order.customer.id;
  let closed = false;
  // Counted like an unreachable customer: as visible to operators as a failed send.
  const reason = `${NO_REACHABLE_CHANNEL} (the lifecycle of customer ${customerId} is closed: terminated or failed; an operator must look at it)`;

  /** Runs a call on the lifecycle; a closed one is noted (and an operator told, once) instead of failing. */
  async function call<T>(work: () => Promise<T>): Promise<T | undefined> {
    if (closed) return undefined;
    try {
      return await work();
    } catch (err) {
      await lifecycleClosedOrThrow(err);
      return undefined;
    }
  }

  async function lifecycleClosedOrThrow(err: unknown): Promise<void> {
    if (!isClosed(err)) throw err;
    if (closed) return;
    closed = true;
    log.error('customer lifecycle is closed', { customerId });
    await notifyOperator(j, 'lifecycle-closed', {
      kind: 'operator_notice',
      data: {
        orderId: order.orderId,
        notice: `The customer's lifecycle (${customerLifecycleId(customerId, tenantOfWorkflowId(j.workflowId))}) is closed, so Aftercare sends this order's messages to nobody.`,
        operator: { customerId, customerName: order.customer.name },
      },
    });
  }

  const { name, locale, timeZone, preferredChannels, email, phone, telegramChatId } = order.customer;
  const recipient: PermitAsk['recipient'] = {
    name,
    ...(locale ? { locale } : {}),
    ...(timeZone ? { timeZone } : {}),
    ...(preferredChannels ? { preferredChannels } : {}),
    addresses: { email, phone, telegramChatId },
  };

  return {
    lean: false,
    lifecycleClosedOrThrow,
    permit: async (request) => {
      const ask: PermitAsk = { ...request, orderId: order.orderId, recipient };
      const permit = await call(() => bookkeeping.requestSendPermit(customerId, ask));
      return permit ?? { decision: 'skip', reason };
    },
    report: async (event, address) => {
      await call(() => bookkeeping.reportCustomerEvent(customerId, event, address));
    },
    // Journeys that ask before every message tell the lifecycle each thing at once (report), as they always did.
    tell: async () => {},
    flush: async () => {},
  };
}
