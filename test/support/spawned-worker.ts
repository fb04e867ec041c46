/**
 * A worker in a child process (./worker-process.ts) against the run's shared Temporal server, for the tests that
 * kill a worker mid-send or mid-journey and let another one take over.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client, type Connection } from '@temporalio/client';
import { expect, inject } from 'vitest';
import { AftercareClient } from '../../src/client';
import type { Playbook } from '../../src/playbook/schema';
import { dataConverterFor } from '../../src/temporal/codec';
import { eventually, TEST_KEYS, TEST_SECRET } from './harness';
import type { WorkerProcessOptions, WorkerProcessProviders } from './worker-process';

export interface SpawnedWorker {
  /** What the process was started with (its Temporal address and namespace, for a client of its own). */
  options: WorkerProcessOptions;
  /** SIGKILL, without a chance to drain; resolves once the process has exited. */
  killWithoutDrain(): Promise<void>;
}

/**
 * Spawns the worker on `taskQueue`, sending through `providers`, and resolves once it polls (within 30 s);
 * a worker that does not get there is killed.
 */
export async function startWorkerProcess(taskQueue: string, providers: WorkerProcessProviders): Promise<SpawnedWorker> {
  const options: WorkerProcessOptions = {
    address: inject('temporalAddress'),
    namespace: inject('temporalNamespace'),
    taskQueue,
    bundlePath: inject('workflowBundlePath'),
    providers,
    secret: TEST_SECRET,
  };
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'worker-process.ts'), JSON.stringify(options)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const killWithoutDrain = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await eventually(async () => expect(out).toContain('worker ready'), { timeoutMs: 30_000 }).catch(
    async (err: unknown) => {
      await killWithoutDrain();
      throw err;
    },
  );
  return { options, killWithoutDrain };
}

/** The app's client for journeys on the spawned worker's task queue, over `connection` (which the caller closes). */
export function aftercareClientOf(worker: SpawnedWorker, connection: Connection, playbook: Playbook): AftercareClient {
  return new AftercareClient({
    client: new Client({
      connection,
      namespace: worker.options.namespace,
      dataConverter: dataConverterFor(TEST_KEYS.payloads),
    }),
    playbook,
    keys: TEST_KEYS,
    taskQueue: worker.options.taskQueue,
  });
}
