import type { Worker } from '@temporalio/worker';

/** The Worker Deployment Version a worker polls as. */
export interface DeploymentVersion {
  deploymentName: string;
  buildId: string;
}

/**
 * The worker of one process: the workflows and bookkeeping on the task queue, and one sender per channel on
 * that channel's send queue, limited to its provider's rate (one queue per provider: the limit holds however
 * many processes run). Runs and stops as one.
 */
export class AftercareWorker {
  constructor(
    readonly main: Worker,
    readonly senders: Worker[],
    /** The version its workflow worker polls as; undefined when unversioned. */
    readonly version?: DeploymentVersion,
  ) {}

  async run(): Promise<void> {
    const all = [this.main, ...this.senders];
    try {
      await Promise.all(all.map((w) => w.run()));
    } finally {
      // One failed: the others stop too (a worker without its senders would queue sends nobody takes).
      for (const w of all) if (w.getState() === 'RUNNING') w.shutdown();
    }
  }

  shutdown(): void {
    for (const w of [this.main, ...this.senders]) if (w.getState() === 'RUNNING') w.shutdown();
  }

  /** Runs while `work` does (scripts), then stops and waits for the stop. */
  async runUntil<R>(work: Promise<R> | (() => Promise<R>)): Promise<R> {
    const running = this.run();
    try {
      return await (typeof work === 'function' ? work() : work);
    } finally {
      this.shutdown();
      await running;
    }
  }

  getState(): ReturnType<Worker['getState']> {
    return this.main.getState();
  }
}

/**
 * Resolves once the worker polls. worker.run() sets RUNNING synchronously today, but plugins may
 * wrap it and start it later; throws when it fails or stops instead, or does not start in time.
 */
export async function waitUntilRunning(worker: Pick<Worker, 'getState'>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (worker.getState() === 'INITIALIZED') {
    if (Date.now() > deadline) throw new Error(`the worker did not start polling within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const state = worker.getState();
  if (state !== 'RUNNING') throw new Error(`the worker did not start: it is ${state}`);
}
