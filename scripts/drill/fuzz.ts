/**
 * The fuzz drill (#13): generated requests across every /v1 route and every configured webhook, from fast-check
 * arbitraries (scripts/drill/fuzz-*.ts), seeded and so replayable. The lines: no 5xx, and no workflow started by a
 * request the API did not accept (Temporal visibility before and after, each new journey and lifecycle explained by
 * an accepted order: scripts/drill/fuzz-census.ts).
 *
 *   npm run drill -- --only fuzz                  (the drill runner calls `fuzzDrill(ctx)`)
 *   const figures = await runFuzz({ apiUrls, apiKey, operatorKey, publicUrl, secrets, client, runs: 10_000 });
 *
 * The stack must enable the webhooks to fuzz them: the sandbox's secrets, and FUZZ_SHOP_ENV for Shopify and
 * WooCommerce (a webhook the app answers 404 is left out, and said so). /v1 and the webhooks have no rate limit
 * (src/api/rate-limit.ts: only customers' token pages and the codec's sign-in do), so every body reaches its parser.
 */
import type { Client } from '@temporalio/client';
import fc from 'fast-check';
import { endFuzzWorkflows, settledCensus, unexplained } from './fuzz-census';
import { acceptedOrderOf, configuredWebhooks, sampleOf, seedOrders, send, v1RoutesOf } from './fuzz-http';
import { KNOWN_V1_ROUTES, v1Requests } from './fuzz-routes';
import { webhookRequests, webhookRoutes, type WebhookSecrets } from './fuzz-webhooks';
import type { DrillContext, DrillResult } from './types';

export type { WebhookSecrets };

/** Shopify's and WooCommerce's webhook secrets for the drill stack's environment (the sandbox has no shop). */
export const FUZZ_SHOP_ENV = {
  SHOPIFY_WEBHOOK_SECRET: 'fuzz-shopify-secret-0123456789',
  WOOCOMMERCE_WEBHOOK_SECRET: 'fuzz-woocommerce-secret-0123456789',
};

export interface FuzzOptions {
  /** The API processes; requests go round-robin. */
  apiUrls: string[];
  apiKey: string;
  /** For the operator routes and /docs/json (production); without it the API key serves (development). */
  operatorKey?: string;
  /** AFTERCARE_PUBLIC_URL: Twilio signs the URL it called. */
  publicUrl: string;
  secrets: WebhookSecrets;
  /** Reads visibility (counts, what started since the fuzz began). */
  client: Client;
  runs: number;
  seed?: number;
  /** Requests in flight at once. Default 8. */
  concurrency?: number;
  /** Every id the fuzz makes starts with it. Default `fz<seed>`. */
  idPrefix?: string;
  log?: (line: string) => void;
}

export interface FuzzFigures {
  bodies: number;
  /** Answers by status code ("error" for no answer at all). */
  byStatus: Record<string, number>;
  byRoute: Record<string, Record<string, number>>;
  fiveXx: number;
  /** Route, status, body kind and the first bytes of the (synthetic) body, to replay one. */
  fiveXxSamples: string[];
  /** Requests that got no HTTP answer (reset, timeout). */
  transportErrors: number;
  rateLimited: number;
  /** Per provider, the share of validly signed deliveries answered past the signature check (%). */
  pastSignature: Record<string, number>;
  routes: string[];
  /** Routes the app serves (OpenAPI) that the drill's table lacked: fuzzed with random bodies. */
  routesNotInTable: string[];
  workflowsBefore: number;
  workflowsAfter: number;
  /** Distinct orders a 2xx accepted on a route that starts journeys. */
  acceptedCreates: number;
  journeysStarted: number;
  lifecyclesStarted: number;
  otherWorkflowsStarted: Record<string, number>;
  startedByInvalid: number;
  startedByInvalidSamples: string[];
  seed: number;
  elapsedMs: number;
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzFigures> {
  const started = Date.now();
  const log = opts.log ?? (() => undefined);
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
  const prefix = opts.idPrefix ?? `fz${seed}`;
  const api = opts.apiUrls[0]!;
  const operatorKey = opts.operatorKey ?? opts.apiKey;
  log(`fuzz: seed ${seed}, id prefix ${prefix} (the same two generate the same requests), ${opts.runs} requests`);

  const inApp = await v1RoutesOf(api, operatorKey);
  const routesNotInTable = inApp.filter((r) => !KNOWN_V1_ROUTES.includes(r));
  const secrets = await configuredWebhooks(api, opts.secrets, log);
  const ids = await seedOrders(api, opts.apiKey, prefix, seed);
  const accepted = new Set(ids.seededOrders);
  const before = await settledCensus(opts.client, new Date(started));
  const since = new Date();

  // Every route about the same share (POST /v1/orders three: fuzz-routes.ts), /v1 or webhook alike.
  const webhooks = webhookRequests(secrets);
  const v1 = { weight: inApp.length + 2, arbitrary: v1Requests(ids, routesNotInTable) };
  const arbitrary = webhooks
    ? fc.oneof(v1, { weight: webhookRoutes(secrets).length, arbitrary: webhooks })
    : v1.arbitrary;
  const requests = fc.sample(arbitrary, { numRuns: opts.runs, seed });
  const figures = {
    byStatus: {} as Record<string, number>,
    byRoute: {} as FuzzFigures['byRoute'],
    samples: [] as string[],
  };
  const signed: Record<string, { sent: number; past: number }> = {};
  let fiveXx = 0;
  let transportErrors = 0;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < requests.length; i = next++) {
      const req = requests[i]!;
      const base = opts.apiUrls[i % opts.apiUrls.length]!;
      const answer = await send(base, req, { apiKey: opts.apiKey, operatorKey, publicUrl: opts.publicUrl, secrets });
      const key = answer.status === undefined ? 'error' : String(answer.status);
      figures.byStatus[key] = (figures.byStatus[key] ?? 0) + 1;
      const route = (figures.byRoute[req.route] ??= {});
      route[key] = (route[key] ?? 0) + 1;
      if (answer.status === undefined || answer.status >= 500) {
        if (answer.status === undefined) transportErrors++;
        else fiveXx++;
        if (figures.samples.length < 20) figures.samples.push(sampleOf(req, key, answer.text, i));
      }
      if (req.signing?.mode === 'valid' && answer.status !== undefined) {
        const s = (signed[req.signing.provider] ??= { sent: 0, past: 0 });
        s.sent++;
        if (answer.status !== 401 && answer.status !== 403) s.past++;
      }
      if (answer.status !== undefined && answer.status < 300) acceptedOrderOf(req, answer.text, accepted);
      if ((i + 1) % 1000 === 0) log(`fuzz: ${i + 1}/${requests.length} sent, ${fiveXx} 5xx so far`);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));

  const after = await settledCensus(opts.client, since);
  const odd = unexplained(after, accepted, ids.seededCustomers);
  const startedByInvalidSamples = [...odd.journeys, ...odd.lifecycles].slice(0, 20);
  return {
    bodies: requests.length,
    byStatus: figures.byStatus,
    byRoute: figures.byRoute,
    fiveXx,
    fiveXxSamples: figures.samples,
    transportErrors,
    rateLimited: figures.byStatus['429'] ?? 0,
    pastSignature: Object.fromEntries(
      Object.entries(signed).map(([p, s]) => [p, Math.round((1000 * s.past) / Math.max(1, s.sent)) / 10]),
    ),
    routes: [...inApp, ...webhookRoutes(secrets)],
    routesNotInTable,
    workflowsBefore: before.total,
    workflowsAfter: after.total,
    acceptedCreates: accepted.size - ids.seededOrders.length,
    journeysStarted: after.journeys.length,
    lifecyclesStarted: after.lifecycles.length,
    otherWorkflowsStarted: after.others,
    startedByInvalid: odd.journeys.length + odd.lifecycles.length,
    startedByInvalidSamples,
    seed,
    elapsedMs: Date.now() - started,
  };
}

/** The drill as `npm run drill` runs it: 10,000 requests (1,000 with --short) against the stack. */
export async function fuzzDrill(ctx: DrillContext): Promise<DrillResult> {
  const started = Date.now();
  const { stack, fakes } = ctx;
  const since = new Date(started);
  const f = await runFuzz({
    apiUrls: stack.apiUrls,
    apiKey: stack.apiKey,
    operatorKey: stack.operatorKey,
    publicUrl: stack.publicUrl,
    secrets: {
      resend: fakes.secrets.resendWebhook,
      twilioAuthToken: fakes.twilio.authToken,
      telegram: fakes.secrets.telegramWebhook,
      whatsapp: { appSecret: fakes.secrets.whatsappAppSecret, verifyToken: fakes.secrets.whatsappVerifyToken },
      shopify: FUZZ_SHOP_ENV.SHOPIFY_WEBHOOK_SECRET,
      woocommerce: FUZZ_SHOP_ENV.WOOCOMMERCE_WEBHOOK_SECRET,
    },
    client: ctx.client,
    runs: ctx.short ? 1_000 : 10_000,
    seed: ctx.seed,
    idPrefix: ctx.idPrefix,
    log: (line) => ctx.log(line),
  });
  // Two rounds: a lifecycle that continued as new in between has a new run to end.
  let workflowsEnded = 0;
  for (let round = 0; round < 2; round++) workflowsEnded += await endFuzzWorkflows(ctx.client, since);
  await new Promise((r) => setTimeout(r, 2_000));
  const failures = [
    ...(f.fiveXx > 0
      ? [`${f.fiveXx} answers were 5xx (seed ${f.seed}): ${f.fiveXxSamples.slice(0, 3).join(' | ')}`]
      : []),
    ...(f.transportErrors > 0 ? [`${f.transportErrors} requests got no answer`] : []),
    ...(f.startedByInvalid > 0
      ? [
          `${f.startedByInvalid} workflows no accepted request explains: ${f.startedByInvalidSamples.slice(0, 5).join(', ')}`,
        ]
      : []),
  ];
  return {
    name: 'fuzz',
    claim: 'generated bodies across every /v1 route and webhook: 0 5xx, 0 workflows started by an invalid body',
    figures: {
      bodies: f.bodies,
      fiveXx: f.fiveXx,
      startedByInvalid: f.startedByInvalid,
      transportErrors: f.transportErrors,
      acceptedCreates: f.acceptedCreates,
      journeysStarted: f.journeysStarted,
      lifecyclesStarted: f.lifecyclesStarted,
      rateLimited: f.rateLimited,
      routes: f.routes.length,
      byStatus: f.byStatus,
      pastSignature: f.pastSignature,
      workflowsBefore: f.workflowsBefore,
      workflowsAfter: f.workflowsAfter,
      workflowsEnded,
      seed: f.seed,
      elapsedMs: f.elapsedMs,
    },
    failures,
    wallMs: Date.now() - started,
  };
}
