import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { loadConfig } from '../../src/config';
import { loadPlaybook, parsePlaybook } from '../../src/playbook/load';
import {
  effectOfStatus,
  guestKeyWith,
  orderFromWooCommerce,
  refundsOf,
  startsJourney,
} from '../../src/shops/woocommerce/mapping';
import { isWooCommercePing, verifyWooCommerceSignature, wooCommerceHeaders } from '../../src/shops/woocommerce/webhook';
import type { Order } from '../../src/workflows/order/contract';
import { FakeWooCommerce, wooSignature } from '../fakes/woocommerce';

const store = new FakeWooCommerce({ webhookSecret: 'wc-unit-secret' });
const SHOP_PLAYBOOK = loadPlaybook('playbooks/shop.yaml');
const guestKey = guestKeyWith('contacts-subkey-for-tests');

describe('WooCommerce verification', () => {
  it('accepts the base64 HMAC-SHA256 of the raw body with the webhook secret, and nothing else', () => {
    const { body, headers } = store.delivery('order.created', store.addOrder({ first_name: 'Zoë' }));
    const signature = headers['x-wc-webhook-signature'];
    expect(verifyWooCommerceSignature(body, signature, store.webhookSecret)).toBe(true);
    expect(verifyWooCommerceSignature(Buffer.from(body), signature, store.webhookSecret)).toBe(true);
    expect(verifyWooCommerceSignature(body + ' ', signature, store.webhookSecret)).toBe(false);
    expect(verifyWooCommerceSignature(body, signature, 'another-secret')).toBe(false);
    expect(verifyWooCommerceSignature(body, undefined, store.webhookSecret)).toBe(false);
    expect(verifyWooCommerceSignature(body, '', store.webhookSecret)).toBe(false);
    expect(verifyWooCommerceSignature(body, signature, '')).toBe(false);
    // Hex of the same digest is not what WooCommerce sends.
    expect(
      verifyWooCommerceSignature(body, Buffer.from(signature!, 'base64').toString('hex'), store.webhookSecret),
    ).toBe(false);
    // PHP escapes "/" and non-ASCII: re-serialised JSON is other bytes, so only the raw body verifies.
    expect(body).toContain('\\/');
    expect(body).toContain('\\u00eb');
    expect(verifyWooCommerceSignature(JSON.stringify(JSON.parse(body)), signature, store.webhookSecret)).toBe(false);
  });

  it('reads the X-WC-Webhook-* headers', () => {
    const d = store.delivery('order.updated', store.addOrder());
    expect(wooCommerceHeaders(d.headers)).toEqual({
      signature: wooSignature(store.webhookSecret, d.body),
      topic: 'order.updated',
      resource: 'order',
      event: 'updated',
      webhookId: '17',
      deliveryId: d.headers['x-wc-webhook-delivery-id'],
      source: `${store.url}/`,
    });
  });

  it('knows the creation ping: a bare form body webhook_id=<id>, no signature, no topic', () => {
    const ping = store.ping();
    const ct = ping.headers['content-type'];
    expect(isWooCommercePing(ping.body, ct, wooCommerceHeaders(ping.headers))).toBe(true);
    expect(isWooCommercePing(ping.body, 'application/x-www-form-urlencoded; charset=UTF-8', {})).toBe(true);
    expect(isWooCommercePing(ping.body, 'application/json', {})).toBe(false);
    expect(isWooCommercePing('webhook_id=17&x=1', ct, {})).toBe(false);
    expect(isWooCommercePing(ping.body, ct, { topic: 'order.created' })).toBe(false);
    expect(isWooCommercePing(ping.body, ct, { signature: 'abc' })).toBe(false);
  });
});

describe('WooCommerce orders', () => {
  const CREATED = Math.floor((Date.now() - 86_400_000) / 1000) * 1000;
  const mapped = (order: object, tenant = 'default'): Order => {
    const m = orderFromWooCommerce(tenant, order as Record<string, unknown>, guestKey);
    if (!m.ok) throw new Error(m.problems.join('; '));
    return m.order;
  };

  it('maps an order: prefixed ids, the customer from billing, unit prices in minor units, GMT times', () => {
    const order = store.addOrder({
      customerId: 42,
      phone: '+44 7700 900123',
      lines: [
        { sku: 'MUG-1', name: 'Blue mug', quantity: 3, subtotal: '10.00' },
        { sku: '', name: 'Gift card', quantity: 1, subtotal: '5.00' },
      ],
      meta: [{ key: 'wpml_language', value: 'bn' }],
      createdAt: CREATED,
    });
    expect(mapped(order)).toEqual({
      orderId: `wc-${order.id}`,
      customer: {
        id: 'wc-c42',
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        phone: '+447700900123',
        locale: 'bn',
      },
      items: [
        { sku: 'MUG-1', name: 'Blue mug', quantity: 3, unitPrice: 3.33, unitPriceMinor: 333 },
        { sku: 'product-71', name: 'Gift card', quantity: 1, unitPrice: 5, unitPriceMinor: 500 },
      ],
      currency: 'EUR',
      totalMinor: 1500,
      // date_created_gmt, not the site's own time (two hours ahead in the fake).
      placedAt: new Date(CREATED).toISOString(),
    });
    // Another tenant's ids carry its name: WooCommerce ids are small and repeat across stores.
    expect(mapped(order, 'outlet')).toMatchObject({
      orderId: `wc-outlet-${order.id}`,
      customer: { id: 'wc-outlet-c42' },
    });
  });

  it('keys a guest by their address, never putting the address in the id', () => {
    const a = mapped(store.addOrder({ email: 'Ada@Example.com' }));
    const b = mapped(store.addOrder({ email: 'ada@example.com' }));
    expect(a.customer.id).toMatch(/^wc-g[A-Za-z0-9_-]{27}$/);
    expect(a.customer.id).toBe(b.customer.id);
    expect(a.customer.id).not.toContain('ada');
    expect(mapped(store.addOrder({ email: 'bo@example.com' })).customer.id).not.toBe(a.customer.id);
  });

  it('leaves out a phone that is not international, and refuses an order nobody can be told about', () => {
    expect(mapped(store.addOrder({ phone: '07700 900123' })).customer.phone).toBeUndefined();
    expect(mapped(store.addOrder({ phone: '0044 7700 900123' })).customer.phone).toBe('+447700900123');
    const none = orderFromWooCommerce('default', store.addOrder({ email: '', phone: '' }), guestKey);
    expect(none.ok).toBe(false);
    if (!none.ok) expect(none.problems.join()).not.toContain('@');
  });

  it('reads the refunds the order lists, in minor units', () => {
    const order = store.addOrder({ status: 'completed' });
    store.refund(order.id, '5.50', 'Scratched');
    const refunded = store.refund(order.id, '19.50', 'Returned');
    expect(refunded.status).toBe('refunded');
    expect(refundsOf(refunded)).toEqual([
      {
        refundId: `wc-${refunded.refunds[0]!.id}`,
        kind: 'refund',
        amountMinor: 550,
        currency: 'EUR',
        reason: 'Scratched',
      },
      {
        refundId: `wc-${refunded.refunds[1]!.id}`,
        kind: 'refund',
        amountMinor: 1950,
        currency: 'EUR',
        reason: 'Returned',
      },
    ]);
  });
});

describe('WooCommerce statuses', () => {
  it('default to the shop playbook: placing, stages, cancellation and notices', () => {
    const effect = (status: string) => effectOfStatus(SHOP_PLAYBOOK, status);
    expect(effect('pending')).toEqual({ action: 'start' });
    expect(effect('processing')).toEqual({ stage: 'confirmed' });
    expect(effect('completed')).toEqual({ stage: 'delivered' });
    expect(effect('cancelled')).toEqual({ action: 'cancel' });
    expect(effect('on-hold')).toEqual({
      notice: 'delayed',
      reason: 'Your order is on hold until we confirm your payment.',
      start: true,
    });
    expect(effect('failed')).toMatchObject({ notice: 'problem', start: false });
    expect(effect('refunded')).toBeUndefined();
    expect(effect('shipped')).toBeUndefined();
    expect(startsJourney(effect('failed')!)).toBe(false);
    expect(startsJourney(effect('cancelled')!)).toBe(false);
    expect(startsJourney(effect('on-hold')!)).toBe(true);
  });

  it('follow the playbook’s woocommerce section, which is checked against the stages', () => {
    const base = YAML.parse(readFileSync('playbooks/shop.yaml', 'utf8')) as Record<string, unknown>;
    const playbook = parsePlaybook({
      ...base,
      woocommerce: {
        statuses: {
          completed: 'shipped',
          shipped: 'shipped',
          'on-hold': null,
          failed: { notice: 'problem', reason: 'Card declined.' },
        },
        startWithin: '2 days',
      },
    });
    expect(effectOfStatus(playbook, 'completed')).toEqual({ stage: 'shipped' });
    expect(effectOfStatus(playbook, 'shipped')).toEqual({ stage: 'shipped' });
    expect(effectOfStatus(playbook, 'on-hold')).toBeUndefined();
    expect(effectOfStatus(playbook, 'failed')).toEqual({ notice: 'problem', reason: 'Card declined.', start: true });
    expect(effectOfStatus(playbook, 'processing')).toEqual({ stage: 'confirmed' });
    expect(playbook.woocommerce?.startWithin).toBe(2 * 86_400_000);
    expect(() => parsePlaybook({ ...base, woocommerce: { statuses: { completed: 'handed_over' } } })).toThrow(
      /woocommerce\.statuses\.completed.*"handed_over" is not one of the stages/,
    );
    expect(() => parsePlaybook({ ...base, woocommerce: { statuses: { 'checkout-draft': 'start' } } })).toThrow(
      /never acted on/,
    );
  });
});

describe('WooCommerce configuration', () => {
  const base = { NODE_ENV: 'development' } as const;

  it('builds the default tenant from WOOCOMMERCE_* and more webhooks from WOOCOMMERCE_WEBHOOK_SECRETS', () => {
    const config = loadConfig({
      ...base,
      WOOCOMMERCE_URL: 'https://shop.example/',
      WOOCOMMERCE_CONSUMER_KEY: 'ck_1',
      WOOCOMMERCE_CONSUMER_SECRET: 'cs_1',
      WOOCOMMERCE_WEBHOOK_SECRET: 'whs',
      WOOCOMMERCE_WEBHOOK_SECRETS: 'outlet=o1',
      WOOCOMMERCE_RECONCILE_EVERY: '90s',
    });
    expect(config.woocommerce).toEqual({
      tenants: {
        default: {
          webhookSecret: 'whs',
          rest: { storeUrl: 'https://shop.example', consumerKey: 'ck_1', consumerSecret: 'cs_1' },
        },
        outlet: { webhookSecret: 'o1' },
      },
      reconcileEvery: 90_000,
    });
    expect(loadConfig(base).woocommerce).toEqual({ tenants: {}, reconcileEvery: 5 * 60_000 });
  });

  it('refuses half a REST key, a plain-http store outside development, and a too-short interval', () => {
    expect(() => loadConfig({ ...base, WOOCOMMERCE_URL: 'https://shop.example' })).toThrow(
      /WOOCOMMERCE_URL, WOOCOMMERCE_CONSUMER_KEY and WOOCOMMERCE_CONSUMER_SECRET: set all three/,
    );
    expect(() => loadConfig({ ...base, WOOCOMMERCE_RECONCILE_EVERY: '2s' })).toThrow(/at least 10s/);
    expect(() =>
      loadConfig({ ...base, WOOCOMMERCE_WEBHOOK_SECRET: 'a', WOOCOMMERCE_WEBHOOK_SECRETS: 'default=b' }),
    ).toThrow(/WOOCOMMERCE_WEBHOOK_SECRET: differs/);
    const production = {
      NODE_ENV: 'production',
      AFTERCARE_API_KEY: 'k'.repeat(16),
      AFTERCARE_OPERATOR_KEY: 'o'.repeat(16),
      AFTERCARE_SECRET: 's'.repeat(32),
      AFTERCARE_PUBLIC_URL: 'https://aftercare.example',
      WOOCOMMERCE_URL: 'http://shop.example',
      WOOCOMMERCE_CONSUMER_KEY: 'ck_1',
      WOOCOMMERCE_CONSUMER_SECRET: 'cs_1',
    };
    expect(() => loadConfig(production)).toThrow(/WOOCOMMERCE_URL: must be https/);
  });
});
