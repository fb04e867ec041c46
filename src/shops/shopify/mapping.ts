/**
 * Shopify's REST webhook payloads mapped to Aftercare's inputs: an order to the order schema's input, a
 * fulfillment or tracking event to a shipment status, and a status to what the playbook says it means (a stage,
 * a notice, or nothing). Pure: no I/O.
 */
import { isRecord } from '../../lib/http';
import type { IssueKind, Playbook } from '../../playbook/schema';
import { orderInputSchema } from '../../schemas/orders';
import type { Order } from '../../workflows/order/contract';
import { SHOPIFY_SHIPMENT_STATUSES, type ShopifyShipmentStatus } from '../../playbook/shop-statuses';

/** What a shipment status (or `orders/paid`) does to the order's journey. */
export type ShopifyEffect = { stage: string } | { notice: IssueKind; reason: string };

/** Defaults, used for each key the playbook leaves out, when the journey has that stage. */
export const DEFAULT_PAID_STAGE = 'confirmed';
export const DEFAULT_FULFILLMENT: Partial<Record<ShopifyShipmentStatus, string | { notice: IssueKind }>> = {
  fulfilled: 'shipped',
  carrier_picked_up: 'shipped',
  in_transit: 'shipped',
  out_for_delivery: 'out_for_delivery',
  picked_up: 'delivered',
  delivered: 'delivered',
  delayed: { notice: 'delayed' },
  attempted_delivery: { notice: 'problem' },
  failure: { notice: 'problem' },
};

/** What the customer reads in a notice when the playbook gives no reason of its own. */
export const DEFAULT_NOTICE_REASONS: Partial<Record<ShopifyShipmentStatus, string>> = {
  delayed: 'The carrier reports a delay with your parcel.',
  attempted_delivery: 'The courier tried to deliver your parcel but could not.',
  failure: 'The carrier reports a problem delivering your parcel.',
};

/**
 * A Shopify resource's id as a string: from `admin_graphql_api_id` ("gid://shopify/Order/450789469") when present
 * (exact even past 2^53), else the numeric `id`.
 */
export function shopifyIdOf(resource: unknown): string | undefined {
  if (!isRecord(resource)) return undefined;
  const gid = resource.admin_graphql_api_id;
  const match = typeof gid === 'string' ? /^gid:\/\/shopify\/[A-Za-z]+\/(\d+)$/.exec(gid) : null;
  if (match?.[1]) return match[1];
  const id = resource.id;
  if (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) return String(id);
  if (typeof id === 'string' && /^\d+$/.test(id)) return id;
  return undefined;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

function nameOf(...people: unknown[]): string | undefined {
  for (const p of people) {
    if (!isRecord(p)) continue;
    const name = [text(p.first_name), text(p.last_name)].filter(Boolean).join(' ');
    if (name) return name;
  }
  return undefined;
}

/** An E.164 number from what Shopify stores ("+44 7700 900123"); anything else is left out, not fatal. */
function phoneOf(...candidates: unknown[]): string | undefined {
  for (const c of candidates) {
    const compact = text(c)?.replace(/[\s().-]/g, '');
    if (compact && /^\+[1-9]\d{6,14}$/.test(compact)) return compact;
  }
  return undefined;
}

function emailOf(...candidates: unknown[]): string | undefined {
  for (const c of candidates) {
    const e = text(c);
    if (e && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(e)) return e;
  }
  return undefined;
}

/** "pt-BR" as Shopify writes it, as a language tag the schema takes ("pt-BR"); anything else is left out. */
function localeOf(v: unknown): string | undefined {
  const t = text(v);
  if (!t) return undefined;
  const [lang, ...rest] = t.replace(/_/g, '-').split('-');
  const tag = [lang!.toLowerCase(), ...rest].join('-');
  return /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(tag) ? tag : undefined;
}

const decimal = (v: unknown): unknown => (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : v);

/** The order schema's input from a Shopify order (orders/create, orders/paid), before validation. */
export function orderInputFromShopify(order: Record<string, unknown>): Record<string, unknown> {
  const customer = isRecord(order.customer) ? order.customer : {};
  const shipping = order.shipping_address;
  const billing = order.billing_address;
  const email = emailOf(customer.email, order.email, order.contact_email);
  const phone = phoneOf(
    customer.phone,
    order.phone,
    isRecord(shipping) ? shipping.phone : undefined,
    isRecord(billing) ? billing.phone : undefined,
  );
  const locale = localeOf(order.customer_locale);
  const lines = Array.isArray(order.line_items) ? order.line_items.filter(isRecord) : [];
  return {
    orderId: shopifyIdOf(order),
    customer: {
      id: shopifyIdOf(customer),
      name: nameOf(customer, billing, shipping),
      ...(email ? { email } : {}),
      ...(phone ? { phone } : {}),
      ...(locale ? { locale } : {}),
    },
    items: lines
      .filter((li) => (typeof li.current_quantity === 'number' ? li.current_quantity : li.quantity) !== 0)
      .map((li) => ({
        sku:
          text(li.sku) ??
          (li.variant_id != null ? `variant-${String(li.variant_id)}` : `line-${String(shopifyIdOf(li) ?? '')}`),
        name: text(li.name) ?? text(li.title),
        quantity: li.quantity,
        unitPrice: decimal(li.price),
      })),
    currency: order.currency,
    total: decimal(order.total_price),
    ...(text(order.created_at) ? { placedAt: order.created_at } : {}),
  };
}

export type MappedOrder = { ok: true; order: Order } | { ok: false; orderId?: string; problems: string[] };

/**
 * Validates the mapped order with the API's own schema, so a Shopify order starts a journey only when a POST
 * /v1/orders with the same content would. Problems name fields and rules, never values (they go to the log).
 */
export function orderFromShopify(body: unknown): MappedOrder {
  if (!isRecord(body)) return { ok: false, problems: ['body is not an order object'] };
  const parsed = orderInputSchema.safeParse(orderInputFromShopify(body));
  if (parsed.success) return { ok: true, order: parsed.data };
  const orderId = shopifyIdOf(body);
  return {
    ok: false,
    ...(orderId ? { orderId } : {}),
    problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(order)'}: ${i.message}`),
  };
}

/**
 * The shipment status a fulfillment webhook reports: a tracking event's `status`, a fulfillment's
 * `shipment_status`, or `fulfilled` for a fulfillment that succeeded before any carrier status. GraphQL's
 * upper-case spelling (IN_TRANSIT) is accepted too.
 */
export function shipmentStatusOf(topic: string, body: Record<string, unknown>): ShopifyShipmentStatus | undefined {
  const known = (v: unknown) => {
    const s = typeof v === 'string' ? v.toLowerCase() : undefined;
    return (SHOPIFY_SHIPMENT_STATUSES as readonly (string | undefined)[]).includes(s)
      ? (s as ShopifyShipmentStatus)
      : undefined;
  };
  if (topic === 'fulfillment_events/create') return known(body.status);
  if (body.status === 'cancelled' || body.status === 'error' || body.status === 'failure') return undefined;
  return known(body.shipment_status) ?? (body.status === 'success' ? 'fulfilled' : undefined);
}

/**
 * What a shipment status does to a journey with these stages: the playbook's `shopify.fulfillment` entry (null:
 * nothing), else the default; a stage the journey does not have does nothing.
 */
export function effectOfStatus(
  playbook: Pick<Playbook, 'shopify'>,
  status: ShopifyShipmentStatus,
  stages: readonly string[],
): ShopifyEffect | undefined {
  const configured: Partial<Record<ShopifyShipmentStatus, string | { notice: IssueKind; reason?: string } | null>> =
    playbook.shopify?.fulfillment ?? {};
  const target = status in configured ? configured[status] : DEFAULT_FULFILLMENT[status];
  if (target === null || target === undefined) return undefined;
  if (typeof target === 'string') return stages.includes(target) ? { stage: target } : undefined;
  const own = (target as { reason?: string }).reason;
  const reason = own ?? DEFAULT_NOTICE_REASONS[status];
  return { notice: target.notice, reason: reason ?? `Shipment status: ${status.replace(/_/g, ' ')}.` };
}

/** The stage `orders/paid` moves the order to (the playbook's `shopify.paid`, default "confirmed"), if any. */
export function paidStageOf(playbook: Pick<Playbook, 'shopify'>, stages: readonly string[]): string | undefined {
  const configured = playbook.shopify?.paid;
  const target = configured === undefined ? DEFAULT_PAID_STAGE : configured;
  return target !== null && stages.includes(target) ? target : undefined;
}

/** The order id a fulfillment or tracking event belongs to. */
export function fulfillmentOrderIdOf(body: Record<string, unknown>): string | undefined {
  const id = body.order_id;
  if (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) return String(id);
  return typeof id === 'string' && /^\d+$/.test(id) ? id : undefined;
}

/** "Tracking number 1Z2345 (DHL Express)": the note a shipped stage carries, when the fulfillment has one. */
export function trackingNoteOf(body: Record<string, unknown>): string | undefined {
  const number = text(body.tracking_number);
  if (!number) return undefined;
  const company = text(body.tracking_company);
  return `Tracking number ${number}${company ? ` (${company})` : ''}`.slice(0, 300);
}

/** When the event happened at Shopify: the tracking event's time, the resource's update, or the trigger. */
export function eventTimeOf(body: Record<string, unknown>, triggeredAt: string | undefined): number | undefined {
  for (const v of [body.happened_at, body.updated_at, triggeredAt]) {
    const t = typeof v === 'string' ? Date.parse(v) : NaN;
    if (Number.isFinite(t)) return t;
  }
  return undefined;
}
