/**
 * The stuck digest's contract: what its schedule starts it with, what its activity counts, what it returns.
 * Deterministic: workflows import it.
 */
import type { Channel } from '../../channels/types';
import type { StuckDigestData } from '../../messages/data';
import type { Playbook } from '../../playbook/schema';

/** The workflow's type, as the schedule starts it (its export name in `workflows/index.ts`). */
export const STUCK_DIGEST = 'stuckDigest';

/** The playbook's `operator.digestEvery` when it says nothing. */
export const DEFAULT_DIGEST_EVERY = 15 * 60_000;

/** How often the digest runs; the operator section defaults to {} (playbooks frozen before it too). */
export const digestEveryOf = (playbook: { operator?: Pick<Playbook['operator'], 'digestEvery'> }): number =>
  playbook.operator?.digestEvery ?? DEFAULT_DIGEST_EVERY;

/** One schedule per task queue (and so per deployment); the namespace is the client's. */
export const stuckDigestScheduleId = (taskQueue: string) => `${taskQueue}-stuck-digest`;

/**
 * Each run announces the journeys whose `AftercareStuckSince` lies in (previous run − settle, this run − settle]:
 * the windows of consecutive runs meet exactly, and a journey that marked itself a moment before a run, which
 * visibility may not show yet, is announced by the next one instead of by none.
 */
export const STUCK_DIGEST_SETTLE_MS = 5_000;

/** What the schedule starts each run with: the playbook's part the digest needs (no customer data). */
export interface StuckDigestInput {
  scheduleId: string;
  /** ms between runs (`operator.digestEvery`). */
  every: number;
  operator: Pick<Playbook['operator'], 'email' | 'telegramChatId'>;
  brand: Playbook['brand'];
  /** The playbook's defaultLocale: the language of the digest. */
  locale: string;
}

/** What the counting activity is asked. */
export interface StuckCountRequest {
  /** The schedule that runs the digest: its recent actions say when the previous run was. */
  scheduleId?: string;
  /** This run's scheduled time (ISO). */
  scheduledAt: string;
  every: number;
}

/** What visibility says, ready for the message. */
export interface StuckCounts extends StuckDigestData {
  /** The stuck-since window this run announces (ISO, from exclusive, to inclusive). */
  window: { from: string; to: string };
}

export interface StuckDigestResult {
  window: { from: string; to: string };
  total: number;
  newlyStuck: number;
  /** The operator channels the digest went out on (none when nothing became stuck). */
  sent: Channel[];
  failed: Channel[];
}

export type StuckDigestWorkflow = (input: StuckDigestInput) => Promise<StuckDigestResult>;
