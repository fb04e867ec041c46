import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import YAML from 'yaml';
import { buildApp } from '../../src/api/app';
import { ResendEmailAdapter } from '../../src/channels/email/resend/adapter';
import { runOps } from '../../src/ops/cli';
import { parsePlaybook } from '../../src/playbook/load';
import { customerLifecycleId, getCustomerQuery } from '../../src/workflows/customer/contract';
import { resendFailures, startFakeResend, type FakeResend } from '../fakes/resend-server';
import {
  eventually,
  FAST_PLAYBOOK,
  sampleOrder,
  startHarness,
  TEST_SECRET,
  testLogger,
  type Harness,
} from '../support/harness';

const API_KEY = 'test-api-key-0123456789';
const OPERATOR_KEY = 'test-operator-key-0123456789';
let resend: FakeResend;
let h: Harness;
let app: FastifyInstance;

beforeAll(async () => {
  const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as object;
  resend = await startFakeResend();
  h = await startHarness({
    playbook: parsePlaybook({ ...base, delivery: { giveUpAfter: '10 minutes', stuckAfter: '2s' } }),
    channels: { email: new ResendEmailAdapter({ apiKey: resend.apiKey, baseUrl: resend.url }) },
  });
  app = await buildApp({
    aftercare: h.aftercare,
    apiKey: API_KEY,
    operatorKey: OPERATOR_KEY,
    logger: testLogger,
    temporalHealth: async () => {},
    temporalUi: { baseUrl: 'http://ui.test', namespace: 'default' },
  });
});
afterAll(async () => {
  await app?.close();
  await h?.stop();
  await resend?.close();
});

const asOperator = { authorization: `Bearer ${OPERATOR_KEY}`, 'content-type': 'application/json' };
const act = (orderId: string, action: string, body: object, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: `/v1/orders/${orderId}/actions/${action}`,
    headers: { ...asOperator, ...headers },
    payload: body,
  });

/** `npm run ops -- …` against this test's Temporal, with the app's configuration from the environment. */
async function ops(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await runOps(args, (line) => lines.push(line), {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    TEMPORAL_UI_URL: 'http://ui.test',
    AFTERCARE_SECRET: TEST_SECRET,
    AFTERCARE_PLAYBOOK: FAST_PLAYBOOK,
  });
  return { code, out: lines.join('\n') };
}

describe('operator actions over the API and `npm run ops`', () => {
  it('finds a journey stuck on a provider outage, fixes it with one command, and delivers one message', async () => {
    resend.reset();
    resend.failNext(1000, resendFailures.serverError());
    const order = sampleOrder();
    await h.aftercare.startOrderJourney(order);

    const listed = await eventually(
      async () => {
        const res = await app.inject({ method: 'GET', url: '/v1/operations/stuck', headers: asOperator });
        const stuck = (res.json() as { stuck: { orderId: string; reason: string; links: object }[] }).stuck;
        const mine = stuck.find((s) => s.orderId === order.orderId);
        expect(mine).toMatchObject({ reason: 'delivery-failing' });
        return mine!;
      },
      { timeoutMs: 30_000 },
    );
    expect(listed.links).toEqual({ temporalUi: expect.stringContaining(`order-${order.orderId}`) });
    const { out: stuckOut } = await ops('stuck');
    expect(stuckOut).toMatch(new RegExp(`${order.orderId}\\s+delivery-failing`));
    expect(stuckOut).toContain('http://ui.test/namespaces/');

    // Operators only: the business's API key does not act on journeys when an operators' key is set.
    const withApiKey = await act(order.orderId, 'retry', {}, { authorization: `Bearer ${API_KEY}` });
    expect(withApiKey.statusCode).toBe(401);
    const noReason = await act(order.orderId, 'skip', {});
    expect(noReason.statusCode).toBe(422);
    expect(noReason.json()).toMatchObject({ error: { details: [{ path: 'reason' }] } });
    expect((await act('no-such-order', 'retry', {})).statusCode).toBe(404);

    resend.reset();
    const fixed = await ops('retry', order.orderId, '--reason', 'Resend recovered', '--key', 'op-1', '--as', 'dana');
    expect(fixed).toMatchObject({ code: 0 });
    expect(fixed.out).toMatch(/status-placed: tried again now/);
    await eventually(async () =>
      expect(resend.sent.filter((e) => e.idempotencyKey?.includes(order.orderId))).toHaveLength(1),
    );
    await eventually(async () => {
      const { out } = await ops('stuck');
      expect(out).not.toContain(order.orderId);
    });
    const shown = await ops('show', order.orderId);
    expect(shown.out).toMatch(/status-placed\s+sent/);
    expect(shown.out).toMatch(/Operator retry by dana at .*: Resend recovered/);

    // Nothing in flight now: a retry has nothing to act on (409, saying so); the same key repeats the first answer.
    const nothing = await act(order.orderId, 'retry', {});
    expect(nothing.statusCode).toBe(409);
    expect(nothing.json()).toMatchObject({ error: { code: 'nothing_to_do' } });
  });

  it("cancels an order that will never move, idempotently, and pauses its customer's marketing", async () => {
    resend.reset();
    const order = sampleOrder();
    await h.aftercare.startOrderJourney(order);
    const key = { 'idempotency-key': `cancel-${order.orderId}` };
    const first = await act(order.orderId, 'cancel', { reason: 'order lost by the courier', actedBy: 'sam' }, key);
    expect(first.statusCode).toBe(200);
    const again = await act(order.orderId, 'cancel', { reason: 'order lost by the courier', actedBy: 'sam' }, key);
    expect(again.json()).toEqual(first.json());
    const state = await eventually(async () => {
      const s = await h.aftercare.getOrderJourney(order.orderId);
      expect(s.status).toBe('cancelled');
      return s;
    });
    expect(state.events.filter((e) => e.type === 'operator')).toEqual([
      expect.objectContaining({ action: 'cancel', by: 'sam', reason: 'order lost by the courier' }),
    ]);
    expect((await act(order.orderId, 'cancel', { reason: 'again' })).statusCode).toBe(409);

    const paused = await ops('pause-marketing', order.orderId, '--for', '30 days', '--reason', 'complaint');
    expect(paused.out).toMatch(/marketing paused for customer .* until 20/);
    const lifecycle = await h.client.workflow.getHandle(customerLifecycleId(order.customer.id)).query(getCustomerQuery);
    expect(lifecycle.consent.marketingPaused).toMatchObject({ reason: 'complaint', source: 'operator' });
    const bad = await ops('wait', order.orderId, '--by', 'soon', '--reason', 'x').catch((e: Error) => e);
    expect(String((bad as Error).message)).toMatch(/"soon" is not a duration/);
  });
});
