/**
 * Duplicate storm: "each of 100 orders is sent 10 times at once; 100 journeys, no duplicate message".
 *
 * Every order's POST /v1/orders goes out ten times at the same moment, alternating between the API processes,
 * with the same body: five carry the same Idempotency-Key, five carry none (the order id alone must make them one).
 * Exactly one request per order may start its journey (201); the others answer 200 with that journey. The orders
 * then move through their stages, and the ledger checks that each message went out once.
 */
import { compareLedger, ledgerFailures, readLedger, type Registry } from './ledger';
import {
  Api,
  count,
  driveOrder,
  journeyRuns,
  makeOrders,
  pool,
  seededRandom,
  serverErrorsIn,
  waitForJourneys,
  type ApiOutcome,
  type Tally,
} from './load';
import type { DrillContext, DrillResult } from './types';

export const DUPLICATES = 'duplicates';
const COPIES = 10;

export async function duplicateStormDrill(ctx: DrillContext): Promise<DrillResult> {
  const started = Date.now();
  const since = new Date(started - 60_000);
  const orderCount = ctx.short ? 20 : 100;
  const registry: Registry = new Map();
  const orders = makeOrders(ctx.idPrefix, orderCount, registry);
  const api = new Api(ctx.stack.apiUrls, ctx.stack.apiKey);

  const statuses: Tally = {};
  const problems: string[] = [];
  let slowestMs = 0;
  // Ten orders' storms at a time: a hundred requests in flight.
  await pool(orders, 10, async (order) => {
    const copies = await Promise.all(
      Array.from({ length: COPIES }, (_, i) =>
        api.request(ctx.stack.apiUrls[i % ctx.stack.apiUrls.length]!, 'POST', '/v1/orders', order.body, {
          ...(i < COPIES / 2 ? { idempotencyKey: `${order.orderId}/create` } : {}),
        }),
      ),
    );
    copies.forEach((outcome: ApiOutcome) => {
      count(statuses, outcome);
      slowestMs = Math.max(slowestMs, outcome.ms);
    });
    const created = copies.filter((o) => o.status === 201).length;
    const other = copies.filter((o) => o.status !== 201 && o.status !== 200);
    if (created !== 1) problems.push(`${order.orderId}: ${created} requests answered 201`);
    if (other.length > 0)
      problems.push(`${order.orderId}: answered ${other.map((o) => o.status ?? o.error).join(', ')}`);
  });
  const stormMs = Date.now() - started;
  ctx.log(`${orderCount * COPIES} requests in ${(stormMs / 1000).toFixed(1)} s: ${JSON.stringify(statuses)}`);

  // Then each order moves on as usual (its create again, answered 200, then the stages).
  const followTally: Tally = {};
  await pool(orders, 12, async (order, i) => {
    problems.push(...(await driveOrder(api, order, i, seededRandom(ctx.seed + i), followTally, 500)));
  });
  const unfinished = await waitForJourneys(
    ctx.client,
    orders.map((o) => o.orderId),
    ctx.short ? 180_000 : 420_000,
  );
  const journeys = await journeyRuns(
    ctx.client,
    orders.map((o) => o.orderId),
    since,
  );
  const comparison = compareLedger(readLedger(ctx.fakes, registry), orders);

  const failures = [...ledgerFailures(comparison)];
  if (journeys !== orderCount) failures.push(`${journeys} journeys for ${orderCount} orders`);
  if (unfinished.length > 0) failures.push(`${unfinished.length} journeys did not complete`);
  const apiErrors = serverErrorsIn(followTally, false);
  if (apiErrors > 0) failures.push(`${apiErrors} requests moving the orders answered 5xx or not at all`);
  failures.push(...problems.slice(0, 5));
  if (problems.length > 5) failures.push(`… and ${problems.length - 5} more`);
  return {
    name: DUPLICATES,
    claim: `each of ${orderCount} orders sent ${COPIES} times at once (half with one Idempotency-Key, half without): ${orderCount} journeys, no duplicate message`,
    figures: {
      orders: orderCount,
      requests: orderCount * COPIES,
      statuses,
      slowestRequestMs: slowestMs,
      journeys,
      messagesExpected: comparison.expected,
      delivered: comparison.delivered,
      lost: comparison.lost,
      duplicated: comparison.duplicated,
      unexpected: comparison.unexpected,
      stormMs,
      ...(comparison.examples.length ? { examples: comparison.examples.join('; ') } : {}),
    },
    failures,
    wallMs: Date.now() - started,
  };
}
