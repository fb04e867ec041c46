import { AsyncLocalStorage } from 'node:async_hooks';
import net from 'node:net';
import path from 'node:path';
import {
  Connection,
  ServiceError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
  type ConnectionLike,
} from '@temporalio/client';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app';
import { formPageScope } from '../../src/api/pages/shell';
import { limitTemporalCalls, retryWithinDeadline, TEMPORAL_BUDGET_MS } from '../../src/api/temporal-budget';
import { AftercareClient } from '../../src/client';
import { isTemporalUnavailable } from '../../src/errors';
import { describeError } from '../../src/lib/redact';
import { deriveKeys } from '../../src/lib/keys';
import { createLogger } from '../../src/logger';
import { loadPlaybook } from '../../src/playbook/load';
import { twilioSignature } from '../fakes/twilio-server';

/**
 * Temporal out of reach, at the edge: the failures the SDK raises then (gRPC UNAVAILABLE, DEADLINE_EXCEEDED, an
 * update's RPC timeout) are a 503 that says to retry, on /v1 and on the webhooks; other failures stay 500; every
 * request's Temporal calls run within its budget. The end-to-end proof with a real server that goes away is
 * test/e2e/temporal-down.test.ts.
 */
const playbook = loadPlaybook(path.resolve(__dirname, '..', '..', 'playbooks', 'shop.yaml'));
const API_KEY = 'unavailable-api-key-0123456789';
const TWILIO_TOKEN = 'unavailable-twilio-token';
const PUBLIC_URL = 'http://aftercare.test';
const keys = deriveKeys('unavailable-test-secret-0123456789abcdef');
const apps: FastifyInstance[] = [];
afterAll(async () => Promise.all(apps.map((a) => a.close())));

/** A gRPC failure as @grpc/grpc-js and the native connection report it (code, details, metadata). */
function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
}

/** A Temporal client every call of which (however deep: getHandle(...).describe(), list(...)) rejects with `err`. */
function failingClient(err: Error): Client {
  const handler: ProxyHandler<() => void> = {
    get: (_target, prop) => {
      if (prop === 'then') return (_resolve: unknown, reject: (e: Error) => void) => reject(err);
      if (prop === Symbol.asyncIterator) return () => ({ next: () => Promise.reject(err) });
      return new Proxy(() => undefined, handler);
    },
    apply: () => new Proxy(() => undefined, handler),
  };
  return new Proxy(() => undefined, handler) as unknown as Client;
}

async function appFailingWith(err: Error): Promise<FastifyInstance> {
  const client = failingClient(err);
  const aftercare = new AftercareClient({ client, playbook, keys });
  const app = await buildApp({
    aftercare,
    apiKey: API_KEY,
    logger: createLogger('silent'),
    temporalHealth: async () => {},
    inbound: { sink: aftercare, keys, publicUrl: PUBLIC_URL, brandName: 'Shop', twilioAuthToken: TWILIO_TOKEN },
  });
  apps.push(app);
  return app;
}

const order = {
  orderId: 'A-1',
  customer: { id: 'c-1', name: 'Ada', email: 'ada@example.com' },
  items: [{ sku: 'S', name: 'Mug', quantity: 1, unitPrice: 5 }],
  currency: 'EUR',
  total: 5,
};
const auth = { authorization: `Bearer ${API_KEY}` };

function stopSms(app: FastifyInstance) {
  const params = { MessageSid: 'SM1', From: '+447700900123', To: '+15005550006', Body: 'STOP' };
  return app.inject({
    method: 'POST',
    url: '/webhooks/twilio/inbound',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilioSignature(TWILIO_TOKEN, `${PUBLIC_URL}/webhooks/twilio/inbound`, params),
    },
    payload: new URLSearchParams(params).toString(),
  });
}

describe('Temporal out of reach', () => {
  const unavailable = grpcError(14, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:7233');
  const deadline = new ServiceError('Failed to query Workflow', { cause: grpcError(4, 'Deadline exceeded') });
  const updateTimeout = new WorkflowUpdateRPCTimeoutOrCancelledError('Workflow update call timeout or cancelled', {
    cause: grpcError(4, 'Deadline exceeded'),
  });

  it.each([
    ['UNAVAILABLE', unavailable, { method: 'POST' as const, url: '/v1/orders', payload: order }],
    ['DEADLINE_EXCEEDED in a ServiceError', deadline, { method: 'GET' as const, url: '/v1/orders/A-1' }],
    [
      "an update's RPC timeout",
      updateTimeout,
      { method: 'POST' as const, url: '/v1/orders/A-1/stage', payload: { stage: 'shipped' } },
    ],
  ])('%s is a 503 with Retry-After and what to do', async (_name, err, request) => {
    const app = await appFailingWith(err);
    const res = await app.inject({ ...request, headers: auth });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    const body = res.json<{ error: { code: string; message: string } }>();
    expect(body.error.code).toBe('temporal_unavailable');
    expect(body.error.message).toMatch(/may not have taken effect.*same Idempotency-Key/);
  });

  it('is a 503 on the webhooks too (the provider retries)', async () => {
    const res = await stopSms(await appFailingWith(unavailable));
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toMatchObject({ error: { code: 'temporal_unavailable' } });
  });

  it('is a 503 when a query finds no worker polling (the workers are down, or Temporal just came back)', async () => {
    const noPoller = new ServiceError('Failed to query Workflow', {
      cause: grpcError(9, 'no poller seen for task queue recently, worker may be down'),
    });
    expect(isTemporalUnavailable(noPoller)).toBe(true);
    const res = await (await appFailingWith(noPoller)).inject({ method: 'GET', url: '/v1/orders/A-1', headers: auth });
    expect(res.statusCode).toBe(503);
  });

  it('is not what other failures are: INTERNAL or a bug stays a 500', async () => {
    for (const err of [grpcError(13, 'internal'), new ServiceError('oops', { cause: grpcError(9, 'failed') })]) {
      expect(isTemporalUnavailable(err)).toBe(false);
      const res = await (await appFailingWith(err)).inject({ method: 'GET', url: '/v1/orders/A-1', headers: auth });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toMatchObject({ error: { code: 'internal' } });
    }
  });
});

describe("a request's Temporal budget", () => {
  /** A connection's deadline scope, as Connection and NativeConnection keep it (an AsyncLocalStorage). */
  const storage = new AsyncLocalStorage<{ deadline?: number | Date }>();
  const withDeadline: ConnectionLike['withDeadline'] = async (deadline, fn) => storage.run({ deadline }, fn);
  const budgetLeft = () => Number(storage.getStore()?.deadline ?? Infinity) - Date.now();

  it('holds in the handler and whatever it awaits, per route (default, or its own)', async () => {
    const app = Fastify();
    apps.push(app);
    limitTemporalCalls(app, withDeadline);
    app.post('/default', async (request) => {
      await new Promise((r) => setTimeout(r, 20));
      return { left: budgetLeft(), body: request.body };
    });
    app.get('/own', { config: { temporalBudgetMs: 60_000 } }, async () => ({ left: budgetLeft() }));
    app.get('/sync', (_request, reply) => void reply.send({ left: budgetLeft() }));

    const posted = (await app.inject({ method: 'POST', url: '/default', payload: { a: 1 } })).json();
    expect(posted.body).toEqual({ a: 1 });
    expect(posted.left).toBeGreaterThan(TEMPORAL_BUDGET_MS - 1_000);
    expect(posted.left).toBeLessThanOrEqual(TEMPORAL_BUDGET_MS);
    const own = (await app.inject({ method: 'GET', url: '/own' })).json();
    expect(own.left).toBeGreaterThan(59_000);
    expect((await app.inject({ method: 'GET', url: '/sync' })).json().left).toBeGreaterThan(9_000);
  });

  it("ends the SDK's retries of an unreachable server at the deadline, not a backoff later", async () => {
    const port = await closedPort();
    const timeOf = async (connection: Connection) => {
      const started = Date.now();
      const err = await connection
        .withDeadline(Date.now() + 3_500, () => connection.workflowService.getSystemInfo({}))
        .catch((e: unknown) => e);
      await connection.close();
      expect(isTemporalUnavailable(err)).toBe(true);
      return Date.now() - started;
    };
    const ours = await timeOf(Connection.lazy({ address: `127.0.0.1:${port}`, interceptors: [retryWithinDeadline()] }));
    // The default retry (backoff 0.17, 0.29, 0.49, 0.84, 1.42, 2.41 s) would answer at about 5.6 s.
    expect(ours).toBeLessThan(4_000);
    expect(ours).toBeGreaterThanOrEqual(3_400);
  });
});

/** A port nothing listens on (connection refused: gRPC UNAVAILABLE at once). */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe("a customer's form page while Temporal is out of reach", () => {
  it('answers 503 with Retry-After and the "try again" page, not a 500', async () => {
    const app = Fastify();
    apps.push(app);
    await app.register(async (scope) => {
      formPageScope(scope, 'test', { unreadable: () => 'unreadable', failed: () => 'please try again later' });
      scope.post('/page', async () => {
        throw new ServiceError('Failed to query Workflow', { cause: grpcError(14, 'No connection established') });
      });
    });
    const res = await app.inject({
      method: 'POST',
      url: '/page',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'rating=5',
    });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toContain('please try again later');
  });
});

describe('the log line of a failed Temporal call', () => {
  it("names the gRPC status under the client's ServiceError (its message names only the call)", () => {
    const err = new ServiceError('Failed to signal Workflow', { cause: grpcError(1, 'Cancelled on client') });
    expect(describeError(err)).toMatchObject({ type: 'ServiceError', grpcCode: 1 });
    expect(describeError(new Error('plain'))).not.toHaveProperty('grpcCode');
  });
});
