/**
 * `npm start` as a user runs it, for the end-to-end tier: `src/main.ts` in a child process with its own
 * data directory and free ports (its own Temporal dev server, with the UI), its output captured.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { eventually } from './harness';

const root = path.resolve(__dirname, '..', '..');

export interface SpawnedApp {
  child: ChildProcess;
  /** The API's URL, read from the start-up banner. */
  api: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Ctrl-C, as a user stops it; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts the app with a development environment plus `env` (a value of undefined removes a variable). */
export async function spawnApp(env: Record<string, string | undefined>): Promise<SpawnedApp> {
  const merged: Record<string, string | undefined> = { ...process.env, NODE_ENV: 'development', ...env };
  // The shell's TEMPORAL_ADDRESS never leaks in (the app runs its own dev server); a test may pass its own.
  if (!('TEMPORAL_ADDRESS' in env)) delete merged.TEMPORAL_ADDRESS;
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete merged[k];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: merged,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const stop = () => {
    if (child.exitCode !== null) return Promise.resolve(child.exitCode);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    return exited;
  };
  const api = await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`npm start exited early:\n${out}`);
      const match = /API\s+(http:\/\/\S+)/.exec(out);
      if (!match) throw new Error(`no API line yet:\n${out}`);
      return match[1]!;
    },
    { timeoutMs: 120_000, intervalMs: 250 },
  ).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { child, api, output: () => out, stop };
}

/**
 * After a failed test: Ctrl-C first, so the app stops its own Temporal dev server (SIGKILL would orphan it),
 * then SIGKILL if it has not exited within 20 s.
 */
export async function stopAll(apps: (SpawnedApp | undefined)[]): Promise<void> {
  for (const app of apps) {
    if (!app || app.child.exitCode !== null) continue;
    await Promise.race([app.stop(), new Promise((resolve) => setTimeout(resolve, 20_000))]);
    if (app.child.exitCode === null) app.child.kill('SIGKILL');
  }
}
