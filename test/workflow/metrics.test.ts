import { Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../src/api/app';
import { AftercareClient } from '../../src/client';
import { StuckGateway } from '../../src/gateway/stuck';
import { deriveKeys } from '../../src/lib/keys';
import { createLogger } from '../../src/logger';
import { METRIC_FAMILIES } from '../../src/metrics';
import { loadPlaybook } from '../../src/playbook/load';
import { installTemporalRuntime, sdkMetricsBindAddress } from '../../src/runtime';

/**
 * The SDK runtime's Prometheus endpoint with Aftercare's workflow counters in it, and /metrics merging it with
 * prom-client's families. This file installs its own runtime (with metrics) before any worker exists, so it does
 * not use test/support/harness.ts, which installs one without when it is imported.
 */
const API_KEY = 'metrics-api-key-0123456789';
const taskQueue = `metrics-${process.pid}-${Date.now().toString(36)}`;
const log = createLogger('silent');

let sdkMetricsUrl: string;
let connection: Connection;
let nativeConnection: NativeConnection;
let client: Client;
let worker: Worker;
let running: Promise<void>;
let app: FastifyInstance;

beforeAll(async () => {
  // Errors only: the failing task and activity below warn on purpose.
  const installed = installTemporalRuntime(createLogger('error'), {
    metricsBindAddress: await sdkMetricsBindAddress(0),
  });
  if (!installed.sdkMetricsUrl)
    throw new Error('a Temporal runtime without metrics was installed in this process first');
  sdkMetricsUrl = installed.sdkMetricsUrl;
  const address = inject('temporalAddress');
  const namespace = inject('temporalNamespace');
  connection = await Connection.connect({ address });
  client = new Client({ connection, namespace });
  nativeConnection = await NativeConnection.connect({ address });
  worker = await Worker.create({
    connection: nativeConnection,
    namespace,
    taskQueue,
    workflowsPath: path.resolve(__dirname, '..', 'support', 'metrics-workflows.ts'),
    activities: {
      touch: async () => {},
      flaky: async () => {
        if (Context.current().info.attempt === 1) throw new Error('the first attempt fails on purpose');
      },
    },
    // Nothing cached: every workflow task replays the workflow from its start, so a counter emitted during replay
    // would show up as counted twice.
    maxCachedWorkflows: 0,
  });
  running = worker.run();
  const playbook = loadPlaybook(path.resolve(__dirname, '..', 'playbook.fast.yaml'));
  app = await buildApp({
    aftercare: new AftercareClient({
      client,
      playbook,
      taskQueue,
      keys: deriveKeys('metrics-test-secret-0123456789abcdef'),
    }),
    apiKey: API_KEY,
    logger: log,
    temporalHealth: async () => {},
    metrics: { sdkMetricsUrl, stuck: new StuckGateway(client, taskQueue), processMetrics: true, cacheMs: 0 },
  });
});

afterAll(async () => {
  await app?.close();
  worker?.shutdown();
  await running;
  await nativeConnection?.close();
  await connection?.close();
});

describe('the SDK runtime metrics', () => {
  it("carry Aftercare's workflow counters, counted once each although every task replayed", async () => {
    await client.workflow.execute('countingWorkflow', { taskQueue, workflowId: `${taskQueue}-counting` });
    const text = await eventually(async () => {
      const t = await scrape(sdkMetricsUrl);
      expect(find(t, 'aftercare_operator_actions_total', { taskQueue })).toHaveLength(1);
      return t;
    });
    const mine = { taskQueue, workflowType: 'countingWorkflow', namespace: inject('temporalNamespace') };
    expect(find(text, 'aftercare_messages_total', { ...mine, outcome: 'sent', kind: 'thank_you' })).toEqual([
      { labels: { ...mine, outcome: 'sent', kind: 'thank_you' }, value: 1 },
    ]);
    expect(find(text, 'aftercare_messages_total', { taskQueue, outcome: 'skipped' })).toEqual([
      { labels: { ...mine, outcome: 'skipped', kind: 'offer', reason: 'opted-out' }, value: 1 },
    ]);
    expect(find(text, 'aftercare_messages_total', { taskQueue, outcome: 'failed' })[0]?.value).toBe(1);
    expect(find(text, 'aftercare_stuck_marks_total', { taskQueue })).toEqual([
      { labels: { ...mine, reason: 'delivery-failing' }, value: 1 },
    ]);
    expect(find(text, 'aftercare_stuck_cleared_total', { taskQueue })[0]?.value).toBe(1);
    expect(find(text, 'aftercare_operator_actions_total', { taskQueue })).toEqual([
      { labels: { ...mine, action: 'retry' }, value: 1 },
    ]);
    // The workflow took several tasks, each a full replay (nothing cached): the counts above are still 1.
    expect(
      find(text, 'temporal_workflow_task_execution_latency_count', { task_queue: taskQueue })[0]?.value,
    ).toBeGreaterThanOrEqual(3);
  });

  it('include every SDK family the dashboard uses (a failing workflow task and activity among them)', async () => {
    const failing = await client.workflow.start('failingTask', { taskQueue, workflowId: `${taskQueue}-failing` });
    const text = await eventually(async () => {
      const t = await scrape(sdkMetricsUrl);
      expect(find(t, 'temporal_workflow_task_execution_failed', { task_queue: taskQueue }).length).toBe(1);
      return t;
    });
    await failing.terminate('done');
    const families = typesIn(text);
    for (const name of [...Object.values(METRIC_FAMILIES.sdk), ...Object.values(METRIC_FAMILIES.workflows)]) {
      expect(families, name).toContain(name);
    }
    expect(find(text, 'temporal_activity_execution_failed', { task_queue: taskQueue })[0]?.value).toBeGreaterThan(0);
  });
});

describe('/metrics', () => {
  it("is prom-client's exposition with the SDK's appended, each family once", async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = typesIn(res.body);
    for (const name of [
      ...Object.values(METRIC_FAMILIES.app),
      ...Object.values(METRIC_FAMILIES.workflows),
      ...Object.values(METRIC_FAMILIES.sdk),
    ]) {
      expect(families, name).toContain(name);
    }
    expect(families.length).toBe(new Set(families).size);
    expect(
      Object.fromEntries(find(res.body, 'aftercare_metrics_source_up', {}).map((s) => [s.labels.source, s.value])),
    ).toEqual({ stats: 1, stuck: 1, sdk: 1 });
    expect(find(res.body, 'aftercare_messages_total', { taskQueue, outcome: 'sent' })[0]?.value).toBe(1);
  });

  it('counts the running journeys stuck, by reason, from visibility', async () => {
    const started = await Promise.all(
      (['held', 'held', 'stage-overdue'] as const).map((reason, i) =>
        client.workflow.start('orderJourney', { taskQueue, workflowId: `${taskQueue}-stuck-${i}`, args: [reason] }),
      ),
    );
    try {
      await eventually(async () => {
        const res = await app.inject({ method: 'GET', url: '/metrics' });
        expect(
          Object.fromEntries(find(res.body, 'aftercare_stuck_journeys', {}).map((s) => [s.labels.reason, s.value])),
        ).toEqual({ 'delivery-failing': 0, 'stage-overdue': 1, 'waiting-on-lifecycle': 0, held: 2 });
      });
    } finally {
      await Promise.all(started.map((h) => h.terminate('done')));
    }
    await eventually(async () => {
      const res = await app.inject({ method: 'GET', url: '/metrics' });
      expect(find(res.body, 'aftercare_stuck_journeys', {}).every((s) => s.value === 0)).toBe(true);
    });
  });
});

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return res.text();
}

/** Every family named by a `# TYPE` line, in order. */
function typesIn(text: string): string[] {
  return [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);
}

/** The samples of `name` whose labels include `labels`. */
function find(
  text: string,
  name: string,
  labels: Record<string, string>,
): { labels: Record<string, string>; value: number }[] {
  return text.split('\n').flatMap((line) => {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) return [];
    const own = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (!Object.entries(labels).every(([k, v]) => own[k] === v)) return [];
    return [{ labels: own, value: Number(m[3]) }];
  });
}

async function eventually<T>(check: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
