/**
 * Temporal goes away under a running API: every route that needs it answers 503 with a body that says what
 * happened and what to do (and Retry-After), within a bound, never hanging; /health says degraded at once; and when
 * the server is back (same port, same database) the same processes serve again, no restart. Checked on both
 * shapes the API runs in: `npm start` (API and worker in one process, on the worker's native connection) and
 * `npm run api` (the API alone on a gRPC connection, as stack:prod runs it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { freePort, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes';
import { eventually, FAST_PLAYBOOK, sampleOrder, TEST_SECRET } from '../support/harness';
import { spawnApp, stopAll, type SpawnedApp } from '../support/spawn-app';

const API_KEY = 'temporal-down-test-key-0123456789';
const root = path.resolve(__dirname, '..', '..');
/**
 * What a caller waits at most for an answer while Temporal is down: the budgets (src/api/temporal-budget.ts) are 10 s
 * for a new order and 20 s for what waits for a journey's workflow task, 2 s for /health; plus a margin for this
 * 2-core machine.
 */
const START_BOUND_MS = 15_000;
const JOURNEY_BOUND_MS = 25_000;
const HEALTH_BOUND_MS = 5_000;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'aftercare-temporal-down-'));
const config = loadConfig({ ...process.env, NODE_ENV: 'development' });
let server: DevServer | undefined;
let app: SpawnedApp | undefined;
let apiAlone: ChildProcess | undefined;
let apiAloneOutput = '';

afterAll(async () => {
  await stopAll([app]);
  apiAlone?.kill('SIGKILL');
  await server?.stop();
});

/** The dev server on `port`, its state in `dbFile`, so a restart finds the journeys it had. */
async function startTemporal(port: number): Promise<DevServer> {
  return startDevServer({
    port,
    uiPort: null,
    namespace: config.temporal.namespace,
    dbFile: path.join(tmp, 'temporal.db'),
    cliPath: config.temporal.cliPath,
    cacheDir: config.system.cacheDir,
    env: config.system.childEnv,
    allowBuild: false,
    log: createLogger('warn'),
  });
}

/** `npm run api`: the API alone, against `address`; resolves with its URL once /health answers. */
async function startApiAlone(address: string): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      TEMPORAL_ADDRESS: address,
      AFTERCARE_PORT: String(port),
      AFTERCARE_API_KEY: API_KEY,
      // The same secret as the app's: the payloads its worker encrypts are read here.
      AFTERCARE_SECRET: TEST_SECRET,
      AFTERCARE_PLAYBOOK: FAST_PLAYBOOK,
      AFTERCARE_DATA_DIR: path.join(tmp, 'api-data'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  apiAlone = child;
  child.stdout!.on('data', (d: Buffer) => (apiAloneOutput += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (apiAloneOutput += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`npm run api exited early:\n${apiAloneOutput}`);
      expect((await fetch(`${url}/health`)).status).toBe(200);
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  return url;
}

interface Timed {
  status: number;
  retryAfter: string | null;
  body: { error?: { code?: string; message?: string } } & Record<string, unknown>;
  ms: number;
}

async function timed(url: string, init: RequestInit = {}): Promise<Timed> {
  const started = Date.now();
  const res = await fetch(url, {
    ...init,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...init.headers },
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await res.json()) as Timed['body'];
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body, ms: Date.now() - started };
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  timed(url, { method: 'POST', body: JSON.stringify(body), headers });

/** The answer every Temporal-backed route gives while Temporal is away. */
function expectUnavailable(answer: Timed, what: string, boundMs: number) {
  expect(answer.status, `${what}: ${JSON.stringify(answer.body)}`).toBe(503);
  expect(answer.ms, `${what} took ${answer.ms} ms`).toBeLessThan(boundMs);
  expect(Number(answer.retryAfter), `${what}: Retry-After`).toBeGreaterThan(0);
  expect(answer.body.error?.code).toBe('temporal_unavailable');
  expect(answer.body.error?.message).toMatch(/Temporal/);
  expect(answer.body.error?.message).toMatch(/may not have taken effect/);
  expect(answer.body.error?.message).toMatch(/Idempotency-Key/);
}

describe('the API while Temporal is down', () => {
  it('answers 503 with what to do, within a bound, and serves again once Temporal is back', async () => {
    const temporalPort = await freePort();
    server = await startTemporal(temporalPort);
    const connection = await Connection.connect({ address: server.address });
    await ensureSearchAttributes(connection, config.temporal.namespace, createLogger('warn'));
    await connection.close();

    app = await spawnApp({
      LOG_LEVEL: 'warn',
      TEMPORAL_ADDRESS: server.address,
      AFTERCARE_DATA_DIR: path.join(tmp, 'app-data'),
      AFTERCARE_PORT: '0',
      AFTERCARE_API_KEY: API_KEY,
      AFTERCARE_SECRET: TEST_SECRET,
      AFTERCARE_PLAYBOOK: FAST_PLAYBOOK,
    });
    const alone = await startApiAlone(server.address);
    const apis = { 'npm-start': app.api, 'npm-run-api': alone };

    const order = sampleOrder();
    expect((await post(`${app.api}/v1/orders`, order)).status).toBe(201);
    await eventually(async () => {
      const read = await timed(`${alone}/v1/orders/${order.orderId}`);
      expect(read.status, JSON.stringify(read.body) + apiAloneOutput).toBe(200);
    });

    await server.stop();
    const down = await Promise.all(
      Object.entries(apis).map(async ([name, api]) => {
        const [created, read, staged, health] = await Promise.all([
          post(`${api}/v1/orders`, sampleOrder(), { 'idempotency-key': `down-${name}` }),
          timed(`${api}/v1/orders/${order.orderId}`),
          post(`${api}/v1/orders/${order.orderId}/stage`, { stage: 'confirmed' }, { 'idempotency-key': `s-${name}` }),
          timed(`${api}/health`),
        ]);
        return { name, created, read, staged, health };
      }),
    );
    // The figures, for the reliability drill's notes.
    console.log(
      down
        .map(
          (d) =>
            `${d.name}: ${['created', 'read', 'staged', 'health'].map((k) => `${k} ${d[k as 'read'].status} in ${d[k as 'read'].ms} ms`).join(', ')}`,
        )
        .join('\n'),
    );
    for (const { name, created, read, staged, health } of down) {
      expectUnavailable(created, `${name}: POST /v1/orders`, START_BOUND_MS);
      expectUnavailable(read, `${name}: GET /v1/orders/{id}`, JOURNEY_BOUND_MS);
      expectUnavailable(staged, `${name}: POST /v1/orders/{id}/stage`, JOURNEY_BOUND_MS);
      expect(health.status, `${name}: /health`).toBe(503);
      expect(health.body).toEqual({ status: 'degraded', temporal: 'unreachable' });
      expect(health.ms, `${name}: /health took ${health.ms} ms`).toBeLessThan(HEALTH_BOUND_MS);
    }

    // Back on the same port with the same database: the same processes serve again.
    server = await startTemporal(temporalPort);
    for (const api of Object.values(apis)) {
      await eventually(
        async () => {
          expect((await timed(`${api}/health`)).status).toBe(200);
          const read = await timed(`${api}/v1/orders/${order.orderId}`);
          expect(read.status, JSON.stringify(read.body)).toBe(200);
          expect(read.body.orderId).toBe(order.orderId);
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      const fresh = await post(`${api}/v1/orders`, sampleOrder());
      expect(fresh.status, JSON.stringify(fresh.body)).toBe(201);
    }
  }, 150_000);
});
