import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { StatsView } from '../schemas/views';
import { getStatsQuery, STAT_METRICS, statsWorkflowId, type StatsState } from '../workflows/stats/contract';

/** Durable follow-up counts: per month and kind, how many were sent, answered and converted. */
export class StatsGateway {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  async get(): Promise<StatsView> {
    let state: StatsState;
    try {
      state = await this.client.workflow.getHandle(statsWorkflowId(this.taskQueue)).query(getStatsQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) state = { counts: {}, seen: [], generation: 0 };
      else throw err;
    }
    const totals: StatsView['totals'] = {};
    for (const byKind of Object.values(state.counts)) {
      for (const [kind, metrics] of Object.entries(byKind)) {
        const t = (totals[kind] ??= { sent: 0, answered: 0, converted: 0 });
        for (const m of STAT_METRICS) t[m] += metrics[m] ?? 0;
      }
    }
    const rates = Object.fromEntries(
      Object.entries(totals).map(([kind, t]) => [
        kind,
        t.sent ? Math.round(((t.converted + t.answered) / t.sent) * 1000) / 1000 : 0,
      ]),
    );
    return { periods: state.counts, totals, responseRate: rates };
  }
}
