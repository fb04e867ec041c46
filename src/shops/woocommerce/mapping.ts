/**
 * WooCommerce's REST order (the payload of its order webhooks, and of GET /wp-json/wc/v3/orders) mapped to
 * Aftercare's inputs: ids, the order schema's input, the order's refunds, and what its status means under the
 * playbook (start the journey, a stage, a notice, a cancellation, or nothing). Pure: no I/O.
 */
import { contactKey } from '../../channels/contact-keys';
import { isRecord } from '../../lib/http';
import { toMinorUnits, currencyDigits } from '../../lib/money';
import type { IssueKind, Playbook } from '../../playbook/schema';
import { orderInputSchema } from '../../schemas/orders';
import type { Order, RefundInput } from '../../workflows/order/contract';
import { WOOCOMMERCE_IGNORED_STATUSES, type WooCommerceAction } from '../../playbook/shop-statuses';

/** What one order status does to the order's journey. */
export type WooCommerceEffect =
  { action: WooCommerceAction } | { stage: string } | { notice: IssueKind; reason: string; start: boolean };

type Target = WooCommerceAction | string | { notice: IssueKind; reason?: string; start?: boolean } | null;

/**
 * Defaults, for each status the playbook leaves out. `pending` (awaiting payment) places the order; `failed` (the
 * payment did not go through) tells a customer whose journey exists and starts none; `refunded` adds nothing to the
 * refunds the order lists, which are recorded whatever the status.
 */
export const DEFAULT_STATUSES: Record<string, Target> = {
  pending: 'start',
  processing: 'confirmed',
  'on-hold': { notice: 'delayed' },
  completed: 'delivered',
  cancelled: 'cancel',
  failed: { notice: 'problem', start: false },
  refunded: null,
};

export const DEFAULT_NOTICE_REASONS: Record<string, string> = {
  'on-hold': 'Your order is on hold until we confirm your payment.',
  failed: 'Your payment did not go through. Please try again or choose another way to pay.',
};

/** An order created longer ago than this does not start a journey (the playbook's `woocommerce.startWithin`). */
export const DEFAULT_START_WITHIN_MS = 7 * 86_400_000;

/** The tenant's part of an id: none for the default tenant (one shop), "<tenant>-" for the others. */
const scope = (tenant: string) => (tenant === 'default' ? '' : `${tenant}-`);

/** Aftercare's order id for a WooCommerce order: its ids are small and sequential, so they carry a prefix. */
export const wooOrderId = (tenant: string, id: number | string) => `wc-${scope(tenant)}${id}`;

/** A registered customer's id; a guest's is a keyed hash of their address (no contact in ids or visibility). */
export const wooCustomerId = (tenant: string, customerId: number) => `wc-${scope(tenant)}c${customerId}`;
export const wooGuestId = (tenant: string, contactKey: string) => `wc-${scope(tenant)}g${contactKey}`;

/** A guest's key from their email or phone: keyed as contact keys are (AFTERCARE_SECRET's contacts subkey). */
export const guestKeyWith =
  (contactsKey: string) =>
  (contact: string): string =>
    contactKey(contactsKey, contact.includes('@') ? 'email' : 'sms', contact).slice(2);

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
const positiveInt = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isSafeInteger(v) && v > 0
    ? v
    : typeof v === 'string' && /^[1-9]\d{0,15}$/.test(v)
      ? Number(v)
      : undefined;

/** The order's own id (a positive integer), if the body has one. */
export const wooIdOf = (body: Record<string, unknown>): number | undefined => positiveInt(body.id);

/** WooCommerce's GMT times carry no offset ("2026-12-06T10:00:00"): UTC, as ms. */
export function gmtTime(v: unknown): number | undefined {
  const t = text(v);
  if (!t || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(t)) return undefined;
  const ms = Date.parse(`${t}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** When the order last changed at the shop (`date_modified_gmt`): the order's version, and the event's time. */
export const modifiedAtOf = (body: Record<string, unknown>): number | undefined => gmtTime(body.date_modified_gmt);

export const statusOf = (body: Record<string, unknown>): string | undefined => text(body.status)?.toLowerCase();

export const isIgnoredStatus = (status: string) => (WOOCOMMERCE_IGNORED_STATUSES as readonly string[]).includes(status);

function emailOf(v: unknown): string | undefined {
  const e = text(v);
  return e && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(e) ? e : undefined;
}

/** An E.164 number from what the shop stored ("+44 7700 900123", "0044…"); anything else is left out, not fatal. */
function phoneOf(...candidates: unknown[]): string | undefined {
  for (const c of candidates) {
    const compact = text(c)
      ?.replace(/[\s().-]/g, '')
      .replace(/^00/, '+');
    if (compact && /^\+[1-9]\d{6,14}$/.test(compact)) return compact;
  }
  return undefined;
}

function nameOf(...people: unknown[]): string | undefined {
  for (const p of people) {
    if (!isRecord(p)) continue;
    const name = [text(p.first_name), text(p.last_name)].filter(Boolean).join(' ');
    if (name) return name;
  }
  return undefined;
}

function metaValue(body: Record<string, unknown>, ...keys: string[]): string | undefined {
  const meta = Array.isArray(body.meta_data) ? body.meta_data.filter(isRecord) : [];
  for (const key of keys) {
    const found = text(meta.find((m) => m.key === key)?.value);
    if (found) return found;
  }
  return undefined;
}

/** The order's language when a plugin recorded one (WPML's `wpml_language`, or `locale`), as a language tag. */
function localeOf(body: Record<string, unknown>): string | undefined {
  const raw = metaValue(body, 'wpml_language', 'locale');
  if (!raw) return undefined;
  const [lang, ...rest] = raw.replace(/_/g, '-').split('-');
  const tag = [lang!.toLowerCase(), ...rest].join('-');
  return /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(tag) ? tag : undefined;
}

function timeZoneOf(body: Record<string, unknown>): string | undefined {
  const tz = metaValue(body, 'timezone', 'time_zone');
  if (!tz) return undefined;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return tz;
  } catch {
    return undefined;
  }
}

const decimal = (v: unknown): unknown => (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v);

/** A line's unit price before discounts (its subtotal over its quantity), rounded to the currency's minor units. */
function unitPriceOf(line: Record<string, unknown>, currency: unknown): unknown {
  const subtotal = decimal(line.subtotal);
  const quantity = line.quantity;
  if (typeof subtotal !== 'number' || typeof quantity !== 'number' || quantity <= 0) return decimal(line.price);
  const digits = typeof currency === 'string' && /^[A-Z]{3}$/.test(currency) ? safeDigits(currency) : 2;
  return Math.round((subtotal / quantity) * 10 ** digits) / 10 ** digits;
}

function safeDigits(currency: string): number {
  try {
    return currencyDigits(currency);
  } catch {
    return 2;
  }
}

/**
 * The order schema's input from a WooCommerce order, before validation. The customer comes from the billing
 * address (email, phone, name); `guestKey` gives the keyed id of a guest (customer_id 0) from their email or phone.
 */
export function orderInputFromWooCommerce(
  tenant: string,
  order: Record<string, unknown>,
  guestKey: (contact: string) => string,
): Record<string, unknown> {
  const billing = isRecord(order.billing) ? order.billing : {};
  const shipping = isRecord(order.shipping) ? order.shipping : {};
  const email = emailOf(billing.email);
  const phone = phoneOf(billing.phone, shipping.phone);
  const registered = positiveInt(order.customer_id);
  const contact = email?.toLowerCase() ?? phone;
  const customerId = registered
    ? wooCustomerId(tenant, registered)
    : contact
      ? wooGuestId(tenant, guestKey(contact))
      : undefined;
  const locale = localeOf(order);
  const timeZone = timeZoneOf(order);
  const id = wooIdOf(order);
  const created = gmtTime(order.date_created_gmt);
  const lines = Array.isArray(order.line_items) ? order.line_items.filter(isRecord) : [];
  return {
    orderId: id === undefined ? undefined : wooOrderId(tenant, id),
    customer: {
      id: customerId,
      name: nameOf(billing, shipping),
      ...(email ? { email } : {}),
      ...(phone ? { phone } : {}),
      ...(locale ? { locale } : {}),
      ...(timeZone ? { timeZone } : {}),
    },
    items: lines
      .filter((li) => typeof li.quantity !== 'number' || li.quantity > 0)
      .map((li) => ({
        sku:
          text(li.sku) ??
          (positiveInt(li.variation_id)
            ? `variation-${String(li.variation_id)}`
            : `product-${String(li.product_id ?? li.id)}`),
        name: text(li.name),
        quantity: li.quantity,
        unitPrice: unitPriceOf(li, order.currency),
      })),
    currency: order.currency,
    total: decimal(order.total),
    ...(created !== undefined ? { placedAt: new Date(created).toISOString() } : {}),
  };
}

export type MappedOrder = { ok: true; order: Order } | { ok: false; problems: string[] };

/**
 * Validates the mapped order with the API's own schema, so a WooCommerce order starts a journey only when a POST
 * /v1/orders with the same content would. Problems name fields and rules, never values (they go to the log).
 */
export function orderFromWooCommerce(
  tenant: string,
  body: Record<string, unknown>,
  guestKey: (contact: string) => string,
): MappedOrder {
  const parsed = orderInputSchema.safeParse(orderInputFromWooCommerce(tenant, body, guestKey));
  if (parsed.success) return { ok: true, order: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(order)'}: ${i.message}`) };
}

/**
 * What a status does under the playbook: its `woocommerce.statuses` entry (null: nothing), else the default; a
 * stage the playbook lacks does nothing. A status with neither (a plugin's own, unconfigured) does nothing.
 */
export function effectOfStatus(
  playbook: Pick<Playbook, 'woocommerce' | 'stages'>,
  status: string,
): WooCommerceEffect | undefined {
  const configured: Record<string, Target> = playbook.woocommerce?.statuses ?? {};
  const target = Object.hasOwn(configured, status)
    ? configured[status]
    : Object.hasOwn(DEFAULT_STATUSES, status)
      ? DEFAULT_STATUSES[status]
      : undefined;
  if (target === null || target === undefined) return undefined;
  if (target === 'start' || target === 'cancel') return { action: target };
  if (typeof target === 'string') return playbook.stages.some((s) => s.id === target) ? { stage: target } : undefined;
  const reason = target.reason ?? DEFAULT_NOTICE_REASONS[status] ?? `Order status: ${status.replace(/-/g, ' ')}.`;
  return { notice: target.notice, reason, start: target.start ?? true };
}

/** Whether the effect starts the journey of an order that has none. */
export const startsJourney = (effect: WooCommerceEffect): boolean =>
  'stage' in effect || ('action' in effect && effect.action === 'start') || ('notice' in effect && effect.start);

export const startWithinOf = (playbook: Pick<Playbook, 'woocommerce'>): number =>
  playbook.woocommerce?.startWithin ?? DEFAULT_START_WITHIN_MS;

/**
 * The refunds the order lists (`refunds`: id, reason, total as a negative decimal), as refund inputs in minor
 * units; one that is not money is left out. WooCommerce lists every refund, partial or full, whatever the status.
 */
export function refundsOf(body: Record<string, unknown>): Omit<RefundInput, 'source'>[] {
  const currency = text(body.currency);
  if (!currency || !/^[A-Z]{3}$/.test(currency)) return [];
  const refunds = Array.isArray(body.refunds) ? body.refunds.filter(isRecord) : [];
  return refunds.flatMap((r) => {
    const id = positiveInt(r.id);
    const total = decimal(r.total);
    if (id === undefined || typeof total !== 'number') return [];
    let amountMinor: number | undefined;
    try {
      amountMinor = toMinorUnits(Math.abs(total), currency);
    } catch {
      return [];
    }
    if (amountMinor === undefined || amountMinor <= 0) return [];
    const reason = text(r.reason)?.slice(0, 300);
    return [{ refundId: `wc-${id}`, kind: 'refund' as const, amountMinor, currency, ...(reason ? { reason } : {}) }];
  });
}

/** The order's dedupe key: WooCommerce has no event id, but an order's (id, status, date_modified_gmt) is one. */
export const versionKeyOf = (orderId: string, status: string, modifiedGmt: string) =>
  `${orderId}:${status}:${modifiedGmt}`;
