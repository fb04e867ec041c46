/**
 * One WooCommerce reconciliation run, started by its Temporal Schedule every WOOCOMMERCE_RECONCILE_EVERY
 * (src/temporal/woocommerce-schedules.ts): one activity reads the orders modified since the last run and feeds each
 * to the webhook's handler. Where to go on from is the previous run's result, which the schedule hands each run
 * (its last completion result): durable, and no Action of its own. A run that fails leaves that result as it was,
 * so the next run reads the same window again. Workflow code: deterministic.
 */
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { ReconcileInput, ReconcileResult } from './contract';

/** Set by the server on every run a schedule starts: the time it was due (whole seconds). */
const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

const { reconcileWooCommerce } = proxyActivities<Activities>({ startToCloseTimeout: '2m' });

const isResult = (v: unknown): v is ReconcileResult =>
  typeof v === 'object' && v !== null && typeof (v as ReconcileResult).watermark === 'string';

export async function wooCommerceReconcile(input: ReconcileInput): Promise<ReconcileResult> {
  const info = workflowInfo();
  const last = isResult(info.lastResult) ? info.lastResult : undefined;
  const scheduledAt = info.typedSearchAttributes.get(SCHEDULED_START) ?? info.startTime;
  // The first run reads one interval back (an existing shop's older orders are not news).
  const watermark = last?.watermark ?? new Date(scheduledAt.getTime() - input.every).toISOString();
  return reconcileWooCommerce.executeWithOptions(
    {
      startToCloseTimeout: '2m',
      // Retried within an interval or a minute; then the next run reads the window again.
      scheduleToCloseTimeout: Math.max(input.every, 60_000),
      retry: {
        initialInterval: '1s',
        backoffCoefficient: 2,
        maximumInterval: '1m',
        nonRetryableErrorTypes: ['NotConfigured'],
      },
      summary: `reconcile WooCommerce orders (${input.tenant})`,
    },
    [{ tenant: input.tenant, watermark, seen: last?.seen ?? [], overlapMs: input.overlapMs, budgetMs: 60_000 }],
  );
}
