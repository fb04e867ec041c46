/**
 * The fuzz drill's /v1 side: every route of the API (checked against the OpenAPI document the app serves), each with
 * a known-valid body to mutate, path parameters that name real journeys or anything at all, and the headers a client
 * sends (content type, Idempotency-Key, the key).
 */
import fc from 'fast-check';
import { bodyFor, headerText, noBody, type GeneratedBody } from './fuzz-mutate';

export type Provider = 'resend' | 'twilio' | 'telegram' | 'whatsapp' | 'shopify' | 'woocommerce';

/** One generated request, before it is signed (webhook signatures carry a timestamp: made when sent). */
export interface FuzzRequest {
  /** The route as the OpenAPI document names it, e.g. "POST /v1/orders/{orderId}/stage". */
  route: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** The concrete path (parameters filled and encoded) and query. */
  path: string;
  headers: Record<string, string>;
  body: GeneratedBody;
  /** Which key goes in Authorization (webhooks: none; they are signed). */
  auth: 'api' | 'operator' | 'wrong' | 'none';
  /** A provider's signature over the body: right, wrong (another secret) or absent. */
  signing?: { provider: Provider; mode: 'valid' | 'invalid' | 'missing' };
  /** A 2xx may have started a journey: how to tell which order (the census explains workflows by these). */
  starts?: 'v1-order' | 'shopify' | 'woocommerce';
}

/** Ids the generated requests share, so updates reach real journeys and repeated orders meet each other. */
export interface IdPools {
  /** This run's prefix: every id the fuzz makes starts with it, so runs (and drills) never meet. */
  prefix: string;
  /** Orders with a journey before the fuzz starts (the drill creates them). */
  seededOrders: string[];
  seededCustomers: string[];
  /** Ids generated bodies reuse (same order id with other content: a 409). */
  orders: string[];
  customers: string[];
}

const API_BODY_LIMIT = 64 * 1024;
const STAGES = ['placed', 'confirmed', 'shipped', 'out_for_delivery', 'delivered', 'delayed', 'problem', 'lost'];

const freshId = (prefix: string) => fc.stringMatching(/^[a-z0-9]{8,12}$/).map((s) => `${prefix}-${s}`);

/** A path parameter: a real one, a well-formed stranger, or anything (encoded as a client would). */
export function idParam(real: string[], prefix: string): fc.Arbitrary<string> {
  return fc
    .oneof(
      { weight: real.length > 0 ? 5 : 0, arbitrary: real.length > 0 ? fc.constantFrom(...real) : fc.constant('x') },
      { weight: 3, arbitrary: freshId(prefix) },
      { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'x'.repeat(300),
          '..',
          '%2e%2e',
          'a/b',
          '__proto__',
          'constructor',
          ' ',
          '\u0000',
          '-',
        ),
      },
    )
    .map(encodePathSegment);
}

function encodePathSegment(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '?'));
  }
}

const pick = <T>(pool: T[], fresh: fc.Arbitrary<T>) =>
  pool.length > 0
    ? fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...pool) }, { weight: 3, arbitrary: fresh })
    : fresh;

/** A valid new order (each run its own ids, sometimes a pool's: then a repeat, or a conflict). */
export function orderBody(ids: IdPools): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .record({
      // Sometimes an order that exists (seeded, or a pool's taken): a repeat (200) or a conflict (409).
      orderId: pick([...ids.seededOrders, ...ids.orders], freshId(`${ids.prefix}-o`)),
      customerId: pick(ids.customers, freshId(`${ids.prefix}-c`)),
      contact: fc.constantFrom('email', 'phone', 'both'),
      quantity: fc.integer({ min: 1, max: 5 }),
      locale: fc.constantFrom('en', 'bn', 'de'),
    })
    .map((o) => ({
      orderId: o.orderId,
      customer: {
        id: o.customerId,
        name: 'Fuzz Customer',
        ...(o.contact !== 'phone' ? { email: `${o.customerId}@fuzz.example` } : {}),
        ...(o.contact !== 'email' ? { phone: '+447700900123' } : {}),
        locale: o.locale,
        timeZone: 'Europe/London',
      },
      items: [{ sku: 'MUG-1', name: 'Blue mug', quantity: o.quantity, unitPrice: 12.5 }],
      currency: 'EUR',
      total: 12.5 * o.quantity,
    }));
}

interface RouteSpec {
  method: FuzzRequest['method'];
  /** OpenAPI path, e.g. /v1/orders/{orderId}/stage. */
  path: string;
  body?: (ids: IdPools) => fc.Arbitrary<unknown>;
  operator?: boolean;
  starts?: FuzzRequest['starts'];
  /** How much more often than the others (default 1). */
  weight?: number;
}

const reason = fc.constantFrom('customer asked', 'courier lost it', 'ok');
const ROUTES: RouteSpec[] = [
  // The route every business calls, and the one that starts workflows: three times the others' share.
  { method: 'POST', path: '/v1/orders', body: orderBody, starts: 'v1-order', weight: 3 },
  {
    method: 'POST',
    path: '/v1/orders/{orderId}/stage',
    body: () =>
      fc.record(
        { stage: fc.constantFrom(...STAGES), note: fc.constant('on its way'), reason: reason },
        { requiredKeys: ['stage'] },
      ),
  },
  { method: 'POST', path: '/v1/orders/{orderId}/cancel', body: () => fc.record({ reason }) },
  {
    method: 'POST',
    path: '/v1/orders/{orderId}/refunds',
    body: (ids) =>
      fc.record({
        refundId: freshId(`${ids.prefix}-r`),
        kind: fc.constantFrom('refund', 'return'),
        amount: fc.constantFrom(1, 5, 12.5),
        currency: fc.constant('EUR'),
        reason,
      }),
  },
  {
    method: 'POST',
    path: '/v1/orders/{orderId}/feedback',
    body: () => fc.record({ rating: fc.integer({ min: 1, max: 5 }), comment: fc.constant('fine') }),
  },
  { method: 'GET', path: '/v1/orders/{orderId}' },
  { method: 'POST', path: '/v1/preview', body: orderBody },
  { method: 'GET', path: '/v1/customers/{customerId}' },
  {
    method: 'PATCH',
    path: '/v1/customers/{customerId}',
    body: () => fc.record({ notes: fc.constant('likes blue'), locale: fc.constantFrom('en', 'bn') }),
  },
  // Erasure: never of a seeded customer (it would delete workflows the census counts); fresh ids only.
  { method: 'DELETE', path: '/v1/customers/{customerId}' },
  {
    method: 'POST',
    path: '/v1/customers/{customerId}/consent',
    body: (ids) =>
      fc.record({
        purpose: fc.constantFrom('marketing', 'all'),
        channel: fc.constantFrom('email', 'sms', 'all'),
        granted: fc.boolean(),
        source: fc.constant('fuzz'),
        eventId: freshId(`${ids.prefix}-e`),
      }),
  },
  { method: 'GET', path: '/v1/stats' },
  { method: 'GET', path: '/v1/operations/stuck', operator: true },
  ...(
    [
      ['retry', fc.record({ reason })],
      ['skip', fc.record({ reason })],
      ['resend', fc.record({ messageKey: fc.constantFrom('status-placed', 'thank-you'), reason })],
      ['wait', fc.record({ by: fc.constantFrom('2h', '-30m'), reason })],
      ['cancel', fc.record({ reason })],
      ['pause-marketing', fc.record({ for: fc.constant('2h'), reason })],
      ['resume-marketing', fc.record({ reason })],
    ] as const
  ).map(([action, body]): RouteSpec => ({
    method: 'POST',
    path: `/v1/orders/{orderId}/actions/${action}`,
    body: () => body,
    operator: true,
  })),
];

/** The /v1 routes this drill knows, as "METHOD /path" (the OpenAPI check compares them with the app's). */
export const KNOWN_V1_ROUTES = ROUTES.map((r) => `${r.method} ${r.path}`);

/** A route the app serves that this table lacks: fuzzed anyway, with random bodies and parameters. */
export function unknownRoute(route: string): RouteSpec {
  const [method, path] = route.split(' ') as [FuzzRequest['method'], string];
  return { method, path, body: () => fc.jsonValue({ maxDepth: 3 }) };
}

const contentType = fc.oneof(
  { weight: 20, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      'application/json; charset=utf-16',
      'APPLICATION/JSON',
      '',
    ),
  },
  { weight: 1, arbitrary: headerText(40) },
);

const idempotencyKey = fc.option(fc.oneof(fc.uuid(), headerText(300)), { freq: 2 });
const auth = fc.oneof(
  { weight: 30, arbitrary: fc.constant('ok' as const) },
  { weight: 1, arbitrary: fc.constantFrom('wrong' as const, 'none' as const) },
);

function routeRequest(spec: RouteSpec, ids: IdPools): fc.Arbitrary<FuzzRequest> {
  const params = {
    orderId: idParam([...ids.seededOrders, ...ids.orders], `${ids.prefix}-o`),
    // Erasure takes only strangers' ids: see ROUTES.
    customerId:
      spec.method === 'DELETE'
        ? idParam([], `${ids.prefix}-gone`)
        : idParam([...ids.seededCustomers, ...ids.customers], `${ids.prefix}-c`),
  };
  return fc
    .record({
      orderId: params.orderId,
      customerId: params.customerId,
      body: spec.body ? bodyFor(spec.body(ids), API_BODY_LIMIT) : noBody,
      contentType,
      idempotencyKey,
      auth,
    })
    .map((r) => {
      const headers: Record<string, string> = {};
      if (r.body.kind !== 'none' && r.contentType) headers['content-type'] = r.contentType;
      if (r.idempotencyKey !== null) headers['idempotency-key'] = r.idempotencyKey;
      return {
        route: `${spec.method} ${spec.path}`,
        method: spec.method,
        path: spec.path.replace('{orderId}', r.orderId).replace('{customerId}', r.customerId),
        headers,
        body: r.body,
        auth: r.auth === 'ok' ? (spec.operator ? 'operator' : 'api') : r.auth,
        ...(spec.starts ? { starts: spec.starts } : {}),
      };
    });
}

/** Requests across the /v1 routes (plus any the app serves that the table lacks), evenly. */
export function v1Requests(ids: IdPools, extraRoutes: string[] = []): fc.Arbitrary<FuzzRequest> {
  const specs = [...ROUTES, ...extraRoutes.map(unknownRoute)];
  return fc.oneof(...specs.map((s) => ({ weight: s.weight ?? 1, arbitrary: routeRequest(s, ids) })));
}
