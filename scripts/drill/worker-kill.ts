/**
 * Worker SIGKILL: "10 kills at random moments during a load of 200 orders; 0 lost, 0 duplicated messages across
 * every channel (providers without idempotency keys included)".
 *
 * The orders go through the API processes and move through their stages; meanwhile a worker is killed with SIGKILL
 * (no drain, no goodbye) each time the providers have accepted a random share of the expected messages, so every
 * kill falls while sends are in flight. The killed worker starts again at once, in the background; a kill takes
 * any worker that runs, so at times none does (harsher than keeping one up: journeys must wait and resume, and a
 * stage update may get the API's 503 "retry with the same key", which the load does, as a shop would).
 */
import type { StackProcess } from '../stack/types';
import { EXPECTED_MESSAGE_KEYS, type DrillFakes } from './env';
import { compareLedger, ledgerFailures, readLedger, type Registry } from './ledger';
import {
  Api,
  driveOrder,
  makeOrders,
  pool,
  seededRandom,
  serverErrorsIn,
  sleep,
  waitForJourneys,
  type Tally,
} from './load';
import type { DrillContext, DrillResult } from './types';

export const WORKER_KILL = 'worker-kill';
/** How long each fake provider takes to answer a send in this drill (real ones take 100-500 ms). */
const PROVIDER_LATENCY_MS = 200;

/** Messages the four fakes have accepted so far. */
export const acceptedSoFar = (f: DrillFakes) =>
  f.resend.sent.length + f.twilio.sent.length + f.telegram.sent.length + f.whatsapp.sent.length;

/** Waits until the fakes have accepted `target` messages; false when none came for `stallMs`. */
export async function progressReaches(fakes: DrillFakes, target: number, stallMs: number): Promise<boolean> {
  let last = acceptedSoFar(fakes);
  let lastMoved = Date.now();
  while (acceptedSoFar(fakes) < target) {
    if (acceptedSoFar(fakes) !== last) [last, lastMoved] = [acceptedSoFar(fakes), Date.now()];
    if (Date.now() - lastMoved > stallMs) return false;
    await sleep(50);
  }
  return true;
}

export async function workerKillDrill(ctx: DrillContext): Promise<DrillResult> {
  const started = Date.now();
  const orderCount = ctx.short ? 20 : 200;
  const killCount = ctx.short ? 3 : 10;
  const random = seededRandom(ctx.seed);
  const registry: Registry = new Map();
  const orders = makeOrders(ctx.idPrefix, orderCount, registry);
  const api = new Api(ctx.stack.apiUrls, ctx.stack.apiKey);
  const expectedTotal = orderCount * EXPECTED_MESSAGE_KEYS.length;
  // Each kill when this share of the expected messages has gone out (plus up to half a second): spread over the load.
  const killAt = Array.from({ length: killCount }, () => 0.03 + random() * 0.87).sort((a, b) => a - b);
  ctx.log(`${orderCount} orders, ${killCount} kills at ${killAt.map((s) => `${Math.round(s * 100)}%`).join(', ')}`);

  // Real providers take a while to answer; the fakes, none. With their latency a kill can fall between the
  // provider accepting a message and the worker recording it: the case that makes keyless providers send twice.
  for (const fake of [ctx.fakes.resend, ctx.fakes.twilio, ctx.fakes.telegram, ctx.fakes.whatsapp]) {
    fake.setLatency(PROVIDER_LATENCY_MS);
  }
  const tally: Tally = {};
  const problems: string[] = [];
  const load = pool(orders, 12, async (order, i) => {
    problems.push(...(await driveOrder(api, order, i, seededRandom(ctx.seed + i + 1), tally)));
  });

  const kills: { at: number; worker: string; acceptedShare: number }[] = [];
  const restarts: Promise<void>[] = [];
  const restartMs: number[] = [];
  // Workers on their way back up are not killed again before they are ready (they would not be serving yet).
  const restarting = new Set<StackProcess>();
  for (const share of killAt) {
    // Sends stalled for a minute (messages lost or stuck): no more kills; the figures will say why.
    if (!(await progressReaches(ctx.fakes, share * expectedTotal, 60_000))) break;
    await sleep(random() * 500);
    let up: StackProcess[];
    while ((up = ctx.stack.workers.filter((w) => w.running && !restarting.has(w))).length === 0) await sleep(100);
    const victim = up[Math.floor(random() * up.length)]!;
    await victim.kill('SIGKILL');
    const reached = acceptedSoFar(ctx.fakes) / expectedTotal;
    kills.push({ at: Date.now(), worker: victim.name, acceptedShare: reached });
    ctx.log(`killed ${victim.name} (SIGKILL) with ${Math.round(reached * 100)}% of the messages sent`);
    const restartStarted = Date.now();
    restarting.add(victim);
    restarts.push(
      victim.start().then(
        () => {
          restartMs.push(Date.now() - restartStarted);
          restarting.delete(victim);
        },
        (err: unknown) => void problems.push(`${victim.name} did not start again: ${String(err)}`),
      ),
    );
  }
  const lastKillAt = kills.at(-1)?.at ?? Date.now();
  await load;
  const loadMs = Date.now() - started;
  await Promise.all(restarts);

  const unfinished = await waitForJourneys(
    ctx.client,
    orders.map((o) => o.orderId),
    ctx.short ? 300_000 : 600_000,
  );
  const drainedAt = Date.now();
  // A late duplicate would come from a send retried after its worker died: every journey has completed, so every
  // send is over; a short wait still lets a straggling request land before the ledger is read.
  await sleep(2_000);
  const comparison = compareLedger(readLedger(ctx.fakes, registry), orders);
  // 503 is the API's documented "Temporal did not answer in time, retry with the same key" (here: while no worker
  // ran), and the load retried it; any other 5xx, or no answer at all, is a failure.
  const serverErrors = serverErrorsIn(tally, true);
  // A provider without an idempotency key cannot say whether a request cut off by the kill went out: such a send is
  // never repeated (never twice), it is recorded "outcome unknown" and raised to an operator. What may not happen
  // is a message missing with nobody told.
  const held = await heldForOperator(new Api(ctx.stack.apiUrls, ctx.stack.apiKey), comparison.lostMessages);
  const failures = ledgerFailures(comparison).filter((f) => !f.includes('messages lost'));
  if (comparison.lost > held.length) {
    failures.push(`${comparison.lost - held.length} of ${comparison.expected} messages lost with no operator told`);
  }
  if (kills.length < killCount) failures.push(`only ${kills.length} of ${killCount} kills happened`);
  if (unfinished.length > 0)
    failures.push(`${unfinished.length} journeys did not complete (${unfinished.slice(0, 3).join(', ')})`);
  if (serverErrors > 0) failures.push(`${serverErrors} API requests answered 5xx (not 503) or not at all`);
  failures.push(...problems.slice(0, 5));
  return {
    name: WORKER_KILL,
    claim: `${killCount} worker SIGKILLs at random moments during a load of ${orderCount} orders: 0 duplicated messages on every channel, 0 lost without an operator told`,
    figures: {
      orders: orderCount,
      kills: kills.length,
      seed: ctx.seed,
      providerLatencyMs: PROVIDER_LATENCY_MS,
      messagesExpected: comparison.expected,
      delivered: comparison.delivered,
      lost: comparison.lost,
      lostHeldForOperator: held.length,
      lostUntold: comparison.lost - held.length,
      duplicated: comparison.duplicated,
      wrongChannel: comparison.wrongChannel,
      unexpected: comparison.unexpected,
      ...Object.fromEntries(
        Object.entries(comparison.byChannel).map(([channel, c]) => [
          `${channel}`,
          { expected: c.expected, delivered: c.delivered, duplicated: c.duplicated },
        ]),
      ),
      apiStatuses: tally,
      loadMs,
      workerRestartMsMax: Math.max(0, ...restartMs),
      drainAfterLastKillMs: drainedAt - lastKillAt,
      journeysUnfinished: unfinished.length,
      ...(comparison.examples.length ? { examples: comparison.examples.join('; ') } : {}),
    },
    failures,
    wallMs: Date.now() - started,
  };
}

/**
 * The lost messages the journey itself recorded as possibly sent (outcome unknown: a keyless provider's request cut
 * off by the kill) and raised to an operator: read back through the API as a business would.
 */
async function heldForOperator(api: Api, lost: { orderId: string; key: string }[]) {
  const held: { orderId: string; key: string }[] = [];
  for (const message of lost) {
    const answer = await api.request(api.urls[0]!, 'GET', `/v1/orders/${encodeURIComponent(message.orderId)}`);
    const records = (answer.body as { messages?: { key: string; status: string; reason?: string }[] }).messages ?? [];
    const record = records.find((r) => r.key === message.key);
    if (record?.status === 'failed' && record.reason?.includes('outcome unknown')) held.push(message);
  }
  return held;
}
