import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';
import { customerLifecycleId, CUSTOMER_SA } from '../../src/workflows/customer/contract';
import { orderJourneyId } from '../../src/workflows/order/contract';
import { statsShardId } from '../../src/workflows/stats/contract';
import { tenantClause, tenantOfWorkflowId, withinTenant } from '../../src/workflows/tenant';

const dir = mkdtempSync(path.join(os.tmpdir(), 'aftercare-tenants-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('tenant ids', () => {
  it('keeps the default tenant on the ids it always had, and puts others behind t:<tenant>:', () => {
    expect(orderJourneyId('1001')).toBe('order-1001');
    expect(orderJourneyId('1001', 'default')).toBe('order-1001');
    expect(customerLifecycleId('42', 'outlet')).toBe('t:outlet:customer-42');
    expect(statsShardId('aftercare', 3, 'outlet')).toBe('t:outlet:aftercare-stats-aftercare-3');
    expect(tenantOfWorkflowId('t:outlet:order-1001')).toBe('outlet');
    // A default order id that looks like a prefix is still the default tenant's: its id starts with "order-".
    expect(tenantOfWorkflowId(orderJourneyId('t:outlet:x'))).toBe('default');
    expect(tenantClause(undefined)).toBe('AftercareTenant IS NULL');
    expect(tenantClause('outlet')).toBe('AftercareTenant = "outlet"');
    // Without tenants the default tenant's queries are exactly as before (they work where AftercareTenant is absent).
    expect(withinTenant('AftercareCustomerId = "42"', undefined, false)).toBe('AftercareCustomerId = "42"');
    expect(withinTenant('AftercareCustomerId = "42"', undefined, true)).toBe(
      '(AftercareCustomerId = "42") AND AftercareTenant IS NULL',
    );
    expect(withinTenant('A', 'outlet', false)).toBe('(A) AND AftercareTenant = "outlet"');
    expect(CUSTOMER_SA.customerId.name).toBe('AftercareCustomerId');
  });
});

describe('AFTERCARE_TENANTS', () => {
  it('reads tenants with env: secrets, a playbook relative to the file, and Shopify secrets for their URL', () => {
    const tenants = file(
      'ok.yaml',
      [
        'tenants:',
        '  outlet:',
        '    apiKey: env:OUTLET_KEY',
        '    playbook: playbooks/outlet.yaml',
        '    email: { from: "Outlet <orders@outlet.example>" }',
        '    shopify: { webhookSecret: env:OUTLET_SHOPIFY }',
        '    woocommerce: { webhookSecret: wc-secret, url: "https://outlet.example/", consumerKey: ck_1, consumerSecret: cs_1 }',
      ].join('\n'),
    );
    const config = loadConfig({
      AFTERCARE_TENANTS: tenants,
      OUTLET_KEY: 'outlet-key-0123456789',
      OUTLET_SHOPIFY: 'shpss_outlet',
    });
    expect(config.tenants).toEqual([
      {
        id: 'outlet',
        apiKey: 'outlet-key-0123456789',
        playbook: path.join(dir, 'playbooks', 'outlet.yaml'),
        email: { from: 'Outlet <orders@outlet.example>' },
        shopify: { webhookSecret: 'shpss_outlet' },
        woocommerce: {
          webhookSecret: 'wc-secret',
          url: 'https://outlet.example/',
          consumerKey: 'ck_1',
          consumerSecret: 'cs_1',
        },
      },
    ]);
    expect(config.shopify.webhookSecrets.outlet).toBe('shpss_outlet');
    expect(config.woocommerce.tenants.outlet).toEqual({
      webhookSecret: 'wc-secret',
      rest: { storeUrl: 'https://outlet.example', consumerKey: 'ck_1', consumerSecret: 'cs_1' },
    });
    // No tenants file: none, as before.
    expect(loadConfig({}).tenants).toEqual([]);
  });

  it('names what is wrong: an unset env: reference, the reserved id, a shared key, a short key', () => {
    const unset = file('unset.yaml', 'tenants:\n  outlet:\n    apiKey: env:NOT_SET_ANYWHERE\n');
    expect(problemsOf({ AFTERCARE_TENANTS: unset }).join('\n')).toMatch(/outlet\.apiKey.*NOT_SET_ANYWHERE/);

    const reserved = file('reserved.yaml', 'tenants:\n  default:\n    apiKey: default-key-0123456789\n');
    expect(problemsOf({ AFTERCARE_TENANTS: reserved }).join('\n')).toMatch(/"default" is the environment's tenant/);

    const shared = file(
      'shared.yaml',
      'tenants:\n  a:\n    apiKey: same-key-0123456789ab\n  b:\n    apiKey: same-key-0123456789ab\n',
    );
    expect(problemsOf({ AFTERCARE_TENANTS: shared }).join('\n')).toMatch(
      /tenants\.b\.apiKey: another tenant has this key/,
    );

    const mine = file('mine.yaml', 'tenants:\n  a:\n    apiKey: the-default-key-0123\n');
    expect(problemsOf({ AFTERCARE_TENANTS: mine, AFTERCARE_API_KEY: 'the-default-key-0123' }).join('\n')).toMatch(
      /is AFTERCARE_API_KEY/,
    );

    const short = file('short.yaml', 'tenants:\n  a:\n    apiKey: short\n');
    expect(problemsOf({ AFTERCARE_TENANTS: short }).join('\n')).toMatch(/at least 16 characters/);

    expect(problemsOf({ AFTERCARE_TENANTS: path.join(dir, 'missing.yaml') }).join('\n')).toMatch(/missing\.yaml/);

    const secretKey = file('secret.yaml', 'tenants:\n  a:\n    apiKey: env:AFTERCARE_SECRET\n');
    expect(
      problemsOf({ AFTERCARE_TENANTS: secretKey, AFTERCARE_SECRET: 'the-master-secret-0123456789abcdef0123' }).join(
        '\n',
      ),
    ).toMatch(/is the value of AFTERCARE_SECRET/);

    const sameShop = file(
      'shops.yaml',
      'tenants:\n  a:\n    apiKey: a-key-0123456789abcd\n    shopify: { webhookSecret: shared }\n  b:\n    apiKey: b-key-0123456789abcd\n    woocommerce: { webhookSecret: shared }\n',
    );
    expect(problemsOf({ AFTERCARE_TENANTS: sameShop }).join('\n')).toMatch(
      /tenants\.b\.woocommerce\.webhookSecret: tenant a has this secret/,
    );

    const badFrom = file(
      'from.yaml',
      'tenants:\n  a:\n    apiKey: a-key-0123456789abcd\n    email: { from: Outlet }\n',
    );
    expect(problemsOf({ AFTERCARE_TENANTS: badFrom }).join('\n')).toMatch(/email\.from: an address/);

    const halfWoo = file(
      'woo.yaml',
      'tenants:\n  a:\n    apiKey: a-key-0123456789abcd\n    woocommerce: { url: https://a.example }\n',
    );
    expect(problemsOf({ AFTERCARE_TENANTS: halfWoo }).join('\n')).toMatch(
      /url, consumerKey and consumerSecret together/,
    );
  });
});
