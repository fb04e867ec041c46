/**
 * Virtual time for the preview: the journey and the lifecycle are played as async functions that wait on this
 * clock instead of Temporal timers, and it runs them in time order without waiting for real. A wait ends at its
 * time or as soon as its condition holds (as `condition(fn, timeout)` does in a workflow); waits due at the same
 * moment end in the order they began.
 */

const MAX_STEPS = 100_000;

interface Waiter {
  at: number;
  ready?: () => boolean;
  seq: number;
  wake: (byCondition: boolean) => void;
}

export class VirtualTime {
  private waiters: Waiter[] = [];
  private seq = 0;
  private failures: unknown[] = [];

  constructor(private current: number) {}

  get now(): number {
    return this.current;
  }

  /** Waits until `at` (ms), or until `ready()` holds; true when the condition ended it. Infinity: no time limit. */
  until(at: number, ready?: () => boolean): Promise<boolean> {
    if (ready?.()) return Promise.resolve(true);
    if (at <= this.current && !ready) return Promise.resolve(false);
    return new Promise((wake) => this.waiters.push({ at, ready, seq: this.seq++, wake }));
  }

  /** Starts a process (a journey, a lifecycle, a feeder of events); its failure fails the run. */
  spawn(process: () => Promise<void>): void {
    process().catch((err: unknown) => this.failures.push(err));
  }

  /** Runs every process until each one has finished or waits for something that never comes. */
  async run(): Promise<void> {
    for (let step = 0; step < MAX_STEPS; step++) {
      // Every process runs on until it waits again (they await nothing but this clock).
      await new Promise((resolve) => setImmediate(resolve));
      if (this.failures.length > 0) throw this.failures[0];
      const ready = this.waiters.find((w) => w.ready?.());
      const next = ready ?? this.earliest();
      if (!next || (!Number.isFinite(next.at) && !ready)) return;
      this.waiters.splice(this.waiters.indexOf(next), 1);
      if (!ready) this.current = Math.max(this.current, next.at);
      next.wake(ready !== undefined);
    }
    throw new Error(`the preview did not settle after ${MAX_STEPS} steps`);
  }

  private earliest(): Waiter | undefined {
    let best: Waiter | undefined;
    for (const w of this.waiters) if (!best || w.at < best.at || (w.at === best.at && w.seq < best.seq)) best = w;
    return best;
  }
}
