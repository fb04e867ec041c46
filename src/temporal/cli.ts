import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger';
import { findGo, isExecutable, onPath } from './executables';
import { goInstall } from './go-install';

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

  const go = findGo(opts.env);
  if (!opts.allowBuild || !go) return undefined;
  await goInstall({
    go,
    packages: [MODULE],
    binDir: path.dirname(cached),
    label: 'Temporal CLI',
    ldflags: `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION.slice(1)}`,
    env: opts.env,
    log: opts.log,
  });
  if (!existsSync(cached)) throw new Error(`go install finished but ${cached} is missing`);
  return { path: cached, source: 'go install' };
}
