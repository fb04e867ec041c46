/**
 * API process killed mid-request: "the client's retry with the same Idempotency-Key yields one effect".
 *
 * A batch of requests, each with its Idempotency-Key, goes to the first API process at once; the moment the first
 * answer comes back, that process is killed with SIGKILL, so the rest are cut off wherever they were (before
 * Temporal, during the start, after it). Every request that got no answer is retried with the same key on the
 * second API process, as a client would. First for new orders (one journey each, one "placed" message each), then
 * for a stage update of each (one "shipped" message each). The orders then finish, and the ledger checks every
 * message went out exactly once.
 */
import type { StackProcess } from '../stack/types';
import { DRILL_STAGES } from './env';
import { compareLedger, ledgerFailures, readLedger, type Registry } from './ledger';
import {
  Api,
  journeyRuns,
  makeOrders,
  pool,
  sendUntilAnswered,
  serverErrorsIn,
  waitForJourneys,
  type DrillOrder,
  type Tally,
} from './load';
import type { DrillContext, DrillResult } from './types';

export const API_KILL = 'api-kill';

interface Cut {
  sent: number;
  /** Requests that got no answer: the process died under them. */
  interrupted: number;
  /** What the retries on the other process answered. */
  retries: Tally;
}

/**
 * Sends every request to `victim` at once, kills it (SIGKILL) when the first answer arrives, retries the
 * unanswered ones with the same key on `other`, and starts the victim again.
 */
async function cutMidRequest(
  api: Api,
  victim: { process: StackProcess; url: string },
  otherIndex: number,
  requests: { path: string; body: unknown; key: string }[],
): Promise<Cut> {
  let killed: Promise<void> | undefined;
  const outcomes = await Promise.all(
    requests.map(async (r) => {
      const outcome = await api.request(victim.url, 'POST', r.path, r.body, { idempotencyKey: r.key });
      killed ??= victim.process.kill('SIGKILL');
      return outcome;
    }),
  );
  await killed;
  const retries: Tally = {};
  const unanswered = requests.filter((_, i) => outcomes[i]!.status === undefined);
  await Promise.all(unanswered.map((r) => sendUntilAnswered(api, otherIndex, r.path, r.body, r.key, retries)));
  await victim.process.start();
  return { sent: requests.length, interrupted: unanswered.length, retries };
}

export async function apiKillDrill(ctx: DrillContext): Promise<DrillResult> {
  const started = Date.now();
  const since = new Date(started - 60_000);
  const perRound = ctx.short ? 12 : 24;
  const api = new Api(ctx.stack.apiUrls, ctx.stack.apiKey);
  const victim = { process: ctx.stack.apis[0]!, url: ctx.stack.apiUrls[0]! };
  const registry: Registry = new Map();
  const orders: DrillOrder[] = [];
  const creates: Cut[] = [];
  const stages: Cut[] = [];
  const failures: string[] = [];

  // A round proves something only if a request was cut off: up to three rounds until one is.
  for (let round = 0; round < 3 && !creates.some((c) => c.interrupted > 0); round++) {
    const batch = makeOrders(`${ctx.idPrefix}-r${round}`, perRound, registry);
    orders.push(...batch);
    creates.push(
      await cutMidRequest(
        api,
        victim,
        1,
        batch.map((o) => ({ path: '/v1/orders', body: o.body, key: `${o.orderId}/create` })),
      ),
    );
    ctx.log(`creates, round ${round + 1}: ${creates.at(-1)!.interrupted} of ${perRound} cut off, retried on api-2`);
  }
  const [, shipped, delivered] = DRILL_STAGES;
  for (let round = 0; round < 3 && !stages.some((c) => c.interrupted > 0); round++) {
    // Every order's "shipped", with its key; a later round sends the same again (the same key: still one effect).
    const batch = orders;
    stages.push(
      await cutMidRequest(
        api,
        victim,
        1,
        batch.map((o) => ({
          path: `/v1/orders/${o.orderId}/stage`,
          body: { stage: shipped.id },
          key: `${o.orderId}/${shipped.id}`,
        })),
      ),
    );
    ctx.log(`stage updates, round ${round + 1}: ${stages.at(-1)!.interrupted} of ${batch.length} cut off`);
  }

  // Orders no stage round reached move now, and all complete.
  const after: Tally = {};
  await pool(orders, 12, async (o, i) => {
    await sendUntilAnswered(
      api,
      i,
      `/v1/orders/${o.orderId}/stage`,
      { stage: shipped.id },
      `${o.orderId}/${shipped.id}`,
      after,
    );
    const done = await sendUntilAnswered(
      api,
      i,
      `/v1/orders/${o.orderId}/stage`,
      { stage: delivered.id },
      `${o.orderId}/${delivered.id}`,
      after,
    );
    if (done.status !== 200) failures.push(`${o.orderId}: "${delivered.id}" answered ${done.status ?? done.error}`);
  });
  const ids = orders.map((o) => o.orderId);
  const unfinished = await waitForJourneys(ctx.client, ids, ctx.short ? 180_000 : 300_000);
  const journeys = await journeyRuns(ctx.client, ids, since);
  const comparison = compareLedger(readLedger(ctx.fakes, registry), orders);

  const sum = (cuts: Cut[], f: (c: Cut) => number) => cuts.reduce((n, c) => n + f(c), 0);
  const merged = (cuts: Cut[]) =>
    cuts.reduce<Tally>((t, c) => {
      for (const [k, v] of Object.entries(c.retries)) t[k] = (t[k] ?? 0) + v;
      return t;
    }, {});
  const createRetries = merged(creates);
  const stageRetries = merged(stages);
  if (sum(creates, (c) => c.interrupted) === 0)
    failures.push('no create request was cut off in 3 rounds: nothing proven');
  if (sum(stages, (c) => c.interrupted) === 0) failures.push('no stage update was cut off in 3 rounds: nothing proven');
  for (const [what, tally] of [
    ['create', createRetries],
    ['stage', stageRetries],
  ] as const) {
    const bad = Object.entries(tally).filter(([s]) => s !== '200' && s !== '201');
    if (bad.length > 0) failures.push(`${what} retries answered ${bad.map(([s, n]) => `${s} ×${n}`).join(', ')}`);
  }
  const apiErrors = serverErrorsIn(after, false);
  if (apiErrors > 0) failures.push(`${apiErrors} requests finishing the orders answered 5xx or not at all`);
  failures.push(...ledgerFailures(comparison));
  if (journeys !== orders.length) failures.push(`${journeys} journeys for ${orders.length} orders`);
  if (unfinished.length > 0) failures.push(`${unfinished.length} journeys did not complete`);
  return {
    name: API_KILL,
    claim:
      "an API process killed (SIGKILL) mid-request: the client's retry with the same Idempotency-Key on the other yields one effect",
    figures: {
      orders: orders.length,
      createsSent: sum(creates, (c) => c.sent),
      createsInterrupted: sum(creates, (c) => c.interrupted),
      createRetries,
      stageUpdatesSent: sum(stages, (c) => c.sent),
      stageUpdatesInterrupted: sum(stages, (c) => c.interrupted),
      stageRetries,
      interrupted: sum([...creates, ...stages], (c) => c.interrupted),
      retried: sum([...creates, ...stages], (c) => c.interrupted),
      journeys,
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
