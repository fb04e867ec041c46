/**
 * The WooCommerce reconciliation's contract: what its schedule starts it with, what its activity is asked and
 * answers. Deterministic: workflows import it. No customer data: tenants, times, order ids and statuses.
 */

/** The workflow's type, as the schedule starts it (its export name in `workflows/index.ts`). */
export const WOOCOMMERCE_RECONCILE = 'wooCommerceReconcile';

/** One schedule per task queue and tenant; the namespace is the client's. */
export const wooCommerceReconcileScheduleId = (taskQueue: string, tenant: string) =>
  `${taskQueue}-woocommerce-reconcile-${tenant}`;

/**
 * How far before the last run's newest modification the next run reads again: orders saved in the same second,
 * or committed a little after their modification time, are not lost between two runs.
 */
export const RECONCILE_OVERLAP_MS = 2 * 60_000;

/** What the schedule starts each run with (the REST key stays in the worker's configuration). */
export interface ReconcileInput {
  tenant: string;
  /** ms between runs (WOOCOMMERCE_RECONCILE_EVERY). */
  every: number;
  overlapMs: number;
}

/** What the reconciling activity is asked. */
export interface ReconcileRequest {
  tenant: string;
  /** The previous run's watermark (ISO): orders modified after it less the overlap are read. */
  watermark: string;
  /** Versions (order id, status, date_modified_gmt) the previous run fed inside the overlap: not fed again. */
  seen: string[];
  overlapMs: number;
  /** Pages read per run at most; the rest waits for the next run (oldest first, so nothing is skipped). */
  maxPages?: number;
  /** Stops starting new pages after this long, for the same reason. */
  budgetMs?: number;
}

export type ReconcileOutcomeName = 'applied' | 'already' | 'stale' | 'ignored' | 'invalid';

/** What a run did, and where the next one goes on from (it reads this as its last completion result). */
export interface ReconcileResult {
  watermark: string;
  seen: string[];
  /** Orders read, fed to the handler, and what came of them. */
  read: number;
  fed: number;
  outcomes: Partial<Record<ReconcileOutcomeName, number>>;
  pages: number;
  /** False when pages were left for the next run, or the read was unsettled (the watermark then stayed). */
  complete: boolean;
}

export type WooCommerceReconcileWorkflow = (input: ReconcileInput) => Promise<ReconcileResult>;
