import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildApp } from '../../src/api/app';
import { AftercareClient } from '../../src/client';
import { createLogger } from '../../src/logger';
import { createRenderer } from '../../src/messages/renderer';
import type { MessageRenderer } from '../../src/messages/types';
import { variantFor } from '../../src/messages/variants';
import { parsePlaybook } from '../../src/playbook/load';
import type { Playbook, PlaybookInput } from '../../src/playbook/schema';
import { previewOrder } from '../../src/preview/plan';
import { previewInputSchema, type PreviewRequest, type PreviewResponse } from '../../src/schemas/preview';

/**
 * The preview on its own: what it plans on the shop's playbook (and variations of it), and the route's edge. The
 * Temporal client is a stub that fails the test if anything reaches it: a preview starts and writes nothing.
 * Whether the plan agrees with reality is test/workflow/preview-agreement.test.ts.
 */
const shopYaml = YAML.parse(
  readFileSync(path.resolve(__dirname, '..', '..', 'playbooks', 'shop.yaml'), 'utf8'),
) as PlaybookInput;
const shop = (changes: Partial<PlaybookInput> = {}): Playbook => parsePlaybook({ ...shopYaml, ...changes });
const unreachable = new Proxy({} as Client, {
  get: () => {
    throw new Error('the request reached Temporal');
  },
});
const API_KEY = 'preview-unit-key-0123456789';
const auth = { authorization: `Bearer ${API_KEY}` };
const NOW = Date.parse('2026-03-02T10:00:00Z');

let app: FastifyInstance;
let renderer: MessageRenderer;
beforeAll(async () => {
  renderer = await createRenderer();
  app = await buildApp({
    aftercare: new AftercareClient({
      client: unreachable,
      playbook: shop(),
      keys: { contacts: 'preview-contact-key' },
    }),
    apiKey: API_KEY,
    logger: createLogger('silent'),
    temporalHealth: async () => {},
  });
});
afterAll(async () => {
  await app?.close();
});

const order = (changes: Partial<PreviewRequest> = {}, customer: Record<string, unknown> = {}): PreviewRequest => ({
  orderId: 'A-1',
  customer: { name: 'Ada', email: 'ada@example.com', timeZone: 'Europe/London', locale: 'en', ...customer },
  items: [{ sku: 'MUG', name: 'Mug', quantity: 1, unitPrice: 20 }],
  currency: 'EUR',
  total: 20,
  placedAt: '2026-03-02T10:00:00Z',
  ...changes,
});
const plan = (body: PreviewRequest, playbook = shop()) =>
  previewOrder(previewInputSchema.parse(body), playbook, renderer, NOW);
const byKey = (res: PreviewResponse, key: string) => res.messages.find((m) => m.key === key);
const stages = (...list: [string, string, Record<string, string>?][]) =>
  list.map(([stage, at, more]) => ({ stage, at, ...more }));

describe('POST /v1/preview', () => {
  it('lists every message by time, with the assumptions it made, and touches nothing in Temporal', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/preview', headers: auth, payload: order() });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as PreviewResponse;
    const times = body.messages.map((m) => m.at);
    expect(times).toEqual([...times].sort());
    expect(body.messages[0]).toMatchObject({
      key: 'status-placed',
      kind: 'order_status',
      channel: 'email',
      at: '2026-03-02T10:00:00.000Z',
      subject: 'Order A-1: Order received',
    });
    expect(body.assumptions.join('\n')).toMatch(/No stage events given: .*confirmed at 2026-03-04T10:00:00.000Z/);
    expect(body.assumptions.join('\n')).toMatch(/Nobody answers the survey/);
    expect(body.messages.map((m) => m.kind)).toEqual(
      expect.arrayContaining(['thank_you', 'survey', 'survey_reminder', 'offer', 'winback']),
    );
  });

  it('checks money as POST /v1/orders does (the same minor-unit conversion)', async () => {
    const { placedAt: _placedAt, ...forOrders } = order({
      items: [{ sku: 'M', name: 'Mug', quantity: 1, unitPrice: 1.005 }],
    });
    for (const url of ['/v1/preview', '/v1/orders']) {
      const res = await app.inject({
        method: 'POST',
        url,
        headers: auth,
        payload: { ...forOrders, customer: { id: 'c-1', ...forOrders.customer } },
      });
      expect(res.statusCode, url).toBe(422);
      expect(res.json().error.details).toEqual([
        { path: 'items[0].unitPrice', message: 'has more decimals than EUR allows' },
      ]);
    }
  });

  it('needs the API key', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/preview', payload: order() });
    expect(res.statusCode).toBe(401);
  });

  it('refuses, with 422 naming the field, what the journey would refuse or cannot place in time', async () => {
    const cases: [PreviewRequest, string, RegExp][] = [
      [
        order({ stages: stages(['lost', '2026-03-03T10:00:00Z']) }),
        'stages[0].stage',
        /unknown stage "lost".*placed, confirmed/,
      ],
      [
        order({ stages: stages(['shipped', '2026-03-03T10:00:00Z'], ['confirmed', '2026-03-04T10:00:00Z']) }),
        'stages[1].stage',
        /already at "shipped".*only move forward/,
      ],
      [order({ stages: stages(['shipped', '2026-03-01T10:00:00Z']) }), 'stages[0].at', /before placedAt/],
      [
        order({
          stages: stages(['delivered', '2026-03-03T10:00:00Z'], ['delayed', '2026-03-04T10:00:00Z', { reason: 'x' }]),
        }),
        'stages[1].stage',
        /completed by stages\[0\]/,
      ],
      [order({ stages: stages(['delayed', '2026-03-03T10:00:00Z']) }), 'stages[0].reason', /needs a reason/],
      [order({ survey: { rating: 4, answeredAfter: 'soon' } }), 'survey.answeredAfter', /not a duration/],
      [order({ survey: { rating: 9 } }), 'survey.rating', /rate from 1 to 5/],
      [order({}, { email: undefined }), 'customer', /at least one contact/],
      [order({ total: 20.001 }), 'total', /more decimals than EUR allows/],
    ];
    for (const [body, path, message] of cases) {
      const res = await app.inject({ method: 'POST', url: '/v1/preview', headers: auth, payload: body });
      expect(res.statusCode, JSON.stringify(body.stages ?? body.survey)).toBe(422);
      const details = (res.json() as { error: { details: { path: string; message: string }[] } }).error.details;
      expect(details).toEqual(expect.arrayContaining([{ path, message: expect.stringMatching(message) }]));
    }
  });
});

describe('the plan', () => {
  it('holds SMS for quiet hours in the customer zone when the playbook says so, and queues what came meanwhile', async () => {
    // 18:00 UTC is midnight in Dhaka; the shop sends order news by SMS first and keeps quiet hours on SMS.
    const res = await plan(
      order(
        {
          placedAt: '2026-03-02T18:00:00Z',
          stages: stages(['shipped', '2026-03-02T19:00:00Z'], ['delivered', '2026-03-04T12:00:00Z']),
        },
        { phone: '+8801712345678', timeZone: 'Asia/Dhaka' },
      ),
    );
    expect(byKey(res, 'status-placed')).toMatchObject({
      channel: 'sms',
      at: '2026-03-03T03:00:00.000Z',
      dueAt: '2026-03-02T18:00:00.000Z',
      held: [{ reason: 'quiet-hours', until: '2026-03-03T03:00:00.000Z' }],
      subject: "Dana's Shop: order A-1 is now Order received.",
    });
    expect(byKey(res, 'status-shipped')).toMatchObject({ at: '2026-03-03T03:00:00.000Z' });
    expect(byKey(res, 'status-shipped')!.held).toBeUndefined();
  });

  it('takes the review branch or the care branch from the answer, and the offer waits for its slot under the cap', async () => {
    const happy = await plan(order({ survey: { rating: 5, answeredAfter: '1h' } }));
    // The survey goes 3 days after the thank-you; the answer an hour later; 15 minutes for a changed answer.
    const survey = byKey(happy, 'survey')!;
    expect(Date.parse(byKey(happy, 'review')!.at) - Date.parse(survey.at)).toBe(75 * 60_000);
    expect(byKey(happy, 'referral')).toBeDefined();
    expect(byKey(happy, 'care')).toBeUndefined();
    const unhappy = await plan(order({ survey: { rating: 2, comment: 'scratched' } }));
    expect(byKey(unhappy, 'care')).toMatchObject({ to: 'customer', subject: 'We are sorry, Ada' });
    expect(unhappy.messages.find((m) => m.kind === 'operator_alert')).toMatchObject({
      to: 'business',
      channel: 'email',
      subject: 'Unhappy customer: 2/5 on order A-1',
    });
    expect(byKey(unhappy, 'review')).toBeUndefined();

    const capped = await plan(order({ survey: { rating: 5 } }), shop({ frequencyCap: { max: 1, per: '30 days' } }));
    expect(byKey(capped, 'offer')).toMatchObject({ held: [{ reason: 'frequency-cap' }] });
    const dropped = await plan(
      order({ survey: { rating: 5 } }),
      shop({ frequencyCap: { max: 1, per: '30 days', overCap: 'drop' } }),
    );
    expect(byKey(dropped, 'offer')).toMatchObject({ skipped: expect.stringMatching(/^frequency cap/) });
    expect(byKey(dropped, 'offer')!.channel).toBeUndefined();
  });

  it('skips what consent rules out, and says why', async () => {
    const res = await plan(
      order(
        { survey: { rating: 5 } },
        {
          phone: '+447700900123',
          consent: [
            { purpose: 'marketing', channel: 'all', granted: false },
            { purpose: 'all', channel: 'sms', granted: false },
          ],
        },
      ),
    );
    expect(byKey(res, 'status-placed')).toMatchObject({ channel: 'email' });
    for (const key of ['review', 'offer']) {
      expect(byKey(res, key)).toMatchObject({ skipped: 'opted out of marketing (preview request)' });
    }
    expect(res.messages.filter((m) => m.kind === 'winback').map((m) => m.skipped)).toEqual([
      'opted out of marketing (preview request)',
      'opted out of marketing (preview request)',
    ]);
    const optIn = await plan(order(), shop({ consent: { marketingRequiresOptIn: true } }));
    expect(byKey(optIn, 'offer')).toMatchObject({ skipped: 'no marketing consent (the playbook requires opt-in)' });
    const given = await plan(
      order({}, { marketingConsent: true }),
      shop({ consent: { marketingRequiresOptIn: true } }),
    );
    expect(byKey(given, 'offer')!.skipped).toBeUndefined();
  });

  it('checks in before the warranty ends, and counts the months from completion', async () => {
    const res = await plan(
      order({
        items: [{ sku: 'SOFA', name: 'Sofa', quantity: 1, unitPrice: 20, warrantyMonths: 24 }],
        stages: stages(['delivered', '2026-03-05T10:00:00Z']),
      }),
    );
    expect(byKey(res, 'warranty-1')).toMatchObject({
      at: '2028-02-04T10:00:00.000Z',
      subject: 'Your warranty ends on March 5, 2028',
    });
  });

  it('sends one status for stages within the burst window, and passes over WhatsApp without a template', async () => {
    const res = await plan(
      order(
        {
          stages: stages(
            ['shipped', '2026-03-03T10:00:00Z'],
            ['out_for_delivery', '2026-03-03T10:00:20Z'],
            ['delivered', '2026-03-04T10:00:00Z'],
          ),
        },
        { phone: '+447700900123' },
      ),
      shop({
        delays: { thankYou: '1 day', stageBurstWindow: '1m' },
        channels: ['whatsapp', 'email'],
        messages: {},
        whatsapp: { templates: { thank_you: { name: 'thanks', languages: { en: 'en' } } } },
      }),
    );
    expect(byKey(res, 'status-shipped')).toMatchObject({
      skipped: 'superseded by status-out_for_delivery within the burst window',
    });
    expect(byKey(res, 'status-out_for_delivery')).toMatchObject({
      at: '2026-03-03T10:01:20.000Z',
      channel: 'email',
      passedOver: [{ channel: 'whatsapp', reason: expect.stringContaining('no WhatsApp template for order_status') }],
    });
    expect(byKey(res, 'thank-you')).toMatchObject({ channel: 'whatsapp' });
  });

  it('deals each customer their A/B variant of a kind, as the delivery loop does', async () => {
    const playbook = shop({
      messages: {
        ...shopYaml.messages,
        thank_you: {
          experiment: 'thanks-1',
          variants: [
            { id: 'a', weight: 50 },
            { id: 'warm', weight: 50, subject: 'Thank you so much, {{name}}!' },
          ],
        },
      },
    });
    const subjects = new Map<string, string>();
    for (const id of ['c-1', 'c-2', 'c-3', 'c-4', 'c-5', 'c-6', 'c-7', 'c-8']) {
      const thanks = byKey(await plan(order({}, { id }), playbook), 'thank-you')!;
      expect(thanks.variant).toBe(variantFor(playbook, 'thank_you', id)!.id);
      subjects.set(thanks.variant!, thanks.subject);
    }
    expect(subjects).toEqual(
      new Map([
        ['a', 'Thank you for your order, Ada'],
        ['warm', 'Thank you so much, Ada!'],
      ]),
    );
  });

  it('shows codes and links by their shape, never minting real ones', async () => {
    const res = await plan(order({ survey: { rating: 5 } }, { phone: '+447700900123', preferredChannels: ['sms'] }));
    const survey = byKey(res, 'survey')!;
    expect(survey.channel).toBe('sms');
    expect(survey.subject).toContain('‹survey link›');
    expect(byKey(res, 'offer')!.preview).toMatch(/DANAS-XXXXXXXX/);
    expect(JSON.stringify(res)).not.toMatch(/\/(s|u|r)\/[A-Za-z0-9_-]{20,}/);
  });
});
