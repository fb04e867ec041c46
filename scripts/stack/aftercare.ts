/** Aftercare's own processes in the stack: workers (`npm run worker`) and API processes (`npm run api`). */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../src/temporal/dev-server';
import { ManagedProcess, until } from './process';

const root = path.resolve(__dirname, '..', '..');

export interface StackSecrets {
  apiKey: string;
  secret: string;
  operatorKey: string;
}

/**
 * The keys every process shares, generated once and kept in the state directory (mode 600): the secret must stay
 * stable across restarts, since links, contact keys and the encryption of every payload in history derive from it.
 */
export function stackSecrets(stateDir: string): StackSecrets {
  const file = path.join(stateDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as StackSecrets;
  const secrets = {
    apiKey: randomBytes(24).toString('hex'),
    secret: randomBytes(32).toString('hex'),
    operatorKey: randomBytes(24).toString('hex'),
  };
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

interface ProcessOptions {
  name: string;
  env: Record<string, string | undefined>;
  logDir: string;
  echo: boolean;
}

/**
 * Node as `npm run worker` / `npm run api` start it, without npm in between (signals reach the process), ready once
 * its own /health on `port` answers (whatever the log level).
 */
function aftercareProcess(
  opts: ProcessOptions & { entry: 'src/worker.ts' | 'src/server.ts'; port: number; readyTimeoutMs: number },
): ManagedProcess {
  return new ManagedProcess({
    name: opts.name,
    command: process.execPath,
    args: ['--max-old-space-size=512', '--import', 'tsx', opts.entry],
    cwd: root,
    env: opts.env,
    logDir: opts.logDir,
    echo: opts.echo,
    readyTimeoutMs: opts.readyTimeoutMs,
    ready: (_output, alive) => until(async () => (await fetch(`http://127.0.0.1:${opts.port}/health`)).ok, alive, 300),
  });
}

/** A worker; its /health and /metrics listener (AFTERCARE_WORKER_METRICS_PORT) opens right before it polls. */
export function workerProcess(opts: ProcessOptions & { healthPort: number }): ManagedProcess {
  return aftercareProcess({
    ...opts,
    entry: 'src/worker.ts',
    port: opts.healthPort,
    env: { ...opts.env, AFTERCARE_WORKER_METRICS_PORT: String(opts.healthPort) },
    // Bundling the workflow code takes a few seconds per worker, more on a loaded machine.
    readyTimeoutMs: 120_000,
  });
}

export function apiProcess(opts: ProcessOptions & { port: number }): ManagedProcess {
  return aftercareProcess({
    ...opts,
    entry: 'src/server.ts',
    env: { ...opts.env, AFTERCARE_HOST: '127.0.0.1', AFTERCARE_PORT: String(opts.port) },
    readyTimeoutMs: 60_000,
  });
}

export { freePort };
