/**
 * The fuzz drill's HTTP side: sending a generated request (signed as it leaves), reading what an answer accepted,
 * and the set-up before the fuzz (the app's routes from its OpenAPI document, which webhooks it serves, seed orders).
 */
import fc from 'fast-check';
import { shopifyIdOf } from '../../src/shops/shopify/mapping';
import { wooIdOf, wooOrderId } from '../../src/shops/woocommerce/mapping';
import { orderBody, type FuzzRequest, type IdPools } from './fuzz-routes';
import { signatureHeaders, type WebhookSecrets } from './fuzz-webhooks';

const SEED_ORDERS = 3;
/** Past every route's Temporal budget (an erasure's is 60 s): a request that takes longer is a hang. */
const REQUEST_TIMEOUT_MS = 90_000;

/** Who the requests are from: the keys, and what webhooks are signed with (and over which public URL). */
export interface Sender {
  apiKey: string;
  operatorKey: string;
  publicUrl: string;
  secrets: WebhookSecrets;
}

/** Sends one request, signed now; its status, or none (and why) when no HTTP answer came. */
export async function send(base: string, req: FuzzRequest, from: Sender): Promise<{ status?: number; text: string }> {
  const auth =
    req.auth === 'api'
      ? `Bearer ${from.apiKey}`
      : req.auth === 'operator'
        ? `Bearer ${from.operatorKey}`
        : req.auth === 'wrong'
          ? 'Bearer not-the-key-0123456789'
          : undefined;
  const headers = {
    ...req.headers,
    ...(auth ? { authorization: auth } : {}),
    ...signatureHeaders(req, from.secrets, from.publicUrl),
  };
  // fetch sends no body with GET; a GET's generated body is dropped.
  const body = req.body.kind === 'none' || req.method === 'GET' ? undefined : req.body.text;
  try {
    const res = await fetch(`${base}${req.path}`, {
      method: req.method,
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    return { text: String((err as Error).cause ?? err) };
  }
}

/** An order a 2xx accepted on a route that starts journeys: its order id explains a journey of that id. */
export function acceptedOrderOf(req: FuzzRequest, answer: string, accepted: Set<string>): void {
  if (!req.starts) return;
  const json = (text: string): Record<string, unknown> | undefined => {
    try {
      const v: unknown = JSON.parse(text);
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  const reply = json(answer);
  if (req.starts === 'v1-order') {
    if (typeof reply?.orderId === 'string') accepted.add(reply.orderId);
    return;
  }
  if (reply?.outcome !== 'applied' && reply?.outcome !== 'already') return;
  const body = json(req.body.text);
  if (!body) return;
  const id = req.starts === 'shopify' ? shopifyIdOf(body) : wooIdOf(body);
  if (id !== undefined) accepted.add(req.starts === 'shopify' ? String(id) : wooOrderId('default', id));
}

export function sampleOf(req: FuzzRequest, status: string, answer: string, index: number): string {
  const body =
    req.body.text.length > 120 ? `${req.body.text.slice(0, 120)}… (${req.body.text.length} chars)` : req.body.text;
  return `#${index} ${req.method} ${req.path.slice(0, 120)} → ${status} [${req.body.kind}] ${JSON.stringify(body)} ⇒ ${answer.slice(0, 200)}`;
}

/** The app's /v1 routes, from the OpenAPI document it serves ("METHOD /path"). */
export async function v1RoutesOf(api: string, operatorKey: string): Promise<string[]> {
  const res = await fetch(`${api}/docs/json`, { headers: { authorization: `Bearer ${operatorKey}` } });
  if (!res.ok) throw new Error(`fuzz: GET /docs/json answered ${res.status}: the routes to fuzz come from it`);
  const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths)
    .filter(([p]) => p.startsWith('/v1/'))
    .flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`));
}

/** The secrets of the webhooks the app serves: a route it answers 404 is not configured there, and left out. */
export async function configuredWebhooks(api: string, secrets: WebhookSecrets, log: (l: string) => void) {
  const probes: [keyof WebhookSecrets, string][] = [
    ['resend', '/webhooks/resend'],
    ['twilioAuthToken', '/webhooks/twilio/inbound'],
    ['telegram', '/webhooks/telegram'],
    ['whatsapp', '/webhooks/whatsapp'],
    ['shopify', '/webhooks/shopify/default'],
    ['woocommerce', '/webhooks/woocommerce/default'],
  ];
  const out: WebhookSecrets = { ...secrets };
  for (const [name, path] of probes) {
    if (!out[name]) continue;
    const res = await fetch(`${api}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    if (res.status === 404) {
      delete out[name];
      log(`fuzz: ${path} is not configured on this stack: not fuzzed`);
    }
  }
  return out;
}

/** A few orders with journeys, so the fuzz's updates and reads reach real workflows; and the id pools. */
export async function seedOrders(api: string, apiKey: string, prefix: string, seed: number): Promise<IdPools> {
  const pools: IdPools = {
    prefix,
    seededOrders: [],
    seededCustomers: [],
    orders: Array.from({ length: 8 }, (_, i) => `${prefix}-pool-o${i}`),
    customers: Array.from({ length: 5 }, (_, i) => `${prefix}-pool-c${i}`),
  };
  const bodies = fc.sample(orderBody({ ...pools, orders: [], customers: [] }), { numRuns: SEED_ORDERS, seed });
  for (const [i, body] of bodies.entries()) {
    const order = { ...body, orderId: `${prefix}-seed-o${i}` } as { orderId: string; customer: { id: string } };
    const res = await fetch(`${api}/v1/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(order),
    });
    if (res.status !== 201 && res.status !== 200) throw new Error(`fuzz: a seed order answered ${res.status}`);
    pools.seededOrders.push(order.orderId);
    pools.seededCustomers.push(order.customer.id);
  }
  return pools;
}
