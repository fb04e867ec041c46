/**
 * The WooCommerce reconciliation's Temporal Schedules: one per store (tenant) with REST access, made to match the
 * configuration at every worker start, as the stuck digest's is. Each interval costs 3 Actions for the schedule's
 * run and 1 for its activity; the watermark rides on the runs' results (no Action).
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import type { Logger } from '../logger';
import {
  RECONCILE_OVERLAP_MS,
  WOOCOMMERCE_RECONCILE,
  wooCommerceReconcileScheduleId,
  type ReconcileInput,
  type WooCommerceReconcileWorkflow,
} from '../workflows/woocommerce/contract';
import type { ScheduleOutcome } from './schedules';

/**
 * Every `every`, a run skipped while the last one still runs, none made up after an outage longer than an interval
 * (the next run reads from the last watermark, so it covers the gap). Created when missing, updated when the
 * interval changed, left alone otherwise; the schedules of tenants no longer configured are removed.
 */
export async function ensureWooCommerceSchedules(
  client: Client,
  opts: { taskQueue: string; tenants: string[]; every: number; overlapMs?: number; log?: Logger },
): Promise<Record<string, ScheduleOutcome>> {
  const { taskQueue, tenants, every, log } = opts;
  const outcomes: Record<string, ScheduleOutcome> = {};
  for (const tenant of tenants) {
    outcomes[tenant] = await ensureOne(client, taskQueue, {
      tenant,
      every,
      overlapMs: opts.overlapMs ?? RECONCILE_OVERLAP_MS,
    });
    if (outcomes[tenant] !== 'unchanged') {
      log?.info({ tenant, everyMs: every, outcome: outcomes[tenant] }, 'woocommerce reconciliation scheduled');
    }
  }
  const prefix = wooCommerceReconcileScheduleId(taskQueue, '');
  const keep = new Set(tenants.map((t) => wooCommerceReconcileScheduleId(taskQueue, t)));
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith(prefix) || keep.has(s.scheduleId)) continue;
    const gone = await client.schedule
      .getHandle(s.scheduleId)
      .delete()
      .then(
        () => true,
        (err: unknown) => {
          if (err instanceof ScheduleNotFoundError) return false;
          throw err;
        },
      );
    if (gone) {
      outcomes[s.scheduleId.slice(prefix.length)] = 'removed';
      log?.info({ scheduleId: s.scheduleId }, 'woocommerce reconciliation removed: the store has no REST access now');
    }
  }
  return outcomes;
}

async function ensureOne(client: Client, taskQueue: string, input: ReconcileInput): Promise<ScheduleOutcome> {
  const scheduleId = wooCommerceReconcileScheduleId(taskQueue, input.tenant);
  const action: ScheduleOptionsStartWorkflowAction<WooCommerceReconcileWorkflow> = {
    type: 'startWorkflow',
    workflowType: WOOCOMMERCE_RECONCILE,
    taskQueue,
    args: [input],
    staticSummary: `Reconcile WooCommerce orders (${input.tenant})`,
  };
  const spec = { intervals: [{ every: input.every }] };
  // The server keeps a catch-up window of 10 s at least.
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: Math.max(input.every, 10_000) };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(scheduleId);
  const current = await handle.describe();
  const intervals = current.spec.intervals ?? [];
  const same =
    intervals.length === 1 &&
    intervals[0]!.every === input.every &&
    !intervals[0]!.offset &&
    current.action.type === 'startWorkflow' &&
    current.action.workflowType === WOOCOMMERCE_RECONCILE &&
    current.action.taskQueue === taskQueue &&
    JSON.stringify(current.action.args) === JSON.stringify([input]) &&
    current.policies.overlap === policies.overlap &&
    current.policies.catchupWindow === policies.catchupWindow;
  if (same) return 'unchanged';
  // An update keeps the schedule's state, and so the last run's result the next run goes on from.
  await handle.update((previous) => ({ ...previous, spec, action, policies: { ...previous.policies, ...policies } }));
  return 'updated';
}
