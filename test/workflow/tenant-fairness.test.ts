/**
 * Per-tenant fairness on a server with `matching.enableFairness`: one tenant's backlog of sends on a provider's
 * rate-limited queue does not hold up another tenant's. Without fairness keys (or with fairness off) tasks of one
 * priority leave the backlog in order, so the second tenant's messages would wait for the whole backlog.
 */
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AftercareClient } from '../../src/client';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes';
import { orderJourneyId } from '../../src/workflows/order/contract';
import { eventually, sampleOrder, startHarness, TEST_KEYS, type Harness } from '../support/harness';

const BACKLOG = 24;
const RATE = 2; // emails per second: the backlog takes 12 s to drain
let server: DevServer;
let h: Harness;

beforeAll(async () => {
  const config = loadConfig({ ...process.env, NODE_ENV: 'development' });
  server = await startDevServer({
    port: 0,
    uiPort: null,
    namespace: 'default',
    dbFile: undefined,
    cliPath: inject('temporalCli') || config.temporal.cliPath,
    cacheDir: config.system.cacheDir,
    env: config.system.childEnv,
    allowBuild: false,
    extraArgs: ['--dynamic-config-value', 'matching.enableFairness=true'],
    log: createLogger('warn'),
  });
  const connection = await Connection.connect({ address: server.address });
  await ensureSearchAttributes(connection, 'default', createLogger('warn'));
  await connection.close();
  h = await startHarness({
    address: server.address,
    sendRates: { email: RATE, sms: 1000, telegram: 1000, whatsapp: 1000 },
    tenants: { late: { emailFrom: 'Late <orders@late.example>' } },
  });
}, 60_000);
afterAll(async () => {
  await h?.stop();
  await server?.stop();
});

describe('per-tenant fairness', () => {
  it("sends a tenant's order news while another tenant's backlog drains", async () => {
    const late = new AftercareClient({
      client: h.client,
      playbook: h.playbook,
      taskQueue: h.taskQueue,
      keys: TEST_KEYS,
      tenant: 'late',
    });
    const sent = async () => (await h.outbox.list(1000)).filter((r) => r.kind === 'order_status');
    // The default tenant's burst: every order's "Order received" queues behind the provider's rate.
    await Promise.all(Array.from({ length: BACKLOG }, () => h.aftercare.startOrderJourney(sampleOrder())));
    await eventually(async () => expect((await sent()).length).toBeGreaterThan(0));

    const orders = [sampleOrder(), sampleOrder()];
    const startedAt = Date.now();
    for (const o of orders) await late.startOrderJourney(o);
    const ids = new Set(orders.map((o) => orderJourneyId(o.orderId, 'late')));
    const backlogLeft = await eventually(
      async () => {
        const records = await sent();
        expect(records.filter((r) => ids.has(r.workflowId))).toHaveLength(2);
        return BACKLOG - records.filter((r) => !ids.has(r.workflowId)).length;
      },
      { timeoutMs: 40_000, intervalMs: 100 },
    );
    const waitedMs = Date.now() - startedAt;
    // In turn with the backlog: well before it drained (in order, they would come after all of it).
    expect(backlogLeft).toBeGreaterThanOrEqual(BACKLOG / 3);
    console.log(
      `fairness: the late tenant's 2 messages out in ${waitedMs} ms, ${backlogLeft} of ${BACKLOG} queued ahead still unsent`,
    );
  }, 90_000);
});
