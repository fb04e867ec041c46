import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger';
import { formatElapsed, GoBuildProgress } from './build-progress';
import { startProgressDisplay } from './progress-display';

/** Newest Temporal CLI tag that `go install` accepts (later tags carry a `replace` directive). */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const MODULE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;

export interface LocatedCli {
  path: string;
  source: 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'go install';
}

export interface LocateOptions {
  configuredPath?: string;
  cacheDir: string;
  env: Record<string, string | undefined>;
  /** Build with Go when nothing else is found (minutes, once per machine). */
  allowBuild: boolean;
  log: Logger;
}

export function cachedCliPath(cacheDir: string): string {
  return path.join(cacheDir, `temporal-${TEMPORAL_CLI_VERSION}`, 'temporal');
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command: string, env: Record<string, string | undefined>): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Finds the Temporal CLI, in the order the README documents: TEMPORAL_CLI_PATH, `temporal` on
 * PATH, a cached build outside the repo, a fresh `go install` into that cache when Go is present.
 * Returns undefined when none applies: the caller then lets the SDK download the dev server.
 */
export async function locateTemporalCli(opts: LocateOptions): Promise<LocatedCli | undefined> {
  if (opts.configuredPath) {
    if (!isExecutable(opts.configuredPath)) {
      throw new Error(`TEMPORAL_CLI_PATH=${opts.configuredPath} is not an executable file`);
    }
    return { path: opts.configuredPath, source: 'TEMPORAL_CLI_PATH' };
  }
  const fromPath = onPath('temporal', opts.env);
  if (fromPath) return { path: fromPath, source: 'PATH' };

  const cached = cachedCliPath(opts.cacheDir);
  if (isExecutable(cached)) return { path: cached, source: 'cache' };

  const go = onPath('go', opts.env) ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!opts.allowBuild || !go) return undefined;
  await buildWithGo(go, path.dirname(cached), opts);
  if (!existsSync(cached)) throw new Error(`go install finished but ${cached} is missing`);
  return { path: cached, source: 'go install' };
}

async function buildWithGo(go: string, binDir: string, opts: LocateOptions): Promise<void> {
  mkdirSync(binDir, { recursive: true });
  opts.log.info(
    { module: MODULE, into: binDir },
    'building the Temporal CLI with Go (once per machine; takes a few minutes)',
  );
  // The status line shares the terminal with the logs: let that line out before drawing under it.
  await new Promise<void>((resolve) => opts.log.flush(() => resolve()));
  const started = Date.now();
  const progress = new GoBuildProgress('building Temporal CLI');
  const display = startProgressDisplay(
    (elapsedMs, maxWidth) => progress.statusLine(elapsedMs, maxWidth),
    process.stderr,
  );
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        go,
        [
          'install',
          // -v names each package as it compiles: the progress shown during the long compile.
          '-v',
          '-ldflags',
          `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION.slice(1)}`,
          MODULE,
        ],
        {
          env: { ...opts.env, GOBIN: binDir, CGO_ENABLED: '0', GOTOOLCHAIN: opts.env.GOTOOLCHAIN ?? 'auto' },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let stderrTail = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        stderrTail = (stderrTail + chunk).slice(-4000);
        display.update(progress.feed(chunk));
      });
      child.on('error', reject);
      // 'close', not 'exit': the last of stderr (the actual error) may arrive after the process exits.
      child.on('close', (code, signal) => {
        progress.end();
        if (code === 0) return resolve();
        // Ctrl-C: the person knows why; a screen of package names would not tell them more.
        if (signal) return reject(new Error(`go install ${MODULE} was stopped by ${signal}`));
        // Without the package names from -v, which would push the compiler's error out of the tail.
        const output = progress.diagnostics || stderrTail;
        reject(new Error(`go install ${MODULE} failed (exit ${code}):\n${output}`));
      });
    });
  } finally {
    display.stop();
  }
  const elapsedMs = Date.now() - started;
  opts.log.info(
    { seconds: Math.round(elapsedMs / 1000), packages: progress.packagesCompiled },
    `Temporal CLI built in ${formatElapsed(elapsedMs)}`,
  );
}
