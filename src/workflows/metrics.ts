/**
 * Aftercare's counters from workflow code, for dashboards: messages sent, failed and skipped (by reason), stuck
 * marks set and cleared, operator actions. Workflow code: deterministic, no Node builtins.
 *
 * They go through the workflow's metric meter, so they are replay-safe: the SDK emits nothing while a workflow
 * replays (a journey woken after eviction does not count its old messages again). They leave the worker through
 * the SDK runtime's Prometheus endpoint (`src/runtime.ts`), which `/metrics` merges; the SDK adds `namespace`,
 * `taskQueue` and `workflowType` to each. Every label value comes from a small fixed set (never customer data, an
 * order id or free text): a value outside its set is counted as 'other'.
 *
 * They are worker telemetry, not the record: a worker that dies before its task completes may count a message
 * again on the next worker. The durable counts are the stats workflows' (`aftercare_followups_total`).
 */
import { metricMeter } from '@temporalio/workflow';
import { MESSAGE_KINDS } from '../messages/kind-names';
import { NO_REACHABLE_CHANNEL } from './delivery/contract';
import { OPERATOR_ACTIONS, STUCK_REASONS } from './order/contract';

/** The names the SDK exports them under (no prefix: the SDK's `temporal_` is for its own metrics). */
export const WORKFLOW_METRICS = {
  messages: 'aftercare_messages_total',
  stuckMarks: 'aftercare_stuck_marks_total',
  stuckCleared: 'aftercare_stuck_cleared_total',
  operatorActions: 'aftercare_operator_actions_total',
} as const;

/** Why a message was skipped, as a bounded label value. */
export const SKIP_REASON_CODES = [
  'opted-out',
  'no-consent',
  'no-reachable-channel',
  'frequency-cap',
  'quiet-hours',
  'operator',
  'cancelled',
  'customer-unknown',
  'other',
] as const;
export type SkipReasonCode = (typeof SKIP_REASON_CODES)[number];

/**
 * The code of a skip reason as the delivery loop records it (`MessageRecord.reason`): the permit's words
 * (`workflows/customer/permit.ts`), an operator's skip (`skipped by an operator: …`, whose free text can say
 * anything, so it is matched first) or marketing pause, a closed lifecycle (a kind of no reachable channel), a
 * cancellation.
 */
export function skipReasonCode(reason: string): SkipReasonCode {
  const r = reason.trim().toLowerCase();
  if (r.startsWith('skipped by an operator') || r.startsWith('marketing paused by an operator') || r === 'operator') {
    return 'operator';
  }
  // Before the consent words: its list of excluded channels may say "opted-out".
  if (r.startsWith(NO_REACHABLE_CHANNEL)) return 'no-reachable-channel';
  if (r.startsWith('opted out') || r.startsWith('opted-out')) return 'opted-out';
  if (r.startsWith('no marketing consent')) return 'no-consent';
  if (r.startsWith('frequency cap') || r.startsWith('frequency-cap')) return 'frequency-cap';
  if (r.startsWith('quiet hours') || r.startsWith('quiet-hours')) return 'quiet-hours';
  if (r.includes('cancelled')) return 'cancelled';
  if (r.startsWith('the customer is not known')) return 'customer-unknown';
  if ((SKIP_REASON_CODES as readonly string[]).includes(r)) return r as SkipReasonCode;
  return 'other';
}

/** `value` when it is one of `allowed`, else 'other': a label never takes an unexpected (unbounded) value. */
function bounded(value: string, allowed: readonly string[]): string {
  return allowed.includes(value) ? value : 'other';
}

/**
 * One message's outcome: `aftercare_messages_total{outcome, kind, reason}` (`reason` on skipped messages only; a
 * skipped message without one counts as 'other').
 */
export function countMessage(outcome: 'sent' | 'failed' | 'skipped', kind: string, reason?: SkipReasonCode): void {
  const labels: Record<string, string> = { outcome, kind: bounded(kind, MESSAGE_KINDS) };
  if (outcome === 'skipped') labels.reason = bounded(reason ?? 'other', SKIP_REASON_CODES);
  metricMeter
    .createCounter(
      WORKFLOW_METRICS.messages,
      'messages',
      'Messages by outcome (sent, failed, skipped), kind and skip reason',
    )
    .add(1, labels);
}

/** A journey marked itself stuck: `aftercare_stuck_marks_total{reason}` (a StuckReason). */
export function countStuck(reason: string): void {
  metricMeter
    .createCounter(WORKFLOW_METRICS.stuckMarks, 'marks', 'Stuck marks set on journeys, by reason')
    .add(1, { reason: bounded(reason, STUCK_REASONS) });
}

/** A journey's stuck mark was cleared (it moved on, or an operator acted): `aftercare_stuck_cleared_total{reason}`. */
export function countStuckCleared(reason: string): void {
  metricMeter
    .createCounter(WORKFLOW_METRICS.stuckCleared, 'marks', 'Stuck marks cleared on journeys, by reason')
    .add(1, { reason: bounded(reason, STUCK_REASONS) });
}

/** An operator action a journey carried out: `aftercare_operator_actions_total{action}` (an OperatorAction). */
export function countOperatorAction(action: string): void {
  metricMeter
    .createCounter(WORKFLOW_METRICS.operatorActions, 'actions', 'Operator actions carried out by journeys, by action')
    .add(1, { action: bounded(action, OPERATOR_ACTIONS) });
}
