/**
 * The fuzz drill's workflow census, by Temporal visibility: what started since the fuzz began, and whether an
 * accepted request explains each journey and lifecycle. A journey is explained by an order some 2xx accepted (its
 * order id); a lifecycle by an explained journey of its customer. Anything else was started by a request that should
 * have changed nothing.
 */
import type { Client } from '@temporalio/client';
import { CUSTOMER_LIFECYCLE, CUSTOMER_SA } from '../../src/workflows/customer/contract';
import { ORDER_JOURNEY, ORDER_SA } from '../../src/workflows/order/contract';

export interface Census {
  /** Every execution visibility lists in the namespace (open and closed). */
  total: number;
  journeys: { workflowId: string; orderId?: string; customerId?: string }[];
  lifecycles: { workflowId: string; customerId?: string }[];
  /** Other workflow types started since (stats, digests, schedules' runs): started by journeys or timers, not bodies. */
  others: Record<string, number>;
}

export async function census(client: Client, since: Date): Promise<Census> {
  const { count: total } = await client.workflow.count();
  const out: Census = { total, journeys: [], lifecycles: [], others: {} };
  for await (const wf of client.workflow.list({ query: `StartTime >= "${since.toISOString()}"`, pageSize: 500 })) {
    const customerId = wf.typedSearchAttributes.get(CUSTOMER_SA.customerId);
    if (wf.type === ORDER_JOURNEY) {
      const orderId = wf.typedSearchAttributes.get(ORDER_SA.orderId);
      out.journeys.push({
        workflowId: wf.workflowId,
        ...(orderId ? { orderId } : {}),
        ...(customerId ? { customerId } : {}),
      });
    } else if (wf.type === CUSTOMER_LIFECYCLE) {
      out.lifecycles.push({ workflowId: wf.workflowId, ...(customerId ? { customerId } : {}) });
    } else {
      out.others[wf.type] = (out.others[wf.type] ?? 0) + 1;
    }
  }
  return out;
}

/** The census once visibility has caught up: two readings a little apart that agree (at most `maxMs`). */
export async function settledCensus(client: Client, since: Date, maxMs = 60_000): Promise<Census> {
  const deadline = Date.now() + maxMs;
  let last = await census(client, since);
  for (;;) {
    await new Promise((r) => setTimeout(r, 2_000));
    const next = await census(client, since);
    const same =
      next.total === last.total &&
      next.journeys.length === last.journeys.length &&
      next.lifecycles.length === last.lifecycles.length;
    if (same || Date.now() > deadline) return next;
    last = next;
  }
}

export interface Unexplained {
  journeys: string[];
  lifecycles: string[];
}

/**
 * The journeys no accepted order explains, and the lifecycles no explained journey does (workflow ids). Customers
 * known before (the seeded ones) explain their own lifecycles too: a lifecycle's continue-as-new is a new run.
 */
export function unexplained(
  c: Census,
  acceptedOrderIds: ReadonlySet<string>,
  knownCustomers: Iterable<string> = [],
): Unexplained {
  const explained = c.journeys.filter((j) => j.orderId !== undefined && acceptedOrderIds.has(j.orderId));
  const customers = new Set([...knownCustomers, ...explained.flatMap((j) => (j.customerId ? [j.customerId] : []))]);
  return {
    journeys: c.journeys.filter((j) => !explained.includes(j)).map((j) => j.workflowId),
    lifecycles: c.lifecycles
      .filter((l) => l.customerId === undefined || !customers.has(l.customerId))
      .map((l) => l.workflowId),
  };
}

/**
 * Ends the journeys and lifecycles the fuzz started (still running since `since`), so that nothing of it reaches
 * the next drill's ledger: a request answered 503 ("may have taken effect") can still take effect later, e.g. a
 * fuzzed inbound SMS whose auto-reply went out during the worker-kill drill, to a fuzz customer the ledger did not
 * know. Returns how many it ended.
 */
export async function endFuzzWorkflows(client: Client, since: Date): Promise<number> {
  const query =
    `StartTime >= "${since.toISOString()}" AND ExecutionStatus = 'Running' AND ` +
    `WorkflowType IN ("${ORDER_JOURNEY}", "${CUSTOMER_LIFECYCLE}")`;
  let ended = 0;
  for await (const wf of client.workflow.list({ query, pageSize: 500 })) {
    try {
      await client.workflow.getHandle(wf.workflowId, wf.runId).terminate('the fuzz drill is over');
      ended += 1;
    } catch {
      // Ended meanwhile (a journey finishing, a lifecycle continuing as new is caught by the next round).
    }
  }
  return ended;
}
