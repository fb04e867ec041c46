import { createHash, createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { type FakeResponse, HttpFake, pathOf, sleep, writeResponse } from './http-fake';

/**
 * A fake WooCommerce store, as WooCommerce 10 behaves, on 127.0.0.1:
 * - its REST API's GET /wp-json/wc/v3/orders: HTTP Basic (or `consumer_key`/`consumer_secret` in the query) with the
 *   REST key, 401 `woocommerce_rest_cannot_view` otherwise; `modified_after` (exclusive, whole seconds), in the
 *   site's time zone unless `dates_are_gmt=true`; `orderby=modified|date|id`, `order`, `per_page` (default 10, at
 *   most 100), `page`; X-WP-Total and X-WP-TotalPages, and the Date header;
 * - its webhooks (WC_Webhook::deliver): the REST order as JSON the way PHP's json_encode writes it (slashes and
 *   non-ASCII escaped), X-WC-Webhook-Source/-Topic/-Resource/-Event/-Signature/-ID/-Delivery-ID, the signature the
 *   base64 HMAC-SHA256 of that body with the webhook's secret; never retried;
 * - the ping a saved webhook sends (WC_Webhook::deliver_ping): a form body `webhook_id=<id>` and nothing else.
 * Orders keep WooCommerce's shape (REST v3): ids as integers, money as decimal strings, times twice (site time and
 * `_gmt`, both without an offset), the customer in `billing`, refunds as `{ id, reason, total: "-5.00" }`.
 */

export const WC_VERSION = '10.3.0';
const USER_AGENT = `WooCommerce/${WC_VERSION} Hookshot (WordPress/6.8.3)`;

export interface WooBilling {
  first_name: string;
  last_name: string;
  email: string;
  phone: string;
  country?: string;
}

export interface WooRefund {
  id: number;
  reason: string;
  total: string;
}

export type WooOrder = Record<string, unknown> & {
  id: number;
  status: string;
  currency: string;
  total: string;
  customer_id: number;
  date_created_gmt: string;
  date_modified_gmt: string;
  billing: WooBilling;
  refunds: WooRefund[];
};

/** A request the store's REST API received. */
export interface WooRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
}

export interface WooDelivery {
  headers: Record<string, string>;
  /** The raw body, exactly as signed. */
  body: string;
}

export interface FakeWooCommerceOptions {
  consumerKey?: string;
  consumerSecret?: string;
  webhookSecret?: string;
  /** The site's offset from UTC, in minutes (WordPress's timezone setting): its non-GMT times use it. */
  utcOffsetMinutes?: number;
}

let nextId = 4_100;
const newId = () => ++nextId;

/** A time as WooCommerce writes it: whole seconds, no offset (GMT fields in UTC, the others in site time). */
export const wooTime = (ms: number, offsetMinutes = 0) =>
  new Date(Math.floor(ms / 1000) * 1000 + offsetMinutes * 60_000).toISOString().slice(0, 19);

/** JSON as PHP's json_encode (wp_json_encode) writes it: "/" as "\/", non-ASCII as \uXXXX. */
export function phpJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, '\\/')
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export const wooSignature = (secret: string, body: string) =>
  createHmac('sha256', secret).update(body, 'utf8').digest('base64');

export class FakeWooCommerce {
  readonly consumerKey: string;
  readonly consumerSecret: string;
  readonly webhookSecret: string;
  readonly utcOffsetMinutes: number;
  readonly orders = new Map<number, WooOrder>();
  /** The webhook's id in the shop, sent as X-WC-Webhook-ID and in the ping. */
  readonly webhookId = 17;
  private readonly http = new HttpFake<WooRequest, FakeResponse>();
  readonly requests = this.http.requests;
  url = '';

  constructor(opts: FakeWooCommerceOptions = {}) {
    this.consumerKey = opts.consumerKey ?? 'ck_0123456789abcdef0123456789abcdef01234567';
    this.consumerSecret = opts.consumerSecret ?? 'cs_0123456789abcdef0123456789abcdef01234567';
    this.webhookSecret = opts.webhookSecret ?? 'wc-webhook-secret-0123';
    this.utcOffsetMinutes = opts.utcOffsetMinutes ?? 120;
  }

  async start(): Promise<this> {
    this.url = await this.http.listen(
      (req, res) => this.handle(req, res),
      (res, err) => writeResponse(res, 500, { code: 'internal_server_error', message: String(err) }, {}, JSON_TYPE),
    );
    return this;
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /** The next `n` REST requests get `response`. */
  failNext(n: number, response: FakeResponse): void {
    this.http.failNext(n, response);
  }

  setLatency(ms: number): void {
    this.http.setLatency(ms);
  }

  /** A new order in the store (created now unless `createdAt`), as checkout would make it. */
  addOrder(opts: Partial<WooBilling> & OrderOptions = {}): WooOrder {
    const order = wooOrder(this, opts);
    this.orders.set(order.id, order);
    return order;
  }

  /** Changes the order as the shop does: status, refunds or fields, and date_modified moves to `at` (now). */
  update(id: number, changes: Partial<WooOrder>, at = Date.now()): WooOrder {
    const order = this.orders.get(id);
    if (!order) throw new Error(`no order ${id}`);
    const updated: WooOrder = {
      ...order,
      ...changes,
      date_modified: wooTime(at, this.utcOffsetMinutes),
      date_modified_gmt: wooTime(at),
    };
    this.orders.set(id, updated);
    return updated;
  }

  /** A refund of `amount` (a decimal string) recorded on the order; the whole total makes it "refunded". */
  refund(id: number, amount: string, reason = 'Returned', at = Date.now()): WooOrder {
    const order = this.orders.get(id)!;
    const refunds = [...order.refunds, { id: newId(), reason, total: `-${amount}` }];
    const refunded = refunds.reduce((sum, r) => sum - Number(r.total), 0);
    const status = refunded >= Number(order.total) ? 'refunded' : order.status;
    return this.update(id, { refunds, status }, at);
  }

  /** A signed delivery of `topic` ("order.updated") with the order as WooCommerce sends it. */
  delivery(topic: string, order: object, opts: { secret?: string } = {}): WooDelivery {
    const body = phpJson(order);
    const [resource, event] = topic.split('.');
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'x-wc-webhook-source': `${this.url}/`,
      'x-wc-webhook-topic': topic,
      'x-wc-webhook-resource': resource!,
      'x-wc-webhook-event': event!,
      'x-wc-webhook-signature': wooSignature(opts.secret ?? this.webhookSecret, body),
      'x-wc-webhook-id': String(this.webhookId),
      'x-wc-webhook-delivery-id': createHash('md5')
        .update(`${this.webhookId}${Date.now()}${Math.random()}`)
        .digest('hex'),
    };
    return { headers, body };
  }

  /** The ping a created or saved webhook sends: no signature, no X-WC-Webhook-* header. */
  ping(): WooDelivery {
    return {
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': USER_AGENT },
      body: `webhook_id=${this.webhookId}`,
    };
  }

  /** Posts a delivery to Aftercare over HTTP, as WooCommerce does (once: it never retries). */
  async send(deliveryUrl: string, d: WooDelivery): Promise<{ status: number; body: string }> {
    const res = await fetch(deliveryUrl, { method: 'POST', headers: d.headers, body: d.body });
    return { status: res.status, body: await res.text() };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://store.test');
    const query = Object.fromEntries(url.searchParams);
    this.requests.push({ method: req.method ?? 'GET', path: pathOf(req), query, headers: req.headers });
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      writeResponse(res, status, body, headers, JSON_TYPE, { date: new Date().toUTCString() });
    if (this.http.latencyMs) await sleep(this.http.latencyMs);
    if (pathOf(req) !== '/wp-json/wc/v3/orders' || req.method !== 'GET') {
      return reply(404, wpError('rest_no_route', 'No route was found matching the URL and request method.', 404));
    }
    if (!this.authorized(req, url)) {
      return reply(401, wpError('woocommerce_rest_cannot_view', 'Sorry, you cannot list resources.', 401));
    }
    const failure = this.http.failures.shift();
    if (failure) return reply(failure.status, failure.body, failure.headers);
    const q = url.searchParams;
    const perPage = Number(q.get('per_page') ?? 10);
    const page = Number(q.get('page') ?? 1);
    if (!(perPage >= 1 && perPage <= 100) || !(page >= 1)) {
      return reply(400, wpError('rest_invalid_param', 'Invalid parameter(s): per_page, page', 400));
    }
    let list = [...this.orders.values()];
    const after = q.get('modified_after');
    if (after) {
      // Without dates_are_gmt, WordPress reads the time in the site's time zone.
      const gmt = q.get('dates_are_gmt') === 'true';
      const afterMs = Date.parse(`${after.slice(0, 19)}Z`) - (gmt ? 0 : this.utcOffsetMinutes * 60_000);
      list = list.filter((o) => Date.parse(`${o.date_modified_gmt}Z`) > afterMs);
    }
    const key =
      q.get('orderby') === 'modified' ? 'date_modified_gmt' : q.get('orderby') === 'id' ? 'id' : 'date_created_gmt';
    const sign = q.get('order') === 'asc' ? 1 : -1;
    list.sort((a, b) => (a[key] < b[key] ? -sign : a[key] > b[key] ? sign : a.id - b.id));
    const totalPages = Math.ceil(list.length / perPage);
    return reply(200, list.slice((page - 1) * perPage, page * perPage), {
      'x-wp-total': String(list.length),
      'x-wp-totalpages': String(totalPages),
    });
  }

  private authorized(req: IncomingMessage, url: URL): boolean {
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const [key, secret] = basic
      ? Buffer.from(basic, 'base64').toString('utf8').split(':')
      : [url.searchParams.get('consumer_key'), url.searchParams.get('consumer_secret')];
    return key === this.consumerKey && secret === this.consumerSecret;
  }
}

const JSON_TYPE = 'application/json; charset=UTF-8';

function wpError(code: string, message: string, status: number) {
  return { code, message, data: { status } };
}

export interface OrderOptions {
  status?: string;
  customerId?: number;
  createdAt?: number;
  currency?: string;
  lines?: { sku: string; name: string; quantity: number; subtotal: string }[];
  meta?: { key: string; value: string }[];
}

/** An order in WooCommerce's REST shape (v3). */
export function wooOrder(store: { utcOffsetMinutes: number }, opts: Partial<WooBilling> & OrderOptions = {}): WooOrder {
  const id = newId();
  const created = opts.createdAt ?? Date.now();
  const lines = opts.lines ?? [{ sku: 'MUG-1', name: 'Blue mug', quantity: 2, subtotal: '25.00' }];
  const total = lines.reduce((sum, l) => sum + Number(l.subtotal), 0).toFixed(2);
  const local = (ms: number) => wooTime(ms, store.utcOffsetMinutes);
  return {
    id,
    parent_id: 0,
    status: opts.status ?? 'pending',
    currency: opts.currency ?? 'EUR',
    version: WC_VERSION,
    prices_include_tax: false,
    date_created: local(created),
    date_created_gmt: wooTime(created),
    date_modified: local(created),
    date_modified_gmt: wooTime(created),
    discount_total: '0.00',
    shipping_total: '0.00',
    total,
    total_tax: '0.00',
    customer_id: opts.customerId ?? 0,
    order_key: `wc_order_${id.toString(36)}`,
    billing: {
      first_name: opts.first_name ?? 'Ada',
      last_name: opts.last_name ?? 'Lovelace',
      company: '',
      address_1: '12 Analytical Row',
      address_2: '',
      city: 'London',
      state: '',
      postcode: 'N1 9GU',
      country: opts.country ?? 'GB',
      email: opts.email ?? 'ada@example.com',
      phone: opts.phone ?? '',
    } as WooBilling,
    shipping: { first_name: '', last_name: '', address_1: '', city: '', postcode: '', country: '', phone: '' },
    payment_method: 'bacs',
    payment_method_title: 'Direct bank transfer',
    transaction_id: '',
    customer_note: '',
    created_via: 'checkout',
    date_completed: null,
    date_paid: null,
    number: String(id),
    meta_data: (opts.meta ?? []).map((m, i) => ({ id: 900 + i, ...m })),
    line_items: lines.map((l, i) => ({
      id: id * 10 + i,
      name: l.name,
      product_id: 70 + i,
      variation_id: 0,
      quantity: l.quantity,
      tax_class: '',
      subtotal: l.subtotal,
      subtotal_tax: '0.00',
      total: l.subtotal,
      total_tax: '0.00',
      taxes: [],
      meta_data: [],
      sku: l.sku,
      price: Number(l.subtotal) / l.quantity,
      image: { id: '', src: '' },
      parent_name: null,
    })),
    shipping_lines: [],
    fee_lines: [],
    coupon_lines: [],
    refunds: [],
    payment_url: `https://shop.example/checkout/order-pay/${id}/`,
    is_editable: false,
    needs_payment: false,
    needs_processing: true,
    currency_symbol: '€',
    _links: { self: [{ href: `https://shop.example/wp-json/wc/v3/orders/${id}` }] },
  };
}

export async function startFakeWooCommerce(opts: FakeWooCommerceOptions = {}): Promise<FakeWooCommerce> {
  return new FakeWooCommerce(opts).start();
}
