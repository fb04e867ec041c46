import { createHmac, randomUUID } from 'node:crypto';

/**
 * A fake Shopify that sends an app's webhooks as Shopify does: a POST with the JSON body as Shopify serialises it,
 * `X-Shopify-Hmac-Sha256` (base64 HMAC-SHA256 of the raw body with the app's client secret), `X-Shopify-Topic`,
 * `X-Shopify-Webhook-Id` (the same on every retry of one delivery), `X-Shopify-Triggered-At`, `X-Shopify-Event-Id`,
 * `X-Shopify-Shop-Domain` and `X-Shopify-API-Version`. `spelling: 'new'` sends the newer names without "X-".
 * Payloads follow the REST webhook payloads of the Admin API (2025-10): numeric ids with their
 * `admin_graphql_api_id`, money as decimal strings, times with the shop's offset.
 */

export const SHOP_DOMAIN = 'danas-shop.myshopify.com';
export const API_VERSION = '2025-10';

export interface ShopifyDelivery {
  headers: Record<string, string>;
  /** The raw body, exactly as signed. */
  body: string;
  webhookId: string;
}

export interface DeliveryOptions {
  /** Retries of one delivery keep their webhook id: pass the first one's. */
  webhookId?: string;
  triggeredAt?: string;
  spelling?: 'x' | 'new';
  /** Sign with another secret (a forged or misconfigured sender). */
  secret?: string;
}

let nextId = 5_860_000_000_000;
const newId = () => ++nextId;

/** The shop's local time as Shopify writes it (offset, no milliseconds). */
export function shopTime(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '-00:00');
}

export function shopifySignature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('base64');
}

export class FakeShopify {
  constructor(readonly secret: string) {}

  /** One signed delivery of `topic` with `payload`. */
  deliver(topic: string, payload: object, opts: DeliveryOptions = {}): ShopifyDelivery {
    // Shopify escapes non-ASCII as \uXXXX in its bodies: the signature covers those bytes.
    const body = JSON.stringify(payload).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
    const webhookId = opts.webhookId ?? randomUUID();
    const prefix = opts.spelling === 'new' ? '' : 'x-';
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'Shopify-Captain-Hook',
      [`${prefix}shopify-topic`]: topic,
      [`${prefix}shopify-hmac-sha256`]: shopifySignature(opts.secret ?? this.secret, body),
      [`${prefix}shopify-shop-domain`]: SHOP_DOMAIN,
      [`${prefix}shopify-api-version`]: API_VERSION,
      [`${prefix}shopify-webhook-id`]: webhookId,
      [`${prefix}shopify-event-id`]: randomUUID(),
      [`${prefix}shopify-triggered-at`]: opts.triggeredAt ?? new Date().toISOString(),
    };
    return { headers, body, webhookId };
  }
}

export interface ShopifyCustomer {
  id: number;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  phone: string | null;
}

export function shopifyCustomer(overrides: Partial<ShopifyCustomer> = {}): ShopifyCustomer {
  return { id: newId(), first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com', phone: null, ...overrides };
}

/** An order as `orders/create`, `orders/paid` and `orders/cancelled` carry it. */
export function shopifyOrder(
  opts: { id?: number; customer?: ShopifyCustomer; locale?: string; overrides?: Record<string, unknown> } = {},
) {
  const id = opts.id ?? newId();
  const customer = opts.customer ?? shopifyCustomer();
  const created = shopTime(Date.now() - 60_000);
  return {
    id,
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    name: `#${1000 + (id % 1000)}`,
    order_number: 1000 + (id % 1000),
    email: customer.email,
    contact_email: customer.email,
    phone: null,
    created_at: created,
    updated_at: created,
    processed_at: created,
    cancelled_at: null,
    cancel_reason: null,
    closed_at: null,
    confirmed: true,
    currency: 'EUR',
    presentment_currency: 'EUR',
    customer_locale: opts.locale ?? 'en',
    financial_status: 'pending',
    fulfillment_status: null,
    subtotal_price: '25.00',
    total_tax: '0.00',
    total_price: '25.00',
    test: false,
    customer: {
      ...customer,
      admin_graphql_api_id: `gid://shopify/Customer/${customer.id}`,
      state: 'enabled',
      verified_email: true,
      currency: 'EUR',
      created_at: created,
      updated_at: created,
    },
    billing_address: {
      first_name: customer.first_name,
      last_name: customer.last_name,
      address1: '12 Analytical Row',
      city: 'London',
      zip: 'N1 9GU',
      country_code: 'GB',
      phone: null,
    },
    line_items: [
      {
        id: newId(),
        admin_graphql_api_id: 'gid://shopify/LineItem/1',
        product_id: 632910392,
        variant_id: 808950810,
        sku: 'MUG-1',
        title: 'Blue mug',
        name: 'Blue mug',
        variant_title: null,
        quantity: 2,
        current_quantity: 2,
        price: '12.50',
        requires_shipping: true,
        fulfillment_status: null,
      },
    ],
    ...opts.overrides,
  };
}

export type ShopifyOrder = ReturnType<typeof shopifyOrder>;

export function paidOrder(order: ShopifyOrder) {
  return { ...order, financial_status: 'paid', updated_at: shopTime() };
}

export function cancelledOrder(order: ShopifyOrder, reason: string | null = 'customer') {
  return {
    ...order,
    cancelled_at: shopTime(),
    cancel_reason: reason,
    financial_status: 'voided',
    updated_at: shopTime(),
  };
}

/** A fulfillment, as `fulfillments/create` and `fulfillments/update` carry it. */
export function shopifyFulfillment(
  order: ShopifyOrder,
  opts: { id?: number; shipmentStatus?: string | null; status?: string } = {},
) {
  const id = opts.id ?? newId();
  return {
    id,
    admin_graphql_api_id: `gid://shopify/Fulfillment/${id}`,
    order_id: order.id,
    status: opts.status ?? 'success',
    created_at: shopTime(),
    updated_at: shopTime(),
    service: 'manual',
    shipment_status: opts.shipmentStatus ?? null,
    location_id: 655441491,
    origin_address: null,
    tracking_company: 'DHL Express',
    tracking_number: '1Z2345',
    tracking_numbers: ['1Z2345'],
    tracking_url: 'https://www.dhl.com/en/express/tracking.html?AWB=1Z2345',
    tracking_urls: ['https://www.dhl.com/en/express/tracking.html?AWB=1Z2345'],
    name: `${order.name}.1`,
    line_items: order.line_items,
  };
}

/** A carrier's tracking event, as `fulfillment_events/create` carries it. */
export function fulfillmentEvent(
  order: ShopifyOrder,
  fulfillmentId: number,
  status: string,
  opts: { happenedAt?: string; estimatedDeliveryAt?: string | null; message?: string | null } = {},
) {
  const id = newId();
  return {
    id,
    admin_graphql_api_id: `gid://shopify/FulfillmentEvent/${id}`,
    fulfillment_id: fulfillmentId,
    order_id: order.id,
    shop_id: 548380009,
    status,
    message: opts.message ?? null,
    happened_at: opts.happenedAt ?? shopTime(),
    city: 'London',
    province: null,
    country: 'United Kingdom',
    zip: 'N1 9GU',
    address1: null,
    latitude: null,
    longitude: null,
    estimated_delivery_at: opts.estimatedDeliveryAt ?? null,
    created_at: shopTime(),
    updated_at: shopTime(),
  };
}

/** The mandatory compliance webhook `customers/redact`. */
export function customersRedact(customer: ShopifyCustomer, orderIds: number[]) {
  return {
    shop_id: 548380009,
    shop_domain: SHOP_DOMAIN,
    customer: { id: customer.id, email: customer.email, phone: customer.phone },
    orders_to_redact: orderIds,
  };
}

/** A refund as Shopify posts it: lines restocked as a return (or not), and its successful refund transaction. */
export function refundCreated(order: ShopifyOrder, amount = '10.00', restockType: 'return' | 'no_restock' = 'return') {
  const id = newId();
  const line = order.line_items[0]!;
  return {
    id,
    admin_graphql_api_id: `gid://shopify/Refund/${id}`,
    order_id: order.id,
    created_at: shopTime(),
    note: 'one item came back broken',
    restock: restockType === 'return',
    refund_line_items: [
      { id: newId(), quantity: 1, line_item_id: line.id, restock_type: restockType, subtotal: Number(amount) },
    ],
    transactions: [
      { id: newId(), order_id: order.id, kind: 'refund', status: 'success', amount, currency: order.currency },
    ],
  };
}
