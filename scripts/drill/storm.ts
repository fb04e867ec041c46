/**
 * Provider storm: "fake Resend and Twilio answer 5xx/429 with Retry-After for 60 s; every message is delivered
 * after, none twice, and Retry-After is honored (measured)".
 *
 * For the storm's length every send to Resend and Twilio gets a 500, a 503, or a 429 with Retry-After (seeded mix),
 * while email and SMS orders are created and moved through their stages. The fakes log every send request with its
 * time, so for each 429 the gap to the next attempt of the same message (Resend: the same Idempotency-Key; Twilio:
 * the same recipient and text, it has no key) is measured against the Retry-After it carried.
 */
import type { FakeResponse } from '../../test/fakes/http-fake';
import { resendFailures } from '../../test/fakes/resend-server';
import { twilioError, twilioFailures } from '../../test/fakes/twilio-server';
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

export const STORM = 'provider-storm';

interface LoggedSend {
  at: number;
  message: string;
  status?: number;
  retryAfterSeconds?: number;
}

/** For every 429 answered with Retry-After: ms until the same message was tried again (undefined: never). */
export function gapsAfter429(log: LoggedSend[]): { retryAfterMs: number; gapMs: number | undefined }[] {
  return log.flatMap((entry, i) => {
    if (entry.status !== 429 || entry.retryAfterSeconds === undefined) return [];
    const next = log.slice(i + 1).find((e) => e.message === entry.message);
    return [{ retryAfterMs: entry.retryAfterSeconds * 1000, gapMs: next ? next.at - entry.at : undefined }];
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)]!;
};

export async function providerStormDrill(ctx: DrillContext): Promise<DrillResult> {
  const started = Date.now();
  const stormMs = ctx.short ? 20_000 : 60_000;
  const retryAfterSeconds = ctx.short ? 5 : 20;
  const orderCount = ctx.short ? 12 : 40;
  const random = seededRandom(ctx.seed);
  const registry: Registry = new Map();
  const orders = makeOrders(ctx.idPrefix, orderCount, registry, ['email', 'sms']);
  const api = new Api(ctx.stack.apiUrls, ctx.stack.apiKey);

  // A seeded mix: 40% rate limited with Retry-After, 30% 500, 30% 503, as each provider shapes them.
  const mix = (limited: FakeResponse, error500: FakeResponse, error503: FakeResponse) => () => {
    const r = random();
    return r < 0.4 ? limited : r < 0.7 ? error500 : error503;
  };
  const stormEnd = Date.now() + stormMs;
  ctx.fakes.resend.storm(
    stormEnd,
    mix(resendFailures.rateLimited(retryAfterSeconds), resendFailures.serverError(), {
      status: 503,
      body: { statusCode: 503, name: 'application_error', message: 'Service unavailable.' },
    }),
  );
  ctx.fakes.twilio.storm(
    stormEnd,
    mix(twilioFailures.throttled(retryAfterSeconds), twilioFailures.serverError(), {
      status: 503,
      body: twilioError(503, 20503, 'Service Unavailable'),
    }),
  );
  ctx.log(
    `storm for ${stormMs / 1000} s (429 with Retry-After ${retryAfterSeconds} s, 500, 503); ${orderCount} orders`,
  );

  // The orders move along during the storm, so status messages, thank-yous and offers all meet it.
  const tally: Tally = {};
  const problems: string[] = [];
  await pool(orders, 8, async (order, i) => {
    await sleep(random() * stormMs * 0.4);
    problems.push(...(await driveOrder(api, order, i, seededRandom(ctx.seed + i + 1), tally)));
  });
  if (Date.now() < stormEnd) await sleep(stormEnd - Date.now());
  ctx.log('storm over');
  const unfinished = await waitForJourneys(
    ctx.client,
    orders.map((o) => o.orderId),
    ctx.short ? 240_000 : 600_000,
  );
  const drainedAt = Date.now();
  const comparison = compareLedger(readLedger(ctx.fakes, registry), orders);

  const gaps = [...gapsAfter429(ctx.fakes.resend.stormLog), ...gapsAfter429(ctx.fakes.twilio.stormLog)];
  const measured = gaps.flatMap((g) => (g.gapMs === undefined ? [] : [g.gapMs]));
  const early = gaps.filter((g) => g.gapMs !== undefined && g.gapMs < g.retryAfterMs);
  const stormAnswers = [...ctx.fakes.resend.stormLog, ...ctx.fakes.twilio.stormLog].reduce<Tally>((t, e) => {
    const key = e.status === undefined ? 'processed' : String(e.status);
    t[key] = (t[key] ?? 0) + 1;
    return t;
  }, {});

  const failures = [...ledgerFailures(comparison)];
  if (unfinished.length > 0) failures.push(`${unfinished.length} journeys did not complete`);
  if (gaps.length === 0) failures.push('no 429 was answered: Retry-After not measured');
  if (early.length > 0) {
    failures.push(
      `Retry-After not honored: ${early.length} of ${gaps.length} retries came early (e.g. ${early[0]!.gapMs} ms after a Retry-After of ${early[0]!.retryAfterMs / 1000} s)`,
    );
  }
  const unanswered = gaps.filter((g) => g.gapMs === undefined).length;
  if (unanswered > 0 && comparison.lost > 0)
    failures.push(`${unanswered} rate-limited messages were never tried again`);
  // The providers' storm is no reason for the API to fail: it only hands the orders to Temporal.
  const apiErrors = serverErrorsIn(tally, false);
  if (apiErrors > 0) failures.push(`${apiErrors} API requests answered 5xx or not at all`);
  failures.push(...problems.slice(0, 5));
  return {
    name: STORM,
    claim: `fake Resend and Twilio answer 5xx/429 with Retry-After for ${stormMs / 1000} s: every message delivered after, none twice, Retry-After honored`,
    figures: {
      stormMs,
      orders: orderCount,
      sendRequests: stormAnswers,
      retryAfterSeconds,
      rateLimited: gaps.length,
      gapAfter429MsMin: measured.length ? Math.min(...measured) : 0,
      gapAfter429MsMedian: median(measured),
      gapAfter429MsMax: measured.length ? Math.max(...measured) : 0,
      messagesExpected: comparison.expected,
      delivered: comparison.delivered,
      lost: comparison.lost,
      duplicated: comparison.duplicated,
      unexpected: comparison.unexpected,
      apiStatuses: tally,
      drainAfterStormMs: drainedAt - stormEnd,
      ...(comparison.examples.length ? { examples: comparison.examples.join('; ') } : {}),
    },
    failures,
    wallMs: Date.now() - started,
  };
}
