/**
 * What operators are told about journeys as a whole: the stuck digest's counts, from Temporal's visibility. The
 * journeys keep their own `AftercareStuck` and `AftercareStuckSince` search attributes; this only reads them:
 * a handful of count queries and at most a page or two of rows, however many journeys are stuck.
 */
import { Context } from '@temporalio/activity';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { STUCK_DIGEST_SETTLE_MS, type StuckCountRequest, type StuckCounts } from '../workflows/operations/contract';
import { ORDER_JOURNEY, ORDER_SA, STUCK_REASONS } from '../workflows/order/contract';
import type { LinkSettings } from './delivery/links';

export interface OperationsDeps extends Pick<LinkSettings, 'temporalUi'> {
  client: Client;
  /** The journeys counted are this deployment's: those on its task queue. */
  taskQueue: string;
}

/** How many journeys the newest (and the oldest) are picked from; narrower time ranges are counted until they fit. */
export const STUCK_PAGE = 100;
/** Journeys named in a digest. */
const NEWEST_SHOWN = 5;
const DAY = 86_400_000;

const quoted = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * The visibility query for running journeys of this task queue stuck for `reason` (any reason when absent). It
 * starts as the operators' own filter does (`AftercareStuck IS NOT NULL AND ExecutionStatus = "Running"`), and the
 * Temporal UI links carry it as it is, so the list an operator opens is the one that was counted.
 */
export function stuckQuery(taskQueue: string, reason?: string): string {
  return [
    reason === undefined ? `${ORDER_SA.stuck.name} IS NOT NULL` : `${ORDER_SA.stuck.name} = ${quoted(reason)}`,
    `ExecutionStatus = "Running"`,
    `WorkflowType = ${quoted(ORDER_JOURNEY)}`,
    `TaskQueue = ${quoted(taskQueue)}`,
  ].join(' AND ');
}

/** The Temporal UI's list of workflows matching a visibility query. */
export const uiListUrl = (ui: { baseUrl: string; namespace: string }, query: string) =>
  `${ui.baseUrl}/namespaces/${encodeURIComponent(ui.namespace)}/workflows?query=${encodeURIComponent(query)}`;

/** What the digest reads from visibility, as two calls (tests give it an in-memory one). */
export interface StuckVisibility {
  count(query: string): Promise<number>;
  /** Up to `limit` matches, each with when it became stuck. */
  list(query: string, limit: number): Promise<{ workflowId: string; since: number }[]>;
}

/** Stuck since in (from, to], milliseconds. */
const sinceIn = (from: number, to: number) =>
  `${ORDER_SA.stuckSince.name} > ${quoted(new Date(from).toISOString())} AND ${ORDER_SA.stuckSince.name} <= ${quoted(new Date(to).toISOString())}`;

/**
 * The `n` journeys at one end (oldest or newest stuck) of those matching `query` with a stuck-since in (from, to],
 * `count` of them. Visibility on SQL cannot ORDER BY a custom attribute, so the range is halved with count queries
 * until at most STUCK_PAGE journeys are in it (a few dozen counts at worst, only when more than a page is stuck);
 * then that page is read and sorted. Ends at one second's precision: ties within it are picked in any order.
 */
export async function stuckAtEnd(
  v: StuckVisibility,
  query: string,
  range: { from: number; to: number; count: number },
  end: 'oldest' | 'newest',
  n: number,
): Promise<{ workflowId: string; since: number }[]> {
  let { from, to, count } = range;
  if (count === 0) return [];
  for (let i = 0; count > STUCK_PAGE && to - from > 1000 && i < 64; i++) {
    const mid = from + Math.floor((to - from) / 2);
    if (end === 'newest') {
      const later = await v.count(`${query} AND ${sinceIn(mid, to)}`);
      if (later > 0) [from, count] = [mid, later];
      else to = mid;
    } else {
      const earlier = await v.count(`${query} AND ${sinceIn(from, mid)}`);
      if (earlier > 0) [to, count] = [mid, earlier];
      else from = mid;
    }
  }
  const rows = await v.list(`${query} AND ${sinceIn(from, to)}`, STUCK_PAGE);
  rows.sort((a, b) => (end === 'oldest' ? a.since - b.since : b.since - a.since));
  return rows.slice(0, n);
}

/**
 * When the schedule's previous run was: the latest of its recent actions before this one, on whole seconds as the
 * run's TemporalScheduledStartTime has it. Undefined without a schedule or an earlier action.
 */
async function previousRunAt(client: Client, scheduleId: string, scheduledAt: number): Promise<number | undefined> {
  let actions;
  try {
    actions = (await client.schedule.getHandle(scheduleId).describe()).info.recentActions;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
  const earlier = actions
    .map((a) => Math.floor(a.scheduledAt.getTime() / 1000) * 1000)
    .filter((at) => at < scheduledAt);
  return earlier.length === 0 ? undefined : Math.max(...earlier);
}

export function visibilityOf(client: Client): StuckVisibility {
  return {
    count: async (query) => (await client.workflow.count(query)).count,
    async list(query, limit) {
      const rows: { workflowId: string; since: number }[] = [];
      for await (const w of client.workflow.list({ query, pageSize: limit })) {
        const since = w.typedSearchAttributes.get(ORDER_SA.stuckSince);
        if (since) rows.push({ workflowId: w.workflowId, since: since.getTime() });
        if (rows.length >= limit) break;
      }
      return rows;
    },
  };
}

export function operationsActivities(deps: OperationsDeps, visibility: StuckVisibility = visibilityOf(deps.client)) {
  return {
    /**
     * Running journeys stuck now, by reason, with links; how many became stuck in this run's window, the newest of
     * them, and the oldest of all. Read-only: a retry repeats the same queries.
     */
    async countStuckJourneys(req: StuckCountRequest): Promise<StuckCounts> {
      const scheduledAt = Date.parse(req.scheduledAt);
      const previous = req.scheduleId ? await previousRunAt(deps.client, req.scheduleId, scheduledAt) : undefined;
      const window = {
        from: (previous ?? scheduledAt - req.every) - STUCK_DIGEST_SETTLE_MS,
        to: scheduledAt - STUCK_DIGEST_SETTLE_MS,
      };

      const all = stuckQuery(deps.taskQueue);
      const [total, newlyStuck, ...perReason] = await Promise.all([
        visibility.count(all),
        visibility.count(`${all} AND ${sinceIn(window.from, window.to)}`),
        ...STUCK_REASONS.map((reason) => visibility.count(stuckQuery(deps.taskQueue, reason))),
      ]);
      const [newest, oldest] = await Promise.all([
        stuckAtEnd(visibility, all, { ...window, count: newlyStuck }, 'newest', NEWEST_SHOWN),
        // Every journey stuck now: from the epoch to a day past now (clocks differ), with room for the halving.
        stuckAtEnd(
          visibility,
          all,
          { from: 0, to: Math.max(Date.now(), scheduledAt) + DAY, count: total },
          'oldest',
          1,
        ),
      ]);
      const ui = deps.temporalUi;
      const byReason = STUCK_REASONS.flatMap((reason, i) => {
        const count = perReason[i] ?? 0;
        if (count === 0) return [];
        return [{ reason, count, ...(ui ? { url: uiListUrl(ui, stuckQuery(deps.taskQueue, reason)) } : {}) }];
      });
      const counts: StuckCounts = {
        total,
        byReason,
        newlyStuck,
        newest: newest.map((j) => j.workflowId),
        ...(oldest[0] ? { oldestSince: new Date(oldest[0].since).toISOString() } : {}),
        ...(ui ? { listUrl: uiListUrl(ui, all) } : {}),
        window: { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString() },
      };
      Context.current().log.info('stuck journeys counted', {
        total,
        newlyStuck,
        byReason: Object.fromEntries(byReason.map((r) => [r.reason, r.count])),
      });
      return counts;
    },
  };
}
