/**
 * Tenants as a user sets them up: `npm start` with a tenants file. Two keys, the same order id, two journeys;
 * each tenant's email from its own sender; a tenant's Shopify webhook starts its own journey.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/temporal/dev-server';
import { FakeShopify, shopifyOrder } from '../fakes/shopify';
import { eventually, FAST_PLAYBOOK, sampleOrder } from '../support/harness';
import { spawnApp, stopAll, type SpawnedApp } from '../support/spawn-app';

const SHOP_KEY = 'e2e-shop-key-0123456789';
const OUTLET_KEY = 'e2e-outlet-key-0123456789';
const OUTLET_SHOPIFY = 'e2e-outlet-shopify-secret';
const dir = mkdtempSync(path.join(os.tmpdir(), 'aftercare-tenants-e2e-'));
let app: SpawnedApp | undefined;

beforeAll(async () => {
  // The outlet's own playbook: the fast one under another brand.
  const outletPlaybook = readFileSync(FAST_PLAYBOOK, 'utf8').replace(/name: Test Shop/, 'name: The Outlet');
  writeFileSync(path.join(dir, 'outlet.yaml'), outletPlaybook);
  writeFileSync(
    path.join(dir, 'tenants.yaml'),
    [
      'tenants:',
      '  outlet:',
      '    apiKey: env:OUTLET_API_KEY',
      '    playbook: outlet.yaml',
      "    email: { from: 'Outlet <orders@outlet.example>' }",
      '    shopify: { webhookSecret: env:OUTLET_SHOPIFY_SECRET }',
    ].join('\n'),
  );
  app = await spawnApp({
    LOG_LEVEL: 'warn',
    AFTERCARE_DATA_DIR: path.join(dir, 'data'),
    AFTERCARE_PORT: '0',
    AFTERCARE_API_KEY: SHOP_KEY,
    AFTERCARE_PLAYBOOK: FAST_PLAYBOOK,
    AFTERCARE_TENANTS: path.join(dir, 'tenants.yaml'),
    OUTLET_API_KEY: OUTLET_KEY,
    OUTLET_SHOPIFY_SECRET: OUTLET_SHOPIFY,
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
  });
}, 180_000);
afterAll(async () => {
  await stopAll([app]);
});

const call = (method: string, url: string, key: string, body?: unknown) =>
  fetch(`${app!.api}${url}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

describe('npm start with AFTERCARE_TENANTS', () => {
  it('serves each tenant on its own key, with its own ids and sender', async () => {
    expect(app!.output()).toMatch(/Tenants\s+default \+ outlet/);
    const order = sampleOrder();
    const shop = await call('POST', '/v1/orders', SHOP_KEY, order);
    const outlet = await call('POST', '/v1/orders', OUTLET_KEY, order);
    expect(shop.status).toBe(201);
    expect(outlet.status).toBe(201);
    expect(((await shop.json()) as { workflowId: string }).workflowId).toBe(`order-${order.orderId}`);
    expect(((await outlet.json()) as { workflowId: string }).workflowId).toBe(`t:outlet:order-${order.orderId}`);
    expect((await call('GET', `/v1/orders/${order.orderId}`, 'e2e-nobody-0123456789')).status).toBe(401);

    const senders = await eventually(async () => {
      const records = (await (await fetch(`${app!.api}/outbox.json`)).json()) as {
        workflowId: string;
        from?: string;
        subject?: string;
      }[];
      const mine = records.filter((r) => r.workflowId.endsWith(`order-${order.orderId}`));
      expect(mine).toHaveLength(2);
      return Object.fromEntries(mine.map((r) => [r.workflowId, r]));
    });
    expect(senders[`t:outlet:order-${order.orderId}`]?.from).toBe('Outlet <orders@outlet.example>');
    expect(senders[`order-${order.orderId}`]?.from).toBe('Test Shop <orders@test.example>');
  });

  it("starts a tenant's Shopify order in that tenant", async () => {
    const payload = shopifyOrder();
    const delivery = new FakeShopify(OUTLET_SHOPIFY).deliver('orders/create', payload);
    const res = await fetch(`${app!.api}/webhooks/shopify/outlet`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    expect(res.status).toBe(200);
    const orderId = String(payload.id);
    await eventually(async () => expect((await call('GET', `/v1/orders/${orderId}`, OUTLET_KEY)).status).toBe(200));
    expect((await call('GET', `/v1/orders/${orderId}`, SHOP_KEY)).status).toBe(404);
  });
});
