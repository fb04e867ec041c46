/**
 * The Temporal Schedules Aftercare keeps, made to match the playbook at every worker start (npm start and
 * npm run worker both start one through createWorker): the operators' stuck digest.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import type { Logger } from '../logger';
import type { Playbook } from '../playbook/schema';
import {
  digestEveryOf,
  STUCK_DIGEST,
  stuckDigestScheduleId,
  type StuckDigestInput,
  type StuckDigestWorkflow,
} from '../workflows/operations/contract';

export type ScheduleOutcome = 'created' | 'updated' | 'unchanged' | 'removed' | 'none';

/**
 * The stuck digest's schedule for this task queue: every `operator.digestEvery`, a run skipped while the last one
 * still runs, none made up after the server was down longer than an interval (the next run's window covers it).
 * Idempotent: created when missing, updated when the playbook changed it (interval, channels, brand, language),
 * left alone otherwise; removed when the playbook has no operator channel.
 */
export async function ensureStuckDigestSchedule(
  client: Client,
  opts: { taskQueue: string; playbook: Playbook; log?: Logger },
): Promise<ScheduleOutcome> {
  const { taskQueue, playbook, log } = opts;
  const scheduleId = stuckDigestScheduleId(taskQueue);
  const handle = client.schedule.getHandle(scheduleId);
  const { email, telegramChatId } = playbook.operator;
  if (!email && !telegramChatId) {
    const removed = await handle.delete().then(
      () => true,
      (err: unknown) => {
        if (err instanceof ScheduleNotFoundError) return false;
        throw err;
      },
    );
    log?.info(
      { scheduleId },
      `the playbook has no operator channel (operator.email, operator.telegramChatId): no stuck digest${removed ? '; its schedule was removed' : ''}`,
    );
    return removed ? 'removed' : 'none';
  }

  const every = digestEveryOf(playbook);
  const input: StuckDigestInput = {
    scheduleId,
    every,
    operator: { ...(email ? { email } : {}), ...(telegramChatId ? { telegramChatId } : {}) },
    brand: playbook.brand,
    locale: playbook.defaultLocale,
  };
  const action: ScheduleOptionsStartWorkflowAction<StuckDigestWorkflow> = {
    type: 'startWorkflow',
    workflowType: STUCK_DIGEST,
    taskQueue,
    args: [input],
    staticSummary: 'Digest of stuck journeys for the operators',
  };
  const spec = { intervals: [{ every }] };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: every };

  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
    log?.info({ scheduleId, everyMs: every }, 'scheduled the stuck digest');
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const current = await handle.describe();
  const intervals = current.spec.intervals ?? [];
  const same =
    intervals.length === 1 &&
    intervals[0]!.every === every &&
    !intervals[0]!.offset &&
    current.action.type === 'startWorkflow' &&
    current.action.workflowType === STUCK_DIGEST &&
    current.action.taskQueue === taskQueue &&
    JSON.stringify(current.action.args) === JSON.stringify([input]) &&
    current.policies.overlap === policies.overlap &&
    current.policies.catchupWindow === every;
  if (same) return 'unchanged';
  await handle.update((previous) => ({ ...previous, spec, action, policies: { ...previous.policies, ...policies } }));
  log?.info({ scheduleId, everyMs: every }, 'updated the stuck digest schedule to the playbook');
  return 'updated';
}
