/** Measure each measure: the durable follow-up counts' contract (one stats workflow per task queue). */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { tenantPrefix } from '../tenant';

/** One per task queue (deployment), so tests and tenants on one namespace keep their own counts. */
export const statsWorkflowId = (taskQueue: string, tenant?: string) =>
  `${tenantPrefix(tenant)}aftercare-stats-${taskQueue}`;

/**
 * Counts from lean journeys go to one of a few shards, by workflow id, in batches: no single workflow hears
 * every message of every customer. The first (unsharded) workflow keeps what was counted before.
 */
export const STATS_SHARDS = 8;
/** Each tenant counts apart: its shards carry its prefix (./tenant.ts), the default tenant's ids are as before. */
export const statsShardId = (taskQueue: string, shard: number, tenant?: string) =>
  `${tenantPrefix(tenant)}aftercare-stats-${taskQueue}-${shard}`;
/** FNV-1a, 32 bits: stable and cheap (workflow code has no crypto); not a secret, only a spreader. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A stable shard for a workflow id. */
export const statsShardOf = (workflowId: string) => fnv1a(workflowId) % STATS_SHARDS;

/**
 * An event id that names no order or customer: the workflow's own random id (uuid4, deterministic in replay,
 * gone with the workflow on erasure) and a hash of the event. Unique per workflow and event, as counting needs.
 */
export const anonymousStatId = (workflowUuid: string, eventKey: string) =>
  `${workflowUuid}/${fnv1a(eventKey).toString(36)}`;
export const STAT_METRICS = ['sent', 'answered', 'converted'] as const;
export type StatMetric = (typeof STAT_METRICS)[number];

export interface StatEvent {
  kind: string;
  metric: StatMetric;
  /** Counting is idempotent per event id (activity retries, repeated clicks). */
  eventId: string;
  at: string;
  /** The A/B variant of the message that drove it (the playbook's variant id), counted per variant as well. */
  variant?: string;
}

export interface StatsState {
  /** period ("2026-11") → kind → metric → count. */
  counts: Record<string, Record<string, Partial<Record<StatMetric, number>>>>;
  /** period → kind → variant → metric → count: the events that name their message's A/B variant. */
  variants?: Record<string, Record<string, Record<string, Partial<Record<StatMetric, number>>>>>;
  seen: string[];
  generation: number;
}

export const countSignal = defineSignal<[StatEvent]>('count');
/** A batch of counts (lean journeys flush theirs at once); each event still counts once by its id. */
export const countBatchSignal = defineSignal<[StatEvent[]]>('countBatch');
export const getStatsQuery = defineQuery<StatsState>('getStats');

/** The stats workflow's type and signature, for clients that signal it by name. */
export const FOLLOW_UP_STATS = 'followUpStats';
export type FollowUpStatsWorkflow = (input?: { carried?: StatsState; historyLimit?: number }) => Promise<void>;
