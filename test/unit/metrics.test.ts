import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type AppDeps } from '../../src/api/app';
import { AftercareClient } from '../../src/client';
import { stuckQuery } from '../../src/gateway/stuck';
import { createLogger } from '../../src/logger';
import { AftercareMetrics } from '../../src/metrics';
import { loadPlaybook } from '../../src/playbook/load';
import { applyCustomerEvent, emptyConsent } from '../../src/workflows/customer/consent';
import type { CustomerEvent, CustomerProfile } from '../../src/workflows/customer/contract';
import { decidePermit } from '../../src/workflows/customer/permit';
import { NO_REACHABLE_CHANNEL } from '../../src/workflows/delivery/contract';
import { SKIP_REASON_CODES, skipReasonCode } from '../../src/workflows/metrics';
import { STUCK_REASONS } from '../../src/workflows/order/contract';
import { statsWorkflowId, type StatsState } from '../../src/workflows/stats/contract';

/** /metrics without Temporal: the stats workflows answer through a stub client, the SDK's endpoint is a stub server. */
const playbook = loadPlaybook(path.resolve(__dirname, '..', '..', 'playbooks', 'shop.yaml'));
const API_KEY = 'metrics-api-key-0123456789';
const OPERATOR_KEY = 'metrics-operator-key-0123456789';
const TASK_QUEUE = 'aftercare';

const STATS: StatsState = {
  counts: {
    '2026-11': { review_request: { sent: 4, converted: 3 }, survey: { sent: 5, answered: 2 } },
    '2026-12': { review_request: { sent: 1 } },
  },
  seen: [],
  generation: 0,
};

/** A Temporal client whose only workflow is the first stats workflow (the shards do not exist); counts queries. */
function statsClient(state: () => StatsState) {
  const calls = { queries: 0 };
  const client = {
    workflow: {
      getHandle: (id: string) => ({
        query: async () => {
          calls.queries++;
          if (id === statsWorkflowId(TASK_QUEUE)) return state();
          throw new WorkflowNotFoundError('not found', id, undefined);
        },
      }),
    },
  } as unknown as Client;
  return { client, calls };
}

const appWith = async (client: Client, extra: Partial<AppDeps> = {}) =>
  buildApp({
    aftercare: new AftercareClient({
      client,
      playbook,
      taskQueue: TASK_QUEUE,
      keys: { contacts: 'metrics-contact-key' },
    }),
    apiKey: API_KEY,
    logger: createLogger('silent'),
    temporalHealth: async () => {},
    ...extra,
  });

let sdk: Server;
let sdkUrl: string;
const SDK_TEXT = [
  '# HELP temporal_worker_task_slots_available Current number of available slots per task type',
  '# TYPE temporal_worker_task_slots_available gauge',
  'temporal_worker_task_slots_available{namespace="default",service_name="temporal-core-sdk",task_queue="aftercare",worker_type="WorkflowWorker"} 100',
  '',
].join('\n');

beforeAll(async () => {
  sdk = createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(SDK_TEXT);
  });
  await new Promise<void>((resolve) => sdk.listen(0, '127.0.0.1', resolve));
  sdkUrl = `http://127.0.0.1:${(sdk.address() as AddressInfo).port}/metrics`;
});
afterAll(() => new Promise<void>((resolve) => sdk.close(() => resolve())));

describe('/metrics', () => {
  let app: FastifyInstance;
  let calls: { queries: number };
  beforeAll(async () => {
    const stub = statsClient(() => STATS);
    calls = stub.calls;
    app = await appWith(stub.client, {
      metrics: {
        sdkMetricsUrl: sdkUrl,
        stuck: {
          count: async () => ({ 'delivery-failing': 1, 'stage-overdue': 0, 'waiting-on-lifecycle': 0, held: 3 }),
        },
      },
    });
  });
  afterAll(() => app.close());

  it("serves prom-client's exposition: the follow-up counters, stuck journeys, then the SDK's text as it came", async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body).toContain('# TYPE aftercare_followups_total counter\n');
    // Summed over the months and the shards that exist.
    expect(res.body).toContain('aftercare_followups_total{kind="review_request",event="sent"} 5\n');
    expect(res.body).toContain('aftercare_followups_total{kind="review_request",event="converted"} 3\n');
    expect(res.body).toContain('aftercare_followups_total{kind="survey",event="answered"} 2\n');
    expect(res.body).toContain('# TYPE aftercare_stuck_journeys gauge\n');
    expect(res.body).toContain('aftercare_stuck_journeys{reason="held"} 3\n');
    expect(res.body).toContain('aftercare_stuck_journeys{reason="stage-overdue"} 0\n');
    for (const source of ['stats', 'stuck', 'sdk']) {
      expect(res.body).toContain(`aftercare_metrics_source_up{source="${source}"} 1\n`);
    }
    expect(res.body.endsWith(SDK_TEXT)).toBe(true);
  });

  it('reads the stats workflows at most once a minute (each query is billed)', async () => {
    const before = calls.queries;
    await app.inject({ method: 'GET', url: '/metrics' });
    await app.inject({ method: 'GET', url: '/metrics' });
    expect(calls.queries - before).toBe(0);
  });
});

describe('when a source fails', () => {
  it('still answers, with the figures it has and aftercare_metrics_source_up at 0 for what failed', async () => {
    let failing = false;
    const stub = statsClient(() => {
      if (failing) throw new Error('Temporal is unreachable');
      return STATS;
    });
    const metrics = new AftercareMetrics({
      stats: new AftercareClient({ client: stub.client, playbook, taskQueue: TASK_QUEUE, keys: { contacts: 'k' } })
        .stats,
      sdkMetricsUrl: 'http://127.0.0.1:1/metrics',
      cacheMs: 0,
    });
    const first = await metrics.render();
    expect(first).toContain('aftercare_metrics_source_up{source="stats"} 1\n');
    expect(first).toContain('aftercare_metrics_source_up{source="sdk"} 0\n');
    failing = true;
    const second = await metrics.render();
    expect(second).toContain('aftercare_metrics_source_up{source="stats"} 0\n');
    // The last figures stay: a counter that vanished would read as a reset.
    expect(second).toContain('aftercare_followups_total{kind="review_request",event="converted"} 3\n');
  });
});

describe('in production', () => {
  it("/metrics answers only to the operators' key", async () => {
    const app = await appWith(statsClient(() => STATS).client, { operatorKey: OPERATOR_KEY });
    try {
      expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
      const withApiKey = { authorization: `Bearer ${API_KEY}` };
      expect((await app.inject({ method: 'GET', url: '/metrics', headers: withApiKey })).statusCode).toBe(401);
      const res = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: `Bearer ${OPERATOR_KEY}` },
      });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('aftercare_followups_total{kind="survey",event="sent"} 5\n');
    } finally {
      await app.close();
    }
  });
});

describe('stuck journeys', () => {
  it("are counted per reason with the operators' own visibility filter", () => {
    expect(stuckQuery('aftercare', 'held')).toBe(
      "WorkflowType = 'orderJourney' AND ExecutionStatus = 'Running' AND TaskQueue = 'aftercare' AND AftercareStuck = 'held'",
    );
    expect(stuckQuery("it's", STUCK_REASONS[0])).toContain("TaskQueue = 'it\\'s'");
  });
});

describe('skip reason codes', () => {
  const rules = {
    consent: { marketingRequiresOptIn: false },
    quietHours: { start: '00:00', end: '00:00', sms: false },
    frequencyCap: { max: 1, per: 7 * 86_400_000, overCap: 'drop' as const },
  };
  const profile: CustomerProfile = { id: 'c1', name: 'Ada', email: 'ada@example.com' };
  const at = '2026-11-22T10:00:00.000Z';
  const ev = (e: Partial<CustomerEvent> & Pick<CustomerEvent, 'type'>): CustomerEvent =>
    ({ source: 'email-unsubscribe', eventId: `e-${Math.random()}`, at, ...e }) as CustomerEvent;
  /** The reason the real permit gives for skipping. */
  const skipped = (
    state = emptyConsent(),
    opts: { profile?: CustomerProfile | null; purpose?: 'marketing' | 'transactional'; rules?: typeof rules } = {},
  ) => {
    const purpose = opts.purpose ?? 'marketing';
    const permit = decidePermit(
      state,
      opts.profile === undefined ? profile : opts.profile,
      {
        permitId: `p-${Math.random()}`,
        kind: purpose === 'marketing' ? 'offer' : 'order_status',
        purpose,
        channels: ['email'],
      },
      opts.rules ?? rules,
      Date.parse(at),
    );
    if (permit.decision !== 'skip') throw new Error(`not skipped: ${JSON.stringify(permit)}`);
    return permit.reason;
  };

  it("map the permit's own reasons to a bounded set", () => {
    const stopped = emptyConsent();
    applyCustomerEvent(stopped, ev({ type: 'opt-out', channel: 'all', scope: 'all' }));
    const unsubscribed = emptyConsent();
    applyCustomerEvent(unsubscribed, ev({ type: 'opt-out', channel: 'all', scope: 'marketing' }));
    const bounced = emptyConsent();
    applyCustomerEvent(
      bounced,
      ev({ type: 'delivery-problem', channel: 'email', problem: 'hard-bounce', source: 'resend' }),
    );
    const capped = emptyConsent();
    decidePermit(
      capped,
      profile,
      { permitId: 'first', kind: 'offer', purpose: 'marketing', channels: ['email'] },
      rules,
      Date.parse(at),
    );

    expect(skipReasonCode(skipped(stopped, { purpose: 'transactional' }))).toBe('opted-out');
    expect(skipReasonCode(skipped(unsubscribed))).toBe('opted-out');
    expect(
      skipReasonCode(skipped(emptyConsent(), { rules: { ...rules, consent: { marketingRequiresOptIn: true } } })),
    ).toBe('no-consent');
    expect(skipReasonCode(skipped(bounced, { purpose: 'transactional' }))).toBe('no-reachable-channel');
    expect(skipReasonCode(skipped(capped))).toBe('frequency-cap');
    expect(skipReasonCode(skipped(emptyConsent(), { profile: null }))).toBe('customer-unknown');
  });

  it('map operators, closed lifecycles, cancellations and anything else', () => {
    expect(skipReasonCode('skipped by an operator: opted out on the phone')).toBe('operator');
    expect(skipReasonCode('marketing paused by an operator until 2026-12-01T00:00:00.000Z (complaint)')).toBe(
      'operator',
    );
    expect(skipReasonCode(`${NO_REACHABLE_CHANNEL} (email: opted-out)`)).toBe('no-reachable-channel');
    expect(skipReasonCode(`${NO_REACHABLE_CHANNEL} (the lifecycle of customer c-1 is closed)`)).toBe(
      'no-reachable-channel',
    );
    expect(skipReasonCode('quiet-hours')).toBe('quiet-hours');
    expect(skipReasonCode('o-1: not sent, the follow-ups were cancelled')).toBe('cancelled');
    expect(skipReasonCode('no playbook yet')).toBe('other');
    expect(skipReasonCode('Ada asked us to stop, ada@example.com')).toBe('other');
    for (const code of SKIP_REASON_CODES) expect(skipReasonCode(code)).toBe(code);
  });
});
