/** Response schema of GET /v1/stats: the follow-ups' counts by month, kind and A/B variant. */
import { z } from 'zod';
import { STAT_METRICS, type StatMetric } from '../workflows/stats/contract';

const metricCounts = z.object(
  Object.fromEntries(STAT_METRICS.map((m) => [m, z.number()])) as Record<StatMetric, z.ZodNumber>,
);
export const statsView = z.object({
  /** Month ("2026-11") → kind → metric → count. */
  periods: z.record(z.string(), z.record(z.string(), metricCounts.partial())),
  totals: z.record(z.string(), metricCounts),
  /** (answered + converted) / sent, per kind. */
  responseRate: z.record(z.string(), z.number()),
  /**
   * Kinds with A/B variants: kind → variant → the counts of the messages of that variant (all months), and their
   * response rate. Only what names its variant is here: messages of kinds without variants, and older ones, are not.
   */
  variants: z
    .record(z.string(), z.record(z.string(), metricCounts.extend({ responseRate: z.number() })))
    .describe('kind → A/B variant → sent, answered, converted and (answered + converted) / sent'),
});
export type StatsView = z.output<typeof statsView>;
