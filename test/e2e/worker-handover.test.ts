import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app';
import { AftercareClient } from '../../src/client';
import { startFakeResend, type FakeResend } from '../fakes/resend-server';
import {
  eventually,
  sampleOrder,
  startHarness,
  TEST_KEYS,
  testLogger,
  uniqueId,
  type Harness,
} from '../support/harness';
import { startWorkerProcess, type SpawnedWorker } from '../support/spawned-worker';

/**
 * The API's Temporal budget (src/api/temporal-budget.ts) against a worker that just died: the journey's next workflow
 * task sits on the dead worker's sticky queue for 10 s before another worker gets it. A stage update sent then must
 * still answer 200, not 503: the budget is sized for this wait.
 */
const API_KEY = 'handover-api-key-0123456789';
let resend: FakeResend | undefined;
let worker: SpawnedWorker | undefined;
let survivor: Harness | undefined;
let app: FastifyInstance | undefined;

afterAll(async () => {
  await worker?.killWithoutDrain();
  await app?.close();
  await survivor?.stop();
  await resend?.close();
});

describe('a stage update right after the journey’s worker died', () => {
  it('waits for the sticky handover within its budget and answers 200', async () => {
    resend = await startFakeResend();
    const taskQueue = uniqueId('handover');
    worker = await startWorkerProcess(taskQueue, { resend: { url: resend.url, apiKey: resend.apiKey } });

    // The API as startApi builds it: every request's Temporal calls within its budget.
    survivor = await startHarness({ taskQueue: uniqueId('idle') }); // its client only, for now
    const { client } = survivor;
    const aftercare = new AftercareClient({ client, playbook: survivor.playbook, keys: TEST_KEYS, taskQueue });
    app = await buildApp({
      aftercare,
      apiKey: API_KEY,
      logger: testLogger,
      temporalHealth: async () => {},
      temporalDeadline: (deadline, fn) => client.connection.withDeadline(deadline, fn),
    });
    const headers = { authorization: `Bearer ${API_KEY}` };
    const order = sampleOrder();
    expect((await app.inject({ method: 'POST', url: '/v1/orders', headers, payload: order })).statusCode).toBe(201);
    // The process's worker ran the journey's first task: it has it cached, and the next one goes to its sticky queue.
    await eventually(async () => {
      const res = await app!.inject({ method: 'GET', url: `/v1/orders/${order.orderId}`, headers });
      expect(res.statusCode).toBe(200);
    });

    // Another worker polls the task queue; then the first one dies without a word.
    const second = await startHarness({ taskQueue });
    await worker.killWithoutDrain();

    const started = Date.now();
    const res = await app.inject({
      method: 'POST',
      url: `/v1/orders/${order.orderId}/stage`,
      headers: { ...headers, 'idempotency-key': 'handover-1' },
      payload: { stage: 'confirmed' },
    });
    const ms = Date.now() - started;
    await second.stop();
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ stage: 'confirmed' });
    // The handover did happen (else this test proves nothing about the budget): the answer waited for it.
    expect(ms).toBeGreaterThan(5_000);
  }, 120_000);
});
