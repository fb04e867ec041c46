import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { countBatchSignal, countSignal, getStatsQuery, type StatEvent, type StatsState } from './contract';

const MAX_SEEN = 5_000;
/** A playbook variant id (src/playbook/schema.ts). */
const VARIANT_ID = /^[a-z0-9][a-z0-9_-]{0,29}$/;
const DEFAULT_HISTORY_LIMIT = 5_000;

/**
 * Counts what each follow-up did: sent, answered, converted. One workflow per task queue counted
 * everything before stats were sharded; lean journeys send their batches to one of STATS_SHARDS. Counts live in workflow state, so they survive restarts of everything and every
 * count is idempotent by event id.
 */
export async function followUpStats(input: { carried?: StatsState; historyLimit?: number } = {}): Promise<void> {
  const state: StatsState = input.carried ?? { counts: {}, seen: [], generation: 0 };
  const seen = new Set(state.seen);

  setHandler(getStatsQuery, () => ({ ...state, seen: [] }));
  const count = ({ kind, metric, eventId, at, variant }: StatEvent) => {
    if (seen.has(eventId)) return;
    seen.add(eventId);
    state.seen.push(eventId);
    if (state.seen.length > MAX_SEEN) seen.delete(state.seen.shift()!);
    const period = at.slice(0, 7);
    const byKind = (state.counts[period] ??= {});
    const metrics = (byKind[kind] ??= {});
    metrics[metric] = (metrics[metric] ?? 0) + 1;
    // Ids come from the playbook (at most 10 a kind); anything else is no variant's and is not kept.
    if (variant !== undefined && VARIANT_ID.test(variant)) {
      const byVariant = (((state.variants ??= {})[period] ??= {})[kind] ??= {});
      const v = (byVariant[variant] ??= {});
      v[metric] = (v[metric] ?? 0) + 1;
    }
  };
  setHandler(countSignal, count);
  setHandler(countBatchSignal, (events) => events.forEach(count));

  const limit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= limit);
  await condition(allHandlersFinished);
  await continueAsNew<typeof followUpStats>({
    carried: { ...state, generation: state.generation + 1 },
    ...(input.historyLimit !== undefined ? { historyLimit: input.historyLimit } : {}),
  });
}
