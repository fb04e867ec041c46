import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger';

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
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      go,
      [
        'install',
        '-ldflags',
        `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION.slice(1)}`,
        MODULE,
      ],
      {
        env: { ...opts.env, GOBIN: binDir, CGO_ENABLED: '0', GOTOOLCHAIN: opts.env.GOTOOLCHAIN ?? 'auto' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`go install ${MODULE} failed (exit ${code}):\n${stderr}`)),
    );
  });
  opts.log.info({ seconds: Math.round((Date.now() - started) / 1000) }, 'Temporal CLI built');
}
