/**
 * The production server (go.temporal.io/server, the version the production-like stack runs: scripts/stack) as a
 * child process for one test file, on SQLite in memory and the deployment's own dynamic config
 * (deploy/temporal/dynamicconfig/development-sql.yaml) plus the test's extra keys. For what the CLI's dev server
 * (server 1.29) cannot do: Worker Versioning's upgrade on continue-as-new needs server 1.32.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureStackBinaries } from '../../scripts/stack/binaries';
import { DYNAMIC_CONFIG, freeFrontendPort, registerNamespace, serverConfig } from '../../scripts/stack/temporal';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';

export interface FullTemporalServer {
  address: string;
  namespace: string;
  stop(): Promise<void>;
}

/**
 * Starts the server (building it once with Go if the cache has none, as `npm run stack:prod -- --install` does),
 * registers `namespace` and Aftercare's search attributes. `extraDynamicConfig`: YAML appended to the
 * deployment's file (keys it does not set).
 */
export async function startFullTemporalServer(
  opts: { namespace?: string; extraDynamicConfig?: string } = {},
): Promise<FullTemporalServer> {
  const config = loadConfig({ ...process.env, NODE_ENV: 'development' });
  const log = createLogger('warn');
  const { server } = await ensureStackBinaries({ cacheDir: config.system.cacheDir, env: config.system.childEnv, log });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aftercare-temporal-'));
  const dynamicConfig = path.join(dir, 'dynamicconfig.yaml');
  writeFileSync(dynamicConfig, `${readFileSync(DYNAMIC_CONFIG, 'utf8')}\n${opts.extraDynamicConfig ?? ''}`);
  const port = await freeFrontendPort();
  writeFileSync(path.join(dir, 'test.yaml'), serverConfig({ kind: 'sqlite-memory' }, port, dynamicConfig));
  const child = spawn(server, ['--root', dir, '--config', '.', '--env', 'test', '--allow-no-auth', 'start'], {
    cwd: dir,
    env: config.system.childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const forced = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(forced);
    rmSync(dir, { recursive: true, force: true });
  };

  const address = `127.0.0.1:${port}`;
  const namespace = opts.namespace ?? 'default';
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Temporal server exited:\n${output}`);
      try {
        await registerNamespace(address, namespace, log, '24h');
        return { address, namespace, stop };
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`Temporal server did not serve: ${(err as Error).message}\n${output}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
}
