import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app';
import { AftercareClient } from '../../src/client';
import { ConfigError, loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { loadPlaybook } from '../../src/playbook/load';
import { createServiceDeps } from '../../src/runtime';

/**
 * The edge, without Temporal: what is refused before any workflow is touched, and what production
 * demands. The Temporal client here is a stub that fails the test if anything reaches it.
 */
const playbook = loadPlaybook(path.resolve(__dirname, '..', '..', 'playbooks', 'shop.yaml'));
const unreachable = new Proxy({} as Client, {
  get: () => {
    throw new Error('the request reached Temporal');
  },
});
const API_KEY = 'edge-api-key-0123456789';
const OPERATOR_KEY = 'edge-operator-key-0123456789';
const auth = { authorization: `Bearer ${API_KEY}` };

let app: FastifyInstance;
let production: FastifyInstance;

beforeAll(async () => {
  const deps = {
    aftercare: new AftercareClient({ client: unreachable, playbook, keys: { contacts: 'edge-test-contact-key' } }),
    apiKey: API_KEY,
    logger: createLogger('silent'),
    temporalHealth: async () => {},
  };
  app = await buildApp(deps);
  production = await buildApp({ ...deps, operatorKey: OPERATOR_KEY });
});
afterAll(async () => {
  await app?.close();
  await production?.close();
});

const order = (customer: Record<string, unknown> = {}) => ({
  orderId: 'A-1',
  customer: { id: 'c-1', name: 'Ada', email: 'ada@example.com', ...customer },
  items: [{ sku: 'S', name: 'Mug', quantity: 1, unitPrice: 5 }],
  currency: 'EUR',
  total: 5,
});

describe('duplicate channels', () => {
  it("are refused in a customer's preferred channels (an SMS with an unknown outcome must not be retried four times)", async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: auth,
      payload: order({ phone: '+447700900123', preferredChannels: ['sms', 'sms', 'sms', 'sms'] }),
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details).toEqual([
      expect.objectContaining({ path: 'customer.preferredChannels', message: expect.stringMatching(/once/) }),
    ]);
    const patch = await app.inject({
      method: 'PATCH',
      url: '/v1/customers/c-1',
      headers: auth,
      payload: { preferredChannels: ['email', 'email'] },
    });
    expect(patch.statusCode).toBe(422);
  });
});

describe('path parameters', () => {
  it.each([
    ['GET', '/v1/orders/bad%20id'],
    ['GET', `/v1/orders/${'x'.repeat(101)}`],
    ['POST', '/v1/orders/-starts-with-a-dash/stage'],
    ['GET', '/v1/customers/%3Cscript%3E'],
    ['PATCH', '/v1/customers/has%22quote'],
    ['POST', '/v1/customers/a%2Fb/consent'],
  ] as const)('%s %s is 422, naming the parameter, and touches nothing', async (method, url) => {
    const res = await app.inject({ method, url, headers: auth, payload: method === 'GET' ? undefined : {} });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.message).toMatch(/params/);
  });
});

describe('in production', () => {
  it('/metrics and /docs ask for the operator key', async () => {
    for (const url of ['/metrics', '/docs/json']) {
      expect((await production.inject({ method: 'GET', url })).statusCode).toBe(401);
      expect((await production.inject({ method: 'GET', url, headers: auth })).statusCode).toBe(401);
    }
    const docs = await production.inject({
      method: 'GET',
      url: '/docs/json',
      headers: { authorization: `Bearer ${OPERATOR_KEY}` },
    });
    expect(docs.statusCode).toBe(200);
  });

  const prod = {
    NODE_ENV: 'production',
    AFTERCARE_API_KEY: API_KEY,
    AFTERCARE_OPERATOR_KEY: OPERATOR_KEY,
    AFTERCARE_SECRET: 'edge-secret-0123456789abcdef0123456789',
    AFTERCARE_PUBLIC_URL: 'https://aftercare.example',
  };

  it('config that would half-work is refused, each problem naming its variable', () => {
    expect(() => loadConfig(prod)).not.toThrow();
    const refused = (env: Record<string, string>, variable: string) => {
      expect(() => loadConfig({ ...prod, ...env })).toThrow(
        expect.objectContaining({ problems: expect.arrayContaining([expect.stringContaining(variable)]) }),
      );
    };
    refused({ AFTERCARE_PUBLIC_URL: 'http://aftercare.example' }, 'AFTERCARE_PUBLIC_URL');
    refused({ AFTERCARE_OUTBOX: 'auto' }, 'AFTERCARE_OUTBOX');
    refused({ RESEND_API_KEY: 're_x', EMAIL_FROM: 'a@b.c', RESEND_BASE_URL: 'http://resend.test' }, 'RESEND_BASE_URL');
    refused({ WHATSAPP_TOKEN: 't', WHATSAPP_PHONE_NUMBER_ID: '1' }, 'WHATSAPP_APP_SECRET');
    refused({ AFTERCARE_ENCRYPTION_KEYS: 'k1:short' }, 'AFTERCARE_ENCRYPTION_KEYS');
    // NODE_ENV=test on a server is held to the same rules.
    expect(() => loadConfig({ NODE_ENV: 'test' })).toThrow(ConfigError);
    expect(loadConfig(prod).outbox).toBe('off');
  });

  it('each provider has a send rate: documented defaults, overridden per channel, nonsense refused', () => {
    expect(loadConfig(prod).sendRates).toEqual({ email: 2, sms: 1, telegram: 30, whatsapp: 80 });
    expect(loadConfig({ ...prod, AFTERCARE_SEND_RATES: 'email=10,sms=0.5' }).sendRates).toEqual({
      email: 10,
      sms: 0.5,
      telegram: 30,
      whatsapp: 80,
    });
    expect(() => loadConfig({ ...prod, AFTERCARE_SEND_RATES: 'fax=3' })).toThrow(
      expect.objectContaining({ problems: [expect.stringContaining('AFTERCARE_SEND_RATES')] }),
    );
  });

  it('a channel the playbook uses without credentials fails at start, not message by message', async () => {
    const config = loadConfig({ ...prod, AFTERCARE_DATA_DIR: path.join(__dirname, '.no-data') });
    await expect(createServiceDeps(config)).rejects.toThrow(/email.*RESEND_API_KEY/s);
  });
});
