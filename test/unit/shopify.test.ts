import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { loadConfig } from '../../src/config';
import { loadPlaybook, parsePlaybook } from '../../src/playbook/load';
import {
  effectOfStatus,
  orderFromShopify,
  paidStageOf,
  shipmentStatusOf,
  shopifyIdOf,
} from '../../src/shops/shopify/mapping';
import { handleShopifyDelivery, type ShopifyDeps } from '../../src/shops/shopify/events';
import { shopifyHeaders, verifyShopifyHmac } from '../../src/shops/shopify/webhook';
import type { Order } from '../../src/workflows/order/contract';
import {
  FakeShopify,
  fulfillmentEvent,
  shopifyCustomer,
  shopifyFulfillment,
  shopifyOrder,
  shopifySignature,
} from '../fakes/shopify';

const SECRET = 'shpss_0123456789abcdef';
const shopify = new FakeShopify(SECRET);
const SHOP_PLAYBOOK = loadPlaybook('playbooks/shop.yaml');
const STAGES = SHOP_PLAYBOOK.stages.map((s) => s.id);

describe('Shopify verification', () => {
  it('accepts the base64 HMAC-SHA256 of the raw body with the client secret, and nothing else', () => {
    const { body, headers } = shopify.deliver('orders/create', shopifyOrder());
    const hmac = headers['x-shopify-hmac-sha256'];
    expect(verifyShopifyHmac(body, hmac, SECRET)).toBe(true);
    expect(verifyShopifyHmac(Buffer.from(body), hmac, SECRET)).toBe(true);
    expect(verifyShopifyHmac(body + ' ', hmac, SECRET)).toBe(false);
    expect(verifyShopifyHmac(body, hmac, 'another-secret')).toBe(false);
    expect(verifyShopifyHmac(body, undefined, SECRET)).toBe(false);
    expect(verifyShopifyHmac(body, '', SECRET)).toBe(false);
    // Hex of the same digest is not what Shopify sends.
    expect(verifyShopifyHmac(body, Buffer.from(hmac!, 'base64').toString('hex'), SECRET)).toBe(false);
    // Re-serialised JSON differs from Shopify's bytes (non-ASCII escaped), so the raw body is what counts.
    const named = shopify.deliver('orders/create', shopifyOrder({ customer: shopifyCustomer({ first_name: 'Zoë' }) }));
    expect(
      verifyShopifyHmac(JSON.stringify(JSON.parse(named.body)), named.headers['x-shopify-hmac-sha256'], SECRET),
    ).toBe(false);
  });

  it('reads the headers in both spellings', () => {
    const old = shopify.deliver('orders/paid', {}, { webhookId: 'w-1', triggeredAt: '2026-12-06T10:00:00Z' });
    const fresh = shopify.deliver(
      'orders/paid',
      {},
      { webhookId: 'w-1', triggeredAt: '2026-12-06T10:00:00Z', spelling: 'new' },
    );
    expect(Object.keys(fresh.headers).some((h) => h.startsWith('x-'))).toBe(false);
    for (const d of [old, fresh]) {
      expect(shopifyHeaders(d.headers)).toEqual({
        hmac: shopifySignature(SECRET, d.body),
        topic: 'orders/paid',
        webhookId: 'w-1',
        triggeredAt: '2026-12-06T10:00:00Z',
      });
    }
  });
});

describe('Shopify mapping', () => {
  it('maps an order to the order schema: ids as strings, names, money as numbers, locale, placedAt', () => {
    const customer = shopifyCustomer({ phone: '+44 7700 900123' });
    const order = shopifyOrder({ customer, locale: 'pt-BR' });
    const mapped = orderFromShopify(JSON.parse(JSON.stringify(order)));
    expect(mapped).toEqual({
      ok: true,
      order: {
        orderId: String(order.id),
        customer: {
          id: String(customer.id),
          name: 'Ada Lovelace',
          email: 'ada@example.com',
          phone: '+447700900123',
          locale: 'pt-BR',
        },
        items: [{ sku: 'MUG-1', name: 'Blue mug', quantity: 2, unitPrice: 12.5, unitPriceMinor: 1250 }],
        currency: 'EUR',
        totalMinor: 2500,
        placedAt: order.created_at,
      } satisfies Order,
    });
  });

  it('takes ids from admin_graphql_api_id, exact past 2^53', () => {
    const big = JSON.parse('{"id":9007199254740993,"admin_graphql_api_id":"gid://shopify/Order/9007199254740993"}');
    expect(shopifyIdOf(big)).toBe('9007199254740993');
    expect(shopifyIdOf({ id: 450789469 })).toBe('450789469');
    expect(shopifyIdOf({ id: 1.5 })).toBeUndefined();
  });

  it('leaves out a phone that is not E.164 and falls back to the billing name and a variant sku', () => {
    const customer = shopifyCustomer({ first_name: null, last_name: null, phone: '07700 900123' });
    const order = shopifyOrder({ customer });
    order.line_items[0]!.sku = '';
    const mapped = orderFromShopify({ ...order, billing_address: { first_name: 'Bo', last_name: 'Ng' } });
    expect(mapped.ok && mapped.order.customer).toMatchObject({ name: 'Bo Ng', email: 'ada@example.com' });
    expect(mapped.ok && mapped.order.customer.phone).toBeUndefined();
    expect(mapped.ok && mapped.order.items[0]!.sku).toBe('variant-808950810');
  });

  it('names the fields of an order that can never start a journey, and no values', () => {
    const customer = shopifyCustomer({ email: null, phone: null });
    const order = shopifyOrder({ customer, overrides: { currency: 'EURO', email: null, contact_email: null } });
    const mapped = orderFromShopify(order);
    expect(mapped.ok).toBe(false);
    if (mapped.ok) return;
    expect(mapped.orderId).toBe(String(order.id));
    expect(mapped.problems.join('\n')).toContain('customer');
    expect(mapped.problems.join('\n')).toContain('currency');
    expect(mapped.problems.join('\n')).not.toContain('Ada');
  });

  it('reads the shipment status of fulfillments and tracking events', () => {
    const order = shopifyOrder();
    expect(shipmentStatusOf('fulfillments/create', shopifyFulfillment(order))).toBe('fulfilled');
    expect(shipmentStatusOf('fulfillments/update', shopifyFulfillment(order, { shipmentStatus: 'in_transit' }))).toBe(
      'in_transit',
    );
    expect(shipmentStatusOf('fulfillments/update', shopifyFulfillment(order, { status: 'cancelled' }))).toBeUndefined();
    expect(shipmentStatusOf('fulfillment_events/create', fulfillmentEvent(order, 1, 'out_for_delivery'))).toBe(
      'out_for_delivery',
    );
    expect(shipmentStatusOf('fulfillment_events/create', fulfillmentEvent(order, 1, 'DELIVERED'))).toBe('delivered');
    expect(shipmentStatusOf('fulfillment_events/create', fulfillmentEvent(order, 1, 'teleported'))).toBeUndefined();
  });

  it('maps statuses to the shop playbook stages and notices by default, and to what a playbook says', () => {
    expect(effectOfStatus(SHOP_PLAYBOOK, 'in_transit', STAGES)).toEqual({ stage: 'shipped' });
    expect(effectOfStatus(SHOP_PLAYBOOK, 'out_for_delivery', STAGES)).toEqual({ stage: 'out_for_delivery' });
    expect(effectOfStatus(SHOP_PLAYBOOK, 'delivered', STAGES)).toEqual({ stage: 'delivered' });
    expect(effectOfStatus(SHOP_PLAYBOOK, 'delayed', STAGES)).toMatchObject({ notice: 'delayed' });
    expect(effectOfStatus(SHOP_PLAYBOOK, 'failure', STAGES)).toMatchObject({ notice: 'problem' });
    expect(effectOfStatus(SHOP_PLAYBOOK, 'attempted_delivery', STAGES)).toMatchObject({ notice: 'problem' });
    expect(effectOfStatus(SHOP_PLAYBOOK, 'confirmed', STAGES)).toBeUndefined();
    expect(effectOfStatus(SHOP_PLAYBOOK, 'in_transit', ['placed', 'done'])).toBeUndefined();
    expect(paidStageOf(SHOP_PLAYBOOK, STAGES)).toBe('confirmed');

    const own = parsePlaybook({
      ...SHOP_PLAYBOOK_RAW(),
      shopify: {
        paid: null,
        fulfillment: {
          in_transit: 'out_for_delivery',
          delayed: { notice: 'problem', reason: 'Held at customs.' },
          failure: null,
        },
      },
    });
    expect(paidStageOf(own, STAGES)).toBeUndefined();
    expect(effectOfStatus(own, 'in_transit', STAGES)).toEqual({ stage: 'out_for_delivery' });
    expect(effectOfStatus(own, 'delayed', STAGES)).toEqual({ notice: 'problem', reason: 'Held at customs.' });
    expect(effectOfStatus(own, 'failure', STAGES)).toBeUndefined();
    expect(effectOfStatus(own, 'delivered', STAGES)).toEqual({ stage: 'delivered' });
  });

  it('refuses a playbook that maps a status to a stage it does not have', () => {
    expect(() => parsePlaybook({ ...SHOP_PLAYBOOK_RAW(), shopify: { fulfillment: { delivered: 'arrived' } } })).toThrow(
      /shopify\.fulfillment\.delivered: "arrived" is not one of the stages/,
    );
    expect(() => parsePlaybook({ ...SHOP_PLAYBOOK_RAW(), shopify: { fulfillment: { lost: 'delivered' } } })).toThrow();
  });
});

describe('Shopify deliveries', () => {
  /** Orders whose journeys start, at a stage, with these stages; what each call did. */
  function orders(stages: string[], at: string) {
    const calls: string[] = [];
    const deps: ShopifyDeps = {
      orders: {
        start: async (order) => (
          calls.push(`start ${order.orderId}`),
          { orderId: order.orderId, workflowId: 'w', created: true }
        ),
        get: async (orderId) => ({ orderId, status: 'active', stage: at, stages }) as never,
        advanceStage: async (_id, update) => (
          calls.push(`stage ${update.stage}`),
          { stage: update.stage, status: 'active' }
        ),
        cancel: async () => ({}) as never,
        refund: async () => ({}) as never,
      },
      erasure: { erase: async () => ({}) as never },
      playbook: SHOP_PLAYBOOK,
    };
    return { deps, calls };
  }

  it('orders/paid that starts the journey says so, whatever the paid stage came to (found by the fuzz drill)', async () => {
    const order = shopifyOrder();
    const deliver = (deps: ShopifyDeps) =>
      handleShopifyDelivery(deps, {
        topic: 'orders/paid',
        webhookId: 'w-1',
        body: { ...order, financial_status: 'paid' },
      });
    // The journey has no paid stage (a playbook of its own), or is past it: the start is what happened.
    for (const [stages, at] of [
      [['placed', 'shipped'], 'placed'],
      [STAGES, STAGES.at(-1)!],
    ] as const) {
      const { deps, calls } = orders([...stages], at);
      const result = await deliver(deps);
      expect(calls).toEqual([`start ${shopifyIdOf(order)}`]);
      expect(result.outcome).toBe('applied');
      expect(result.detail).toMatch(/^journey started; /);
    }
  });
});

describe('Shopify configuration', () => {
  it('takes SHOPIFY_WEBHOOK_SECRET for the default tenant, and SHOPIFY_WEBHOOK_SECRETS for more', () => {
    expect(loadConfig({}).shopify.webhookSecrets).toEqual({});
    expect(loadConfig({ SHOPIFY_WEBHOOK_SECRET: 'abc' }).shopify.webhookSecrets).toEqual({ default: 'abc' });
    expect(
      loadConfig({ SHOPIFY_WEBHOOK_SECRET: 'abc', SHOPIFY_WEBHOOK_SECRETS: 'outlet=def,eu-shop=ghi' }).shopify
        .webhookSecrets,
    ).toEqual({ default: 'abc', outlet: 'def', 'eu-shop': 'ghi' });
    expect(() => loadConfig({ SHOPIFY_WEBHOOK_SECRETS: 'outlet' })).toThrow(/SHOPIFY_WEBHOOK_SECRETS/);
    expect(() => loadConfig({ SHOPIFY_WEBHOOK_SECRET: 'a', SHOPIFY_WEBHOOK_SECRETS: 'default=b' })).toThrow(
      /SHOPIFY_WEBHOOK_SECRET/,
    );
  });
});

function SHOP_PLAYBOOK_RAW(): Record<string, unknown> {
  return YAML.parse(readFileSync('playbooks/shop.yaml', 'utf8')) as Record<string, unknown>;
}
