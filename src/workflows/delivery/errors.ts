/**
 * How an operator stops a delivery: thrown through the workflow's code and caught where the journey or the
 * attempt knows what to do with it. Apart from deliver.ts, which re-exports them, so ./attempt needs no cycle.
 */

/** Thrown through the journey's code once an operator cancelled what remained; the journey ends, keeping its record. */
export class FollowUpsCancelled extends Error {
  override name = 'FollowUpsCancelled';
}

/** An operator skipped the message being sent: it is recorded as skipped, with their reason. */
export class SkippedByOperator extends Error {
  override name = 'SkippedByOperator';
}
