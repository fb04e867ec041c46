import { createHash } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { StatsView } from '../schemas/views';
import { tenantSearchAttributes } from '../workflows/tenant';
import {
  countSignal,
  FOLLOW_UP_STATS,
  getStatsQuery,
  STAT_METRICS,
  STATS_SHARDS,
  statsShardId,
  statsWorkflowId,
  type FollowUpStatsWorkflow,
  type StatEvent,
  type StatMetric,
  type StatsState,
} from '../workflows/stats/contract';

/** Durable follow-up counts: per month and kind, how many were sent, answered and converted. */
export class StatsGateway {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    /** Whose counts (undefined: the default tenant's): each tenant's are its own. */
    private readonly tenant?: string,
  ) {}

  /**
   * Every count: the first stats workflow (everything counted before sharding) and the shards. One query each
   * (each is a billed Action): callers that poll (the /metrics scrape) cache the answer.
   */
  async get(): Promise<StatsView> {
    const ids = [
      statsWorkflowId(this.taskQueue, this.tenant),
      ...Array.from({ length: STATS_SHARDS }, (_, i) => statsShardId(this.taskQueue, i, this.tenant)),
    ];
    const states = await Promise.all(
      ids.map(async (id) => {
        try {
          return await this.client.workflow.getHandle(id).query(getStatsQuery);
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) return undefined;
          throw err;
        }
      }),
    );
    const state: StatsState = { counts: {}, seen: [], generation: 0 };
    for (const s of states) {
      for (const [period, byKind] of Object.entries(s?.counts ?? {})) {
        const p = (state.counts[period] ??= {});
        for (const [kind, metrics] of Object.entries(byKind)) {
          const k = (p[kind] ??= {});
          for (const m of STAT_METRICS) if (metrics[m]) k[m] = (k[m] ?? 0) + metrics[m]!;
        }
      }
    }
    const totals: StatsView['totals'] = {};
    for (const byKind of Object.values(state.counts)) {
      for (const [kind, metrics] of Object.entries(byKind)) {
        const t = (totals[kind] ??= { sent: 0, answered: 0, converted: 0 });
        for (const m of STAT_METRICS) t[m] += metrics[m] ?? 0;
      }
    }
    const rates = Object.fromEntries(Object.entries(totals).map(([kind, t]) => [kind, responseRate(t)]));
    return { periods: state.counts, totals, responseRate: rates, variants: variantTotals(states) };
  }
}

type Counts = Record<StatMetric, number>;

/** (answered + converted) / sent, to three places; 0 before anything was sent. */
const responseRate = (t: Counts) => (t.sent ? Math.round(((t.converted + t.answered) / t.sent) * 1000) / 1000 : 0);

/** Per kind and A/B variant, over every month and workflow: what a business compares to keep the better text. */
function variantTotals(states: (StatsState | undefined)[]): StatsView['variants'] {
  const out: Record<string, Record<string, Counts>> = {};
  for (const byPeriod of states.map((s) => s?.variants ?? {})) {
    for (const byKind of Object.values(byPeriod)) {
      for (const [kind, byVariant] of Object.entries(byKind)) {
        for (const [variant, metrics] of Object.entries(byVariant)) {
          const t = ((out[kind] ??= {})[variant] ??= { sent: 0, answered: 0, converted: 0 });
          for (const m of STAT_METRICS) t[m] += metrics[m] ?? 0;
        }
      }
    }
  }
  return Object.fromEntries(
    Object.entries(out).map(([kind, byVariant]) => [
      kind,
      Object.fromEntries(Object.entries(byVariant).map(([v, t]) => [v, { ...t, responseRate: responseRate(t) }])),
    ]),
  );
}

/**
 * Counts a follow-up event in the durable stats workflow (signal-with-start: it exists from the first count on).
 * The event id (it names the order or customer) reaches the stats workflow only as a hash: counts are anonymous,
 * and stay when a customer is erased.
 */
export async function recordStatWith(
  client: Client,
  taskQueue: string,
  event: StatEvent,
  tenant?: string,
): Promise<void> {
  await client.workflow.signalWithStart<FollowUpStatsWorkflow, [StatEvent]>(FOLLOW_UP_STATS, {
    workflowId: statsWorkflowId(taskQueue, tenant),
    taskQueue,
    args: [{}],
    signal: countSignal,
    signalArgs: [{ ...event, eventId: anonymousEventId(event.eventId) }],
    typedSearchAttributes: tenantSearchAttributes(tenant),
    staticSummary: 'Follow-up counts: sent, answered, converted per kind and month',
  });
}

/**
 * Starts the stats shards that do not run yet (a running one is left as it is, and not billed again), so lean
 * journeys can send their counts with a plain signal from the start.
 */
export async function ensureStatsShards(client: Client, taskQueue: string, tenant?: string): Promise<void> {
  await Promise.all(
    Array.from({ length: STATS_SHARDS }, (_, shard) =>
      client.workflow.start<FollowUpStatsWorkflow>(FOLLOW_UP_STATS, {
        workflowId: statsShardId(taskQueue, shard, tenant),
        taskQueue,
        args: [{}],
        workflowIdConflictPolicy: 'USE_EXISTING',
        typedSearchAttributes: tenantSearchAttributes(tenant),
        staticSummary: 'Follow-up counts (one shard): sent, answered, converted per kind and month',
      }),
    ),
  );
}

/** 128 bits of SHA-256: enough to count each event once, nothing to read an order or customer id from. */
export function anonymousEventId(eventId: string): string {
  return `h_${createHash('sha256').update(eventId, 'utf8').digest('base64url').slice(0, 22)}`;
}
