/**
 * The drills' load: orders whose customers are spread over email, SMS, Telegram and WhatsApp, each with its own
 * recipient, sent through the API processes and moved through their stages as a shop would (every request with
 * an Idempotency-Key, retried with it on another API process when an answer does not come).
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Channel } from '../../src/channels/types';
import { orderJourneyId } from '../../src/workflows/order/contract';
import { DRILL_STAGES } from './env';
import { addressKey, type Registry } from './ledger';

const ROTATION: Channel[] = ['email', 'sms', 'telegram', 'whatsapp'];

/** Seeded random numbers in [0, 1) (mulberry32), so a drill's choices repeat with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DrillOrder {
  orderId: string;
  /** The channel its customer is reached on (their only contact, or their first choice). */
  channel: Channel;
  /** POST /v1/orders's body. */
  body: Record<string, unknown>;
}

let nextContact = 0;

/**
 * `count` orders with ids `<prefix>-<n>`, a new customer each, on `channels` in turn (default: all four); their
 * addresses go in `registry`.
 */
export function makeOrders(
  prefix: string,
  count: number,
  registry: Registry,
  channels: Channel[] = ROTATION,
): DrillOrder[] {
  return Array.from({ length: count }, (_, i) => {
    const orderId = `${prefix}-${i}`;
    const channel = channels[i % channels.length]!;
    // Unique per order in this process: the recipient is how the ledger knows the order on keyless providers.
    const n = nextContact++;
    const phone = `+447${String(100_000_000 + n).slice(1)}`;
    const contact =
      channel === 'email'
        ? { email: `${orderId}@drill.example` }
        : channel === 'telegram'
          ? { telegramChatId: String(700_000_000 + n) }
          : { phone, preferredChannels: [channel] };
    if (channel === 'email') registry.set(addressKey('email', contact.email!), { orderId, channel });
    if (channel === 'telegram') registry.set(addressKey('telegram', contact.telegramChatId!), { orderId, channel });
    if (channel === 'sms' || channel === 'whatsapp') {
      // Either may carry the phone's messages if the other failed: both name the order.
      registry.set(addressKey('sms', phone), { orderId, channel });
      registry.set(addressKey('whatsapp', phone.slice(1)), { orderId, channel });
    }
    return {
      orderId,
      channel,
      body: {
        orderId,
        customer: { id: `${orderId}-customer`, name: 'Drill Customer', locale: 'en', timeZone: 'UTC', ...contact },
        items: [{ sku: 'drill-1', name: 'Drill item', quantity: 1, unitPrice: 25 }],
        currency: 'EUR',
        total: 25,
      },
    };
  });
}

export interface ApiOutcome {
  /** Undefined when no answer came (connection refused or reset, timeout). */
  status?: number;
  ms: number;
  body?: unknown;
  /** The Retry-After header, when the answer had one. */
  retryAfter?: string;
  error?: string;
}

/** The API processes of the stack, by URL, with the business's key. */
export class Api {
  constructor(
    readonly urls: string[],
    private readonly apiKey: string,
  ) {}

  async request(
    url: string,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    opts: { idempotencyKey?: string; timeoutMs?: number } = {},
  ): Promise<ApiOutcome> {
    const started = performance.now();
    try {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: kept as text
      }
      const retryAfter = response.headers.get('retry-after');
      return {
        status: response.status,
        ms: performance.now() - started,
        body: parsed,
        ...(retryAfter !== null ? { retryAfter } : {}),
      };
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return { ms: performance.now() - started, error: cause ?? (err as Error).name ?? String(err) };
    }
  }
}

/** Status codes seen, by code ("none" when no answer came). */
export type Tally = Record<string, number>;

export const count = (tally: Tally, outcome: ApiOutcome) => {
  const key = outcome.status === undefined ? 'none' : String(outcome.status);
  tally[key] = (tally[key] ?? 0) + 1;
};

/**
 * Answers in `tally` that count against the API: 5xx and no answer at all. A 503 (temporal_unavailable: "retry with
 * the same key") is left out when `allow503`, for drills that take Temporal or every worker away on purpose.
 */
export function serverErrorsIn(tally: Tally, allow503: boolean): number {
  return Object.entries(tally)
    .filter(([status]) => status === 'none' || (Number(status) >= 500 && !(allow503 && status === '503')))
    .reduce((sum, [, n]) => sum + n, 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A shop's request: sent with its Idempotency-Key, and when no answer or a 5xx comes, sent again with the same key
 * on the next API process (after a short pause), until an answer below 500 comes or `deadlineMs` passes.
 */
export async function sendUntilAnswered(
  api: Api,
  first: number,
  path: string,
  body: unknown,
  idempotencyKey: string,
  tally: Tally,
  deadlineMs = 300_000,
): Promise<ApiOutcome> {
  const until = Date.now() + deadlineMs;
  for (let attempt = 0; ; attempt++) {
    const url = api.urls[(first + attempt) % api.urls.length]!;
    const outcome = await api.request(url, 'POST', path, body, { idempotencyKey });
    count(tally, outcome);
    if (outcome.status !== undefined && outcome.status < 500) return outcome;
    if (Date.now() > until) return outcome;
    await sleep(Math.min(500 * 2 ** attempt, 5_000));
  }
}

/** Creates the order, then moves it through every later stage, with pauses of up to `pauseMs` between. */
export async function driveOrder(
  api: Api,
  order: DrillOrder,
  index: number,
  random: () => number,
  tally: Tally,
  pauseMs = 1_500,
  onCreated?: (order: DrillOrder) => void,
): Promise<string[]> {
  const problems: string[] = [];
  const created = await sendUntilAnswered(api, index, '/v1/orders', order.body, `${order.orderId}/create`, tally);
  if (created.status !== 201 && created.status !== 200) {
    problems.push(`${order.orderId}: create answered ${created.status ?? created.error}`);
    return problems;
  }
  onCreated?.(order);
  for (const stage of DRILL_STAGES.slice(1)) {
    await sleep(random() * pauseMs);
    const path = `/v1/orders/${order.orderId}/stage`;
    const moved = await sendUntilAnswered(api, index, path, { stage: stage.id }, `${order.orderId}/${stage.id}`, tally);
    if (moved.status !== 200)
      problems.push(`${order.orderId}: stage ${stage.id} answered ${moved.status ?? moved.error}`);
  }
  return problems;
}

/** Runs `work` for every item with at most `concurrency` at a time. */
export async function pool<T>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** The orders whose journey has not completed (missing journeys included). */
export async function unfinishedJourneys(client: Client, orderIds: string[]): Promise<string[]> {
  const unfinished: string[] = [];
  await pool(orderIds, 16, async (orderId) => {
    try {
      const { status } = await client.workflow.getHandle(orderJourneyId(orderId)).describe();
      if (status.name !== 'COMPLETED') unfinished.push(orderId);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      unfinished.push(orderId);
    }
  });
  return unfinished;
}

/**
 * Waits until every order's journey has completed (each journey ends after its last message went out, so its
 * sends, retries included, are over), checking every 2 s; returns the ones still unfinished at the deadline.
 */
export async function waitForJourneys(client: Client, orderIds: string[], timeoutMs: number): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  let pending = orderIds;
  for (;;) {
    pending = await unfinishedJourneys(client, pending);
    if (pending.length === 0 || Date.now() > until) return pending;
    await sleep(2_000);
  }
}

/** Journeys (runs) of the orders with these ids, counted by listing visibility: one per order is right. */
export async function journeyRuns(client: Client, orderIds: string[], since: Date): Promise<number> {
  const wanted = new Set(orderIds.map((id) => orderJourneyId(id)));
  let runs = 0;
  const query = `WorkflowType = 'orderJourney' AND StartTime >= '${since.toISOString()}'`;
  for await (const wf of client.workflow.list({ query })) if (wanted.has(wf.workflowId)) runs++;
  return runs;
}

export { sleep };
