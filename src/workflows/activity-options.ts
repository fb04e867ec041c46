/**
 * The one place workflows set activity options. Workflow code: deterministic, and it imports the
 * activities as types only.
 */
import { ActivityCancellationType, proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { Playbook } from '../playbook/schema';
import { summary as bounded } from '../lib/bounded-text';
import { SEND_PRIORITY, sendQueueFor } from './task-queue';
import { fairnessKeyOf, tenantOfWorkflowId } from './tenant';

/**
 * Bookkeeping (telling the customer's lifecycle about orders and events, asking for permits,
 * counting): quick calls to Temporal itself, retried until they succeed.
 */
export const BOOKKEEPING_OPTIONS = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m' },
} satisfies ActivityOptions;
/** The bookkeeping activities as proxied, for a call with options of its own (a summary is the caller's to give). */
export const bookkeepingActivities = proxyActivities<Activities>(BOOKKEEPING_OPTIONS);

type Bookkeeping = Pick<
  Activities,
  | 'recordStat'
  | 'recordStats'
  | 'recordOrderWithCustomer'
  | 'recordOrderCompleted'
  | 'requestSendPermit'
  | 'reportCustomerEvent'
>;

/** Each call with a summary, so the Temporal UI says what it is for (no customer data in it). */
function summarized<K extends keyof Bookkeeping>(name: K, text: string): Bookkeeping[K] {
  const proxied = bookkeepingActivities[name] as unknown as {
    executeWithOptions(options: ActivityOptions, args: unknown[]): Promise<unknown>;
  };
  const call = (...args: unknown[]) => proxied.executeWithOptions({ ...BOOKKEEPING_OPTIONS, summary: text }, args);
  return call as unknown as Bookkeeping[K];
}

export const bookkeeping: Bookkeeping = {
  recordStat: summarized('recordStat', 'count one follow-up event'),
  recordStats: summarized('recordStats', 'send a batch of counts to a stats shard'),
  recordOrderWithCustomer: summarized('recordOrderWithCustomer', "record the order with the customer's lifecycle"),
  recordOrderCompleted: summarized('recordOrderCompleted', "tell the customer's lifecycle the order completed"),
  requestSendPermit: summarized('requestSendPermit', "ask the customer's lifecycle for a send permit"),
  reportCustomerEvent: summarized('reportCustomerEvent', "tell the customer's lifecycle of an event"),
};

/** Transient provider trouble is retried (same idempotency key) until the playbook gives up. */
export const sendActivityOptions = (playbook: Playbook) =>
  ({
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: playbook.delivery.giveUpAfter,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
  }) satisfies ActivityOptions;

// Every call goes through send() below, which sets the playbook's options and a summary.
const { sendMessage } = proxyActivities<Activities>({ startToCloseTimeout: '30s' });

/**
 * One send attempt, readable in the Temporal UI by its summary. `byProvider` (lean workflows): on its channel's
 * send queue, rate-limited for the provider, transactional before marketing; older workflows send on their own queue.
 */
export function send(
  playbook: Playbook,
  summary: string,
  request: Parameters<Activities['sendMessage']>[0],
  byProvider = false,
  /** A shorter first try (the journey marks itself stuck when it runs out); default: until the playbook gives up. */
  scheduleToCloseMs?: number,
) {
  const route = byProvider
    ? {
        taskQueue: sendQueueFor(workflowInfo().taskQueue, request.channel),
        priority: {
          priorityKey: SEND_PRIORITY[request.purpose ?? 'transactional'],
          ...fairnessKeyOf(tenantOfWorkflowId(workflowInfo().workflowId)),
        },
      }
    : {};
  return sendMessage.executeWithOptions(
    {
      ...sendActivityOptions(playbook),
      ...(scheduleToCloseMs ? { scheduleToCloseTimeout: scheduleToCloseMs } : {}),
      ...route,
      // An operator's retry or skip waits for an attempt in flight to end: what it did (sent or not) is what is recorded.
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      summary: bounded(summary),
    },
    [request],
  );
}
