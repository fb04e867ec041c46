import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { preferencesRoutes } from '../../src/api/pages/preferences';
import { TOKEN_RATE_LIMIT } from '../../src/api/pages/shell';
import { RATE_LIMITS } from '../../src/api/rate-limit';
import type { PreferencesSink } from '../../src/gateway/preferences';
import { deriveKeys } from '../../src/lib/keys';
import { preferencesLink } from '../../src/messages/links';
import type { CustomerEvent, PreferencesChange, PreferencesView } from '../../src/workflows/customer/contract';

/** The page's edge, with the lifecycle replaced by a recording sink: what it shows, refuses and saves. */
const KEYS = deriveKeys('preferences-page-secret-0123456789abcdef');
const NOW = Date.parse('2026-11-22T10:00:00.000Z');
let minted = 0;
const link = (p: { customerId?: string; locale?: string; tenant?: string; expiresAt?: number } = {}) =>
  preferencesLink('https://a.example', KEYS.links, {
    customerId: 'cus_1',
    locale: 'en',
    // Each link is another URL: the page allows one client TOKEN_RATE_LIMIT tries per link.
    expiresAt: NOW + 86_400_000 + ++minted * 1000,
    ...p,
  }).slice('https://a.example'.length);

class Sink implements PreferencesSink {
  view_: PreferencesView = {
    customerId: 'cus_1',
    preferences: null,
    reachable: ['email', 'sms'],
    orderOpen: true,
    locale: 'en',
    name: '<Ada>',
  };
  saved: PreferencesChange[] = [];
  events: CustomerEvent[] = [];
  async view() {
    return this.view_;
  }
  async save(_id: string, change: PreferencesChange) {
    this.saved.push(change);
    return { ...this.view_, preferences: { ...change } };
  }
}

let sink: Sink;
let app: FastifyInstance;
beforeAll(async () => {
  app = Fastify();
  await app.register(rateLimit, RATE_LIMITS);
  await app.register(preferencesRoutes, {
    preferences: { view: () => sink.view(), save: (id, c) => sink.save(id, c) } as PreferencesSink,
    customers: {
      findCustomersByContactKeys: async () => [],
      recordCustomerEvent: async (_id, e) => void sink.events.push(e),
    },
    keys: KEYS,
    brandName: 'Test Shop',
    locales: ['bn', 'en'],
    now: () => NOW,
  });
});
beforeEach(() => {
  sink = new Sink();
});
afterAll(async () => {
  await app.close();
});

const post = (url: string, fields: [string, string][]) =>
  app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });
const valid: [string, string][] = [
  ['formId', 'form-0001'],
  ['on', 'email'],
  ['on', 'sms'],
  ['pos-email', '2'],
  ['pos-sms', '1'],
  ['topic', 'offers'],
  ['locale', 'bn'],
  ['pause', '90'],
];

describe('the preferences page', () => {
  it('shows the form in the link language, escaped, with order news locked while an order is open', async () => {
    const res = await app.inject({ method: 'GET', url: link({ locale: 'bn' }) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toContain('<html lang="bn">');
    expect(res.body).toContain('প্রিয় &lt;Ada&gt;,');
    expect(res.body).toContain('অর্ডার চলাকালীন সবসময় চালু থাকে');
    expect(res.body).not.toContain('<script');
    // The other language, same link.
    const en = await app.inject({ method: 'GET', url: `${link({ locale: 'bn' })}?lang=en` });
    expect(en.body).toContain('Always on while an order is open');
  });

  it('links the questionnaire under the same token once the customer was invited', async () => {
    const url = link();
    expect((await app.inject({ method: 'GET', url })).body).not.toContain('/questionnaire/');
    sink.view_ = { ...sink.view_, questionnaireInvited: true };
    const res = await app.inject({ method: 'GET', url });
    expect(res.body).toContain(`href="/questionnaire/${url.split('/').at(-1)}?lang=en"`);
  });

  it("shows an operator's pause as the business's, with a resume only for the customer's own", async () => {
    const hold = { reason: 'legal hold', source: 'operator', at: new Date(NOW).toISOString() };
    sink.view_ = { ...sink.view_, marketingPaused: hold };
    const shop = await app.inject({ method: 'GET', url: link() });
    expect(shop.body).toContain('Offers are paused by Test Shop.');
    expect(shop.body).not.toContain('action" value="resume"');
    const until = new Date(NOW + 30 * 86_400_000).toISOString();
    sink.view_ = { ...sink.view_, preferences: { pausedUntil: until, source: 'preferences-page', at: hold.at } };
    const both = await app.inject({ method: 'GET', url: link() });
    expect(both.body).toContain('Offers are paused by Test Shop.');
    expect(both.body).toContain('Offers are paused until');
    expect(both.body).toContain('action" value="resume"');
  });

  it('saves what the form says: channel order, topics off, language, pause', async () => {
    const res = await post(link(), valid);
    expect(res.statusCode).toBe(200);
    expect(sink.saved[0]).toMatchObject({
      channels: ['sms', 'email'],
      off: [],
      topicsOff: ['reviews', 'winback'],
      locale: 'bn',
      pauseMarketingDays: 90,
      eventId: 'preferences-page:form-0001',
      source: 'preferences-page',
    });
  });

  it('refuses with a clear message on the page: no channel on, an unknown language, a bad position', async () => {
    const none = await post(
      link(),
      valid.filter(([k]) => k !== 'on'),
    );
    expect(none.statusCode).toBe(422);
    expect(none.body).toContain('Please keep at least one channel on');
    const fr = await post(link(), [...valid.filter(([k]) => k !== 'locale'), ['locale', 'fr']]);
    expect(fr.statusCode).toBe(422);
    expect(fr.body).toContain('We could not read that form');
    const pos = await post(link(), [...valid, ['pos-email', '9']]);
    expect(pos.statusCode).toBe(422);
    expect(sink.saved).toEqual([]);
  });

  it('stops all offers with one POST', async () => {
    const res = await post(link(), [
      ['formId', 'form-0002'],
      ['action', 'stop-offers'],
    ]);
    expect(res.statusCode).toBe(200);
    expect(sink.events).toEqual([
      expect.objectContaining({ type: 'opt-out', channel: 'all', scope: 'marketing', source: 'preferences-page' }),
    ]);
  });

  it('expired 410, forged 400, another tenant it does not serve 400, then rate-limited', async () => {
    expect((await app.inject({ method: 'GET', url: link({ expiresAt: NOW - 1 }) })).statusCode).toBe(410);
    const token = link().split('/').at(-1)!;
    const forged = `/preferences/${token.split('.')[0]}.${'A'.repeat(43)}`;
    expect((await app.inject({ method: 'GET', url: forged })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: link({ tenant: 'outlet' }) })).statusCode).toBe(400);
    const url = link();
    for (let i = 0; i < TOKEN_RATE_LIMIT.max; i++) await app.inject({ method: 'GET', url });
    expect((await app.inject({ method: 'GET', url })).statusCode).toBe(429);
  });
});
