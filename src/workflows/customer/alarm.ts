/**
 * One timer for a due time that many wake-ups share: set() keeps the running timer when the due time is
 * unchanged (a new order, a count, a signal wakes the loop without costing a new timer Action) and replaces it
 * when the due time moves. Workflow code: deterministic.
 */
import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';
import { summary } from '../../lib/bounded-text';

export class Alarm {
  private at: number | undefined;
  private scope: CancellationScope | undefined;
  private fired = false;

  constructor(private readonly what: string) {}

  /** Due at `at` (ms; Infinity: never). */
  set(at: number): void {
    if (at === this.at) return;
    this.clear();
    if (!Number.isFinite(at)) return;
    this.at = at;
    const scope = new CancellationScope();
    this.scope = scope;
    scope
      .run(() => sleep(Math.max(at - Date.now(), 1), { summary: summary(`wait for ${this.what}`) }))
      .then(
        () => {
          if (this.scope === scope) this.fired = true;
        },
        (err: unknown) => {
          if (!isCancellation(err)) throw err;
        },
      );
  }

  rang(): boolean {
    return this.fired;
  }

  /** After the loop woke: a rung alarm is spent (the next set() starts a new timer). */
  ack(): void {
    if (!this.fired) return;
    this.fired = false;
    this.at = undefined;
    this.scope = undefined;
  }

  clear(): void {
    this.scope?.cancel();
    this.scope = undefined;
    this.at = undefined;
    this.fired = false;
  }
}
