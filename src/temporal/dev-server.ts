import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Logger } from '../logger';
import { locateTemporalCli, type LocatedCli } from './cli';

export interface DevServerOptions {
  /** gRPC port; 0 picks a free one (tests). */
  port: number;
  /** Web UI port; 0 picks a free one; null runs headless. */
  uiPort: number | null;
  namespace: string;
  /** SQLite file that keeps journeys across restarts; undefined keeps state in memory. */
  dbFile: string | undefined;
  cliPath?: string;
  cacheDir: string;
  env: Record<string, string | undefined>;
  allowBuild: boolean;
  /** Where the Web UI decodes (decrypts) payloads: the API's /codec. */
  uiCodecEndpoint?: string;
  /** More `start-dev` flags (the bench: `--metrics-port`, `--dynamic-config-value`). */
  extraArgs?: string[];
  log: Logger;
}

export interface DevServer {
  address: string;
  namespace: string;
  uiUrl: string | undefined;
  /** Which binary runs it: where it came from. */
  source: LocatedCli['source'] | 'sdk download';
  binary: string | undefined;
  /** The server's process, when this machine runs it (the bench reads its CPU time). */
  pid?: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function assertPortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', () =>
      reject(
        new Error(
          `${what} port ${port} is already in use: stop what uses it, or choose another port (see README, Configuration)`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/**
 * Starts the official Temporal dev server (`temporal server start-dev`, Web UI included) as a child
 * process, and waits until it answers gRPC. Falls back to the SDK's own download when no binary is
 * available (ordinary machines with internet access).
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const cli = await locateTemporalCli({
    configuredPath: opts.cliPath,
    cacheDir: opts.cacheDir,
    env: opts.env,
    allowBuild: opts.allowBuild,
    log: opts.log,
  });
  const port = opts.port === 0 ? await freePort() : opts.port;
  const uiPort = opts.uiPort === null ? null : opts.uiPort === 0 ? await freePort() : opts.uiPort;
  if (opts.dbFile) mkdirSync(path.dirname(opts.dbFile), { recursive: true });

  const codecArgs = [
    ...(uiPort !== null && opts.uiCodecEndpoint ? ['--ui-codec-endpoint', opts.uiCodecEndpoint] : []),
    ...(opts.extraArgs ?? []),
  ];
  if (!cli) return startWithSdkDownload(opts, port, uiPort, codecArgs);

  await assertPortFree(port, 'Temporal gRPC (TEMPORAL_PORT)');
  if (uiPort !== null) await assertPortFree(uiPort, 'Temporal UI (TEMPORAL_UI_PORT)');

  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--namespace',
    opts.namespace,
    '--log-level',
    'error',
    // WAL: the SDK's own CI runs the dev server this way; the default journal mode is far slower.
    '--sqlite-pragma',
    'journal_mode=WAL',
    '--sqlite-pragma',
    'synchronous=NORMAL',
    // Task priority (transactional sends before marketing) needs the new matcher on server 1.29.
    '--dynamic-config-value',
    'matching.useNewMatcher=true',
    // One partition per task queue: a send queue's rate limit is split evenly across its partitions and
    // priority orders tasks within one, so with four a "shipped" waits behind a quarter-rate backlog.
    '--dynamic-config-value',
    'matching.numTaskqueueReadPartitions=1',
    '--dynamic-config-value',
    'matching.numTaskqueueWritePartitions=1',
    ...(uiPort === null ? ['--headless'] : ['--ui-port', String(uiPort)]),
    ...codecArgs,
    ...(opts.dbFile ? ['--db-filename', opts.dbFile] : []),
  ];
  const address = `127.0.0.1:${port}`;
  const { child, killOnExit } = await spawnUntilServing(cli.path, args, opts.env, address, opts.log);
  return {
    address,
    namespace: opts.namespace,
    uiUrl: uiPort === null ? undefined : `http://localhost:${uiPort}`,
    source: cli.source,
    binary: cli.path,
    ...(child.pid ? { pid: child.pid } : {}),
    stop: async () => {
      process.removeListener('exit', killOnExit);
      await stopChild(child);
    },
  };
}

/** Startup tries: the server binds a few internal ports it picks itself, and another process can take one first. */
const STARTUP_TRIES = 3;

async function spawnUntilServing(
  binary: string,
  args: string[],
  env: Record<string, string | undefined>,
  address: string,
  log: Logger,
): Promise<{ child: ChildProcess; killOnExit: () => void }> {
  for (let attempt = 1; ; attempt++) {
    const child = spawn(binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    // Never leave an orphaned server behind, whatever way this process ends.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    try {
      await waitUntilServing(address, child, () => output);
      // Keep reading, so a chatty server never blocks on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
      return { child, killOnExit };
    } catch (err) {
      child.kill('SIGKILL');
      process.removeListener('exit', killOnExit);
      const message = (err as Error).message;
      if (attempt >= STARTUP_TRIES || !/address already in use/i.test(message)) throw err;
      log.warn({ attempt, address }, 'Temporal dev server lost a port race while starting; starting it again');
    }
  }
}

async function waitUntilServing(address: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let exited: string | undefined;
  // 'close', not 'exit': by then everything the server wrote has been read, so the error says why.
  child.once('close', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  for (;;) {
    if (exited) throw new Error(`Temporal dev server ${exited}:\n${output()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(
          `Temporal dev server did not answer on ${address} within 60s: ${(err as Error).message}\n${output()}`,
        );
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function startWithSdkDownload(
  opts: DevServerOptions,
  port: number,
  uiPort: number | null,
  extraArgs: string[],
): Promise<DevServer> {
  opts.log.info('no Temporal CLI found: letting the Temporal SDK download its dev server');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'cached-download' },
      ip: '127.0.0.1',
      port,
      namespace: opts.namespace,
      ...(uiPort === null ? {} : { ui: true, uiPort }),
      ...(opts.dbFile ? { dbFilename: opts.dbFile } : {}),
      log: { format: 'pretty', level: 'error' },
      extraArgs,
    },
  });
  return {
    address: env.address,
    namespace: opts.namespace,
    uiUrl: uiPort === null ? undefined : `http://localhost:${uiPort}`,
    source: 'sdk download',
    binary: undefined,
    stop: () => env.teardown(),
  };
}
