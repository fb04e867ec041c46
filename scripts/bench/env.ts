/**
 * What the bench runs against, all on this machine: one Temporal dev server, a protocol-faithful fake
 * Resend (and Twilio, for the opt-out), Aftercare itself as `npm start` runs it (one process: API and
 * worker, the process whose memory is measured), and the floor's worker in the bench's own process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import YAML from 'yaml';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { deriveKeys } from '../../src/lib/keys';
import { installTemporalRuntime } from '../../src/runtime';
import { dataConverterFor } from '../../src/temporal/codec';
import { freePort, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes';
import { startFakeResend, type FakeResend } from '../../test/fakes/resend-server';
import { startFakeTwilio, TWILIO_MAGIC_FROM, type FakeTwilio } from '../../test/fakes/twilio-server';

const root = path.resolve(__dirname, '..', '..');
export const API_KEY = 'bench-api-key-0123456789abcdef';
const SECRET = 'bench-secret-0123456789abcdef0123456789';
export const APP_TASK_QUEUE = 'aftercare-bench';
export const FLOOR_TASK_QUEUE = 'floor-bench';

/** The demo playbook with every wait at 1 s and one channel (email), as the figures were taken. */
export function benchPlaybook(dir: string): string {
  const demo = YAML.parse(readFileSync(path.join(root, 'playbooks', 'demo.yaml'), 'utf8')) as Record<
    string,
    unknown
  > & {
    winback: object;
    followUps: { survey: object; review: object; offer: object };
  };
  const playbook = {
    ...demo,
    channels: ['email', 'sms'],
    messages: { order_status: { channels: ['email'] }, offer: { channels: ['email'] } },
    delays: { thankYou: '1s' },
    // The win-back would fire during a long run: far away, so a standard order is what is measured.
    winback: { ...demo.winback, after: '30 days', secondAfter: '30 days' },
    followUps: {
      ...demo.followUps,
      survey: { ...demo.followUps.survey, after: '1s', reminderAfter: '1s', window: '2s', changeWindow: '1s' },
      review: { ...demo.followUps.review, referralAfter: '1s' },
      offer: { ...demo.followUps.offer, after: '1s' },
    },
  };
  const file = path.join(dir, 'bench-playbook.yaml');
  writeFileSync(file, YAML.stringify(playbook));
  return file;
}

export interface BenchEnv {
  dir: string;
  /** The server's `action` counter for the namespace, by type (Temporal's own stand-in for Cloud billing). */
  serverActions(): Promise<Record<string, number>>;
  /** Waits until the server's action counter stops moving (what is in flight has settled), and returns it. */
  quiesce(): Promise<Record<string, number>>;
  server: DevServer;
  client: Client;
  /** Aftercare's own data converter (its key): for bench workers that hand work to Aftercare's activities. */
  dataConverter: DataConverter;
  /** Plain client for the floor (its worker has no codec: the engine's cost, nothing of ours). */
  floorClient: Client;
  resend: FakeResend;
  twilio: FakeTwilio;
  app: App;
  floor: { worker: Worker; started: Map<string, number[]> };
  stop(): Promise<void>;
}

export async function startBenchEnv(opts: { log: (line: string) => void }): Promise<BenchEnv> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aftercare-bench-'));
  const config = loadConfig({ ...process.env, NODE_ENV: 'development' });
  installTemporalRuntime(createLogger('warn'));
  opts.log('starting the Temporal dev server');
  const metricsPort = await freePort();
  const server = await startDevServer({
    // The server's own count of billable Actions (action{action_type}), read beside the bench's count.
    extraArgs: ['--metrics-port', String(metricsPort)],
    port: 0,
    uiPort: null,
    namespace: 'default',
    dbFile: path.join(dir, 'temporal.db'),
    cliPath: config.temporal.cliPath,
    cacheDir: config.system.cacheDir,
    env: config.system.childEnv,
    allowBuild: true,
    log: createLogger('warn'),
  });
  const connection = await Connection.connect({ address: server.address });
  await ensureSearchAttributes(connection, 'default', createLogger('warn'));
  // The app's key, so describe() can read the (encrypted) memo; histories are only counted, never read.
  const dataConverter = dataConverterFor(deriveKeys(SECRET).payloads);
  const client = new Client({ connection, dataConverter });
  const resend = await startFakeResend();
  const twilio = await startFakeTwilio();

  opts.log('starting Aftercare (npm start, against that server)');
  const port = await freePort();
  const env: Record<string, string | undefined> = {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: APP_TASK_QUEUE,
    AFTERCARE_PORT: String(port),
    AFTERCARE_PUBLIC_URL: `http://127.0.0.1:${port}`,
    AFTERCARE_DATA_DIR: path.join(dir, 'data'),
    AFTERCARE_API_KEY: API_KEY,
    AFTERCARE_SECRET: SECRET,
    AFTERCARE_PLAYBOOK: benchPlaybook(dir),
    AFTERCARE_OUTBOX: 'off',
    // The fakes take any rate; the burst needs a limit it can queue behind (2,000 win-backs drain in 20 s).
    AFTERCARE_SEND_RATES: 'email=100,sms=100,telegram=100,whatsapp=100',
    RESEND_API_KEY: resend.apiKey,
    RESEND_BASE_URL: resend.url,
    EMAIL_FROM: "Dana's Shop <orders@shop.example>",
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_FROM: TWILIO_MAGIC_FROM,
    TWILIO_API_BASE_URL: twilio.url,
  };
  delete env.TWILIO_MESSAGING_SERVICE_SID;
  const app = await spawnApp(env);

  opts.log("starting the floor's worker");
  const started = new Map<string, number[]>();
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue: FLOOR_TASK_QUEUE,
    workflowsPath: require.resolve('./floor-workflow'),
    activities: {
      // When each message "went out", by workflow: the floor's latency and throughput read it.
      async deliver(_what: string) {
        const id = Context.current().info.workflowExecution?.workflowId ?? '?';
        const list = started.get(id) ?? [];
        list.push(Date.now());
        started.set(id, list);
      },
    },
  });
  const running = worker.run();

  const serverActions = async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const byType: Record<string, number> = {};
    for (const line of text.split('\n')) {
      const m = /^action\{([^}]*)\} ([0-9.e+]+)$/.exec(line);
      if (!m || !/namespace="default"/.test(m[1]!)) continue;
      const type = /action_type="([^"]+)"/.exec(m[1]!)?.[1] ?? '?';
      byType[type] = (byType[type] ?? 0) + Number(m[2]);
    }
    return byType;
  };
  const quiesce = async () => {
    let last = JSON.stringify(await serverActions());
    for (let still = 0; still < 3;) {
      await new Promise((r) => setTimeout(r, 700));
      const now = JSON.stringify(await serverActions());
      still = now === last ? still + 1 : 0;
      last = now;
    }
    return JSON.parse(last) as Record<string, number>;
  };
  return {
    dir,
    serverActions,
    quiesce,
    server,
    client,
    dataConverter,
    floorClient: new Client({ connection }),
    resend,
    twilio,
    app,
    floor: { worker, started },
    stop: async () => {
      worker.shutdown();
      await running.catch(() => undefined);
      await nativeConnection.close();
      await app.stop();
      await connection.close();
      await resend.close();
      await twilio.close();
      await server.stop();
    },
  };
}

/** Aftercare as `npm start` runs it; restartable on the same port (the memory figures start from a fresh process). */
export interface App {
  readonly api: string;
  readonly pid: number;
  output(): string;
  /** A fresh process with the same settings, and `overrides` (e.g. other send rates). */
  restart(overrides?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

/** `npm start`'s node flags and entry point, read from package.json so the bench runs what users run. */
const START_ARGS = (() => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [node, ...args] = pkg.scripts.start.split(/\s+/);
  if (node !== 'node') throw new Error(`npm start is not "node …": ${pkg.scripts.start}`);
  return args;
})();

async function spawnApp(env: Record<string, string | undefined>): Promise<App> {
  let child: ChildProcess;
  let out = '';
  let api = '';
  const start = async (vars: Record<string, string | undefined>) => {
    out = '';
    child = spawn(process.execPath, START_ARGS, {
      cwd: root,
      env: vars,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    api = await new Promise<string>((resolve, reject) => {
      const deadline = Date.now() + 180_000;
      const tick = setInterval(() => {
        const match = /API\s+(http:\/\/\S+)/.exec(out);
        if (match) {
          clearInterval(tick);
          resolve(match[1]!);
        } else if (child.exitCode !== null || Date.now() > deadline) {
          clearInterval(tick);
          reject(new Error(`Aftercare did not start:\n${out}`));
        }
      }, 100);
    });
  };
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  await start(env);
  return {
    get api() {
      return api;
    },
    get pid() {
      return child.pid!;
    },
    output: () => out,
    async restart(overrides = {}) {
      await stop();
      await start({ ...env, ...overrides });
    },
    stop,
  };
}
