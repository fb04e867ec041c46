/**
 * Temporal restart: "the server is killed and restarted mid-load; no journey lost, and the API answers 503 with a
 * clear body (never hangs) while the server is down".
 *
 * Orders are moving through their stages when the Temporal server gets SIGKILL. While it is down, probes hit both
 * API processes (a new order, a stage update, a read) and record status, latency and body; the load's own
 * requests keep retrying with their keys as a shop's would. Then the server starts again on the same databases,
 * and every order's journey must complete with each message sent once, the probe orders included (their client
 * retries them once the API answers again).
 */
import { compareLedger, ledgerFailures, readLedger, type Registry } from './ledger';
import {
  Api,
  count,
  driveOrder,
  makeOrders,
  pool,
  seededRandom,
  sleep,
  waitForJourneys,
  type ApiOutcome,
  type DrillOrder,
  type Tally,
} from './load';
import type { DrillContext, DrillResult } from './types';

export const TEMPORAL_RESTART = 'temporal-restart';
/**
 * A request the API has not answered within this long while Temporal is down counts as hanging: its longest
 * budget for Temporal's calls (20 s; 10 s for a new order: src/api/temporal-budget.ts) and two seconds more.
 */
const HANG_BOUND_MS = 22_000;

interface Probe {
  what: 'create' | 'stage' | 'read';
  outcome: ApiOutcome;
  answeredAt: number;
}

/** Whether an answer is the promised one: 503 with a JSON error body naming the problem. */
const clear503 = (o: ApiOutcome) =>
  o.status === 503 && typeof (o.body as { error?: { code?: unknown } } | undefined)?.error?.code === 'string';

export async function temporalRestartDrill(ctx: DrillContext): Promise<DrillResult> {
  const started = Date.now();
  const orderCount = ctx.short ? 16 : 60;
  // Longer than the API's longest budget (20 s), so probes sent early are answered while the server is still down.
  const downMs = ctx.short ? 25_000 : 40_000;
  const registry: Registry = new Map();
  const orders = makeOrders(ctx.idPrefix, orderCount, registry);
  const api = new Api(ctx.stack.apiUrls, ctx.stack.apiKey);

  const tally: Tally = {};
  const problems: string[] = [];
  const created: DrillOrder[] = [];
  const load = pool(orders, 6, async (order, i) => {
    const random = seededRandom(ctx.seed + i + 1);
    await sleep(random() * 1_000);
    problems.push(...(await driveOrder(api, order, i, random, tally, 3_000, (o) => created.push(o))));
  });

  // Mid-load: once a third of the orders have their journey.
  while (created.length < orderCount / 3) await sleep(50);
  await ctx.stack.temporal.kill('SIGKILL');
  const killedAt = Date.now();
  ctx.log(`Temporal server killed (SIGKILL) with ${created.length} of ${orderCount} orders started`);

  // Probes while it is down, two a second, not waiting for each other: a new order, a stage update and a read, on
  // both API processes in turn.
  const probes: Promise<Probe>[] = [];
  const probeOrders: DrillOrder[] = [];
  for (let i = 0; Date.now() - killedAt < downMs; i++) {
    const url = ctx.stack.apiUrls[i % ctx.stack.apiUrls.length]!;
    const target = created[i % created.length]!;
    const sentAt = Date.now();
    const probe = (what: Probe['what'], outcome: Promise<ApiOutcome>) =>
      probes.push(outcome.then((o) => ({ what, outcome: o, answeredAt: sentAt + o.ms })));
    if (i % 3 === 0) {
      const [order] = makeOrders(`${ctx.idPrefix}-probe${i}`, 1, registry);
      probeOrders.push(order!);
      const key = `${order!.orderId}/create`;
      probe('create', api.request(url, 'POST', '/v1/orders', order!.body, { idempotencyKey: key }));
    } else if (i % 3 === 1) {
      const path = `/v1/orders/${target.orderId}/stage`;
      probe(
        'stage',
        api.request(url, 'POST', path, { stage: 'shipped' }, { idempotencyKey: `${target.orderId}/shipped` }),
      );
    } else {
      probe('read', api.request(url, 'GET', `/v1/orders/${target.orderId}`));
    }
    await sleep(500);
  }
  const restartAt = Date.now();
  await ctx.stack.temporal.start();
  const upAt = Date.now();
  ctx.log(`Temporal server up again after ${((upAt - killedAt) / 1000).toFixed(1)} s down`);
  const answered = await Promise.all(probes);
  // Judged by what the API said while the server was down; a probe still waiting when it came back may succeed.
  const whileDown = answered.filter((p) => p.outcome.status !== undefined && p.answeredAt <= restartAt);
  const afterRestart = answered.filter((p) => !whileDown.includes(p));

  // The probe orders' client retries them now, and they go the whole way like the others.
  const probeTally: Tally = {};
  await Promise.all([
    load,
    pool(probeOrders, 6, async (order, i) => {
      problems.push(...(await driveOrder(api, order, i, seededRandom(ctx.seed + 1000 + i), probeTally, 1_000)));
    }),
  ]);
  const all = [...orders, ...probeOrders];
  const unfinished = await waitForJourneys(
    ctx.client,
    all.map((o) => o.orderId),
    ctx.short ? 240_000 : 420_000,
  );
  const comparison = compareLedger(readLedger(ctx.fakes, registry), all);

  const tallyOf = (list: Probe[]) =>
    list.reduce<Tally>((t, p) => {
      count(t, p.outcome);
      return t;
    }, {});
  const slowest = (what: Probe['what']) =>
    Math.max(0, ...answered.filter((p) => p.what === what).map((p) => p.outcome.ms));
  const unclear = whileDown.filter((p) => !clear503(p.outcome));
  const hanging = answered.filter((p) => p.outcome.status === undefined || p.outcome.ms > HANG_BOUND_MS);
  const sample = whileDown.find((p) => p.outcome.status === 503);
  const failures = [...ledgerFailures(comparison)];
  if (unfinished.length > 0)
    failures.push(`${unfinished.length} journeys lost or unfinished (${unfinished.slice(0, 3).join(', ')})`);
  if (hanging.length > 0)
    failures.push(
      `${hanging.length} requests hung (no answer within ${HANG_BOUND_MS / 1000} s) while Temporal was down`,
    );
  if (unclear.length > 0) {
    const seen = [...new Set(unclear.map((p) => `${p.what} → ${p.outcome.status ?? p.outcome.error}`))].slice(0, 4);
    failures.push(
      `${unclear.length} of ${whileDown.length} requests answered while down were not a 503 with an error code (${seen.join(', ')})`,
    );
  }
  // Once the server is back, a request may succeed or still get the 503 (its budget ran out first), but never a 500.
  const otherServerErrors = [
    ...answered.map((p) => `${p.what} → ${p.outcome.status}`),
    ...Object.entries(tally).flatMap(([status, n]) => Array<string>(n).fill(`load → ${status}`)),
    ...Object.entries(probeTally).flatMap(([status, n]) => Array<string>(n).fill(`probe order → ${status}`)),
  ].filter((s) => /→ 5\d\d$/.test(s) && !s.endsWith('503'));
  if (otherServerErrors.length > 0) {
    failures.push(
      `${otherServerErrors.length} answers were a 5xx other than 503 (${[...new Set(otherServerErrors)].join(', ')})`,
    );
  }
  failures.push(...problems.slice(0, 5));
  return {
    name: TEMPORAL_RESTART,
    claim:
      'the Temporal server killed (SIGKILL) and restarted mid-load: no journey lost; the API answers 503 with a clear body, never hangs, while it is down',
    figures: {
      orders: all.length,
      downtimeMs: upAt - killedAt,
      serverStartMs: upAt - restartAt,
      probes: answered.length,
      answeredWhileDown: tallyOf(whileDown),
      answeredAfterRestart: tallyOf(afterRestart),
      slowestCreateMs: slowest('create'),
      slowestStageMs: slowest('stage'),
      slowestReadMs: slowest('read'),
      retryAfterWhileDown: whileDown.filter((p) => p.outcome.retryAfter !== undefined).length,
      ...(sample ? { sampleBodyWhileDown: JSON.stringify(sample.outcome.body).slice(0, 300) } : {}),
      loadStatuses: tally,
      journeysLost: unfinished.length,
      messagesExpected: comparison.expected,
      delivered: comparison.delivered,
      lost: comparison.lost,
      duplicated: comparison.duplicated,
      unexpected: comparison.unexpected,
      ...(comparison.examples.length ? { examples: comparison.examples.join('; ') } : {}),
    },
    failures,
    wallMs: Date.now() - started,
  };
}
