/**
 * The Temporal server, its SQL schema tool and the standalone UI server, built with `go install` from the Go
 * module proxy into the cache outside the repo (like the CLI: src/temporal/cli.ts), once per machine.
 */
import path from 'node:path';
import type { Logger } from '../../src/logger';
import { findGo, isExecutable } from '../../src/temporal/executables';
import { goInstall } from '../../src/temporal/go-install';
import { SERVER_MODULE, TEMPORAL_SERVER_VERSION, TEMPORAL_UI_VERSION, UI_MODULE } from './topology';

export interface StackBinaries {
  server: string;
  sqlTool: string;
  ui: string;
}

export function serverBinDir(cacheDir: string): string {
  return path.join(cacheDir, `temporal-server-v${TEMPORAL_SERVER_VERSION}`);
}

export function uiBinDir(cacheDir: string): string {
  return path.join(cacheDir, `temporal-ui-server-v${TEMPORAL_UI_VERSION}`);
}

/** Finds the three binaries in the cache, building the missing ones (6-10 minutes cold on 2 cores). */
export async function ensureStackBinaries(opts: {
  cacheDir: string;
  env: Record<string, string | undefined>;
  log: Logger;
}): Promise<StackBinaries> {
  const serverDir = serverBinDir(opts.cacheDir);
  const uiDir = uiBinDir(opts.cacheDir);
  const server = path.join(serverDir, 'server');
  const sqlTool = path.join(serverDir, 'sql');
  const ui = path.join(uiDir, 'server');
  const go = findGo(opts.env);
  const needServer = !isExecutable(server) || !isExecutable(sqlTool);
  const needUi = !isExecutable(ui);
  if ((needServer || needUi) && !go) {
    throw new Error(
      'the production-like stack needs Go to build the Temporal server and UI once (https://go.dev/dl; the module proxy must be reachable)',
    );
  }
  if (needServer) {
    await goInstall({
      go: go!,
      packages: [
        `${SERVER_MODULE}/cmd/server@v${TEMPORAL_SERVER_VERSION}`,
        `${SERVER_MODULE}/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`,
      ],
      binDir: serverDir,
      label: `Temporal server ${TEMPORAL_SERVER_VERSION}`,
      env: opts.env,
      log: opts.log,
    });
  }
  if (needUi) {
    await goInstall({
      go: go!,
      packages: [`${UI_MODULE}/cmd/server@v${TEMPORAL_UI_VERSION}`],
      binDir: uiDir,
      label: `Temporal UI server ${TEMPORAL_UI_VERSION}`,
      env: opts.env,
      log: opts.log,
    });
  }
  for (const file of [server, sqlTool, ui]) {
    if (!isExecutable(file)) throw new Error(`go install finished but ${file} is missing`);
  }
  return { server, sqlTool, ui };
}
