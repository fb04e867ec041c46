/** Measure each measure: the durable follow-up counts' contract (one stats workflow per task queue). */
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** One per task queue (deployment), so tests and tenants on one namespace keep their own counts. */
export const statsWorkflowId = (taskQueue: string) => `aftercare-stats-${taskQueue}`;
export const STAT_METRICS = ['sent', 'answered', 'converted'] as const;
export type StatMetric = (typeof STAT_METRICS)[number];

export interface StatEvent {
  kind: string;
  metric: StatMetric;
  /** Counting is idempotent per event id (activity retries, repeated clicks). */
  eventId: string;
  at: string;
}

export interface StatsState {
  /** period ("2026-11") → kind → metric → count. */
  counts: Record<string, Record<string, Partial<Record<StatMetric, number>>>>;
  seen: string[];
  generation: number;
}

export const countSignal = defineSignal<[StatEvent]>('count');
export const getStatsQuery = defineQuery<StatsState>('getStats');

/** The stats workflow's type and signature, for clients that signal it by name. */
export const FOLLOW_UP_STATS = 'followUpStats';
export type FollowUpStatsWorkflow = (input?: { carried?: StatsState; historyLimit?: number }) => Promise<void>;
