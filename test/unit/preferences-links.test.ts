import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { smsSegments } from '../../src/channels/sms/segments';
import { withLinks } from '../../src/activities/delivery/links';
import { deriveKeys } from '../../src/lib/keys';
import { PREFERENCES_LINK_DAYS, preferencesLink, readPreferencesLink } from '../../src/messages/links';
import { createRenderer } from '../../src/messages/renderer';
import type { MessageRenderer, RenderRequest } from '../../src/messages/types';
import type { SendMessageRequest } from '../../src/workflows/delivery/contract';

/** The preferences link in every message to a customer: minted by the send activity, shown by each channel. */
const TEMPLATES = path.resolve(__dirname, '../../templates');
const keys = deriveKeys('preferences-links-secret-0123456789abcdef');
const now = Date.parse('2026-11-22T10:00:00.000Z');
const link = preferencesLink('https://aftercare.shop.example', keys.links, {
  customerId: 'cus_8f3a21',
  locale: 'en',
  expiresAt: now + PREFERENCES_LINK_DAYS * 86_400_000,
});
let renderer: MessageRenderer;
beforeAll(async () => {
  renderer = await createRenderer({ templatesDir: TEMPLATES });
});

const brand = { name: "Dana's Shop", sender: "Dana's Shop <orders@shop.example>", supportEmail: 'help@shop.example' };
const request = (o: Omit<Partial<RenderRequest>, 'data'> & { data?: Record<string, unknown> } = {}): RenderRequest =>
  ({
    kind: 'order_status',
    channel: 'email',
    locale: 'en',
    fallbackLocale: 'en',
    brand,
    recipientName: 'Ana',
    ...o,
    data: {
      orderId: 'A-1001',
      stageLabel: { en: 'Shipped', bn: 'পাঠানো হয়েছে' },
      preferencesUrl: link,
      ...o.data,
    },
  }) as RenderRequest;
const offerData = {
  offer: { code: 'ANA-10', discountPercent: 10, expiresAt: '2026-12-22T10:00:00Z', services: [] },
  unsubscribeUrl: 'https://aftercare.shop.example/unsubscribe/tok',
};

describe('the send activity', () => {
  const send = (o: Partial<SendMessageRequest>) =>
    withLinks(
      {
        kind: 'order_status',
        purpose: 'transactional',
        channel: 'email',
        to: 'ana@example.com',
        locale: 'bn',
        fallbackLocale: 'en',
        workflowId: 'order-A-1001',
        messageKey: 'status-shipped',
        customerId: 'cus_1',
        data: { orderId: 'A-1001' },
        ...o,
      } as SendMessageRequest,
      { keys, publicUrl: 'https://aftercare.shop.example' },
      now,
    );

  it('links every customer message to their page, in the message language, valid for PREFERENCES_LINK_DAYS (to the end of that UTC day)', () => {
    const url = send({}).preferencesUrl!;
    expect(url).toMatch(/^https:\/\/aftercare\.shop\.example\/preferences\//);
    const read = readPreferencesLink(keys, url.split('/').at(-1)!, now);
    expect(read).toMatchObject({ ok: true, value: { customerId: 'cus_1', locale: 'bn' } });
    const lastDay = now + PREFERENCES_LINK_DAYS * 86_400_000;
    const endOfLastDay = Math.ceil(lastDay / 86_400_000) * 86_400_000;
    expect(readPreferencesLink(keys, url.split('/').at(-1)!, endOfLastDay - 1_000).ok).toBe(true);
    expect(readPreferencesLink(keys, url.split('/').at(-1)!, endOfLastDay + 1)).toEqual({
      ok: false,
      reason: 'expired',
    });
    const tenant = send({ workflowId: 't:outlet:order-A-1001' }).preferencesUrl!;
    expect(readPreferencesLink(keys, tenant.split('/').at(-1)!, now)).toMatchObject({ value: { tenant: 'outlet' } });
  });

  it('gives messages to the business none', () => {
    expect(send({ kind: 'operator_alert' }).preferencesUrl).toBeUndefined();
  });
});

describe('rendering the preferences link', () => {
  it('puts it in the email footer and the text part, in the language', () => {
    const m = renderer.render(request());
    expect(m.html).toContain(`href="${link}"`);
    expect(m.html).toContain('Manage your messages');
    expect(m.text).toContain(`Manage your messages: ${link}`);
    const bn = renderer.render(request({ locale: 'bn' }));
    expect(bn.html).toContain('বার্তা পাওয়ার পছন্দ বদলান');
  });

  it('ends Telegram and WhatsApp messages with it (before the opt-out words of marketing)', () => {
    for (const channel of ['telegram', 'whatsapp'] as const) {
      expect(renderer.render(request({ channel })).text.split('\n').at(-1)).toBe(`Manage your messages: ${link}`);
      const offer = renderer.render(request({ channel, kind: 'offer', data: offerData })).text.split('\n');
      expect(offer.at(-2)).toBe(`Manage your messages: ${link}`);
      expect(offer.at(-1)).toMatch(/STOP|\/stop/);
    }
  });

  it('always on marketing SMS, beside the STOP hint', () => {
    const lines = renderer.render(request({ channel: 'sms', kind: 'offer', data: offerData })).text.split('\n');
    expect(lines.at(-2)).toBe(`Manage your messages: ${link}`);
    expect(lines.at(-1)).toBe('Reply STOP to opt out');
  });

  it('on a transactional SMS only when it costs no extra segment', () => {
    const short = request({ channel: 'sms', kind: 'order_status', data: { preferencesUrl: 'https://a.example/p/1' } });
    const shortText = renderer.render(short).text;
    expect(shortText).toContain('https://a.example/p/1');
    // The real link (a signed token) pushes a status update over a segment: left out, so the SMS costs no more.
    const real = renderer.render(request({ channel: 'sms', kind: 'order_status' })).text;
    expect(real).not.toContain(link);
    const withLine = `${real}\nManage your messages: ${link}`;
    expect(smsSegments(withLine).segments).toBeGreaterThan(smsSegments(real).segments);
  });

  it('is never in a message to the business', () => {
    const m = renderer.render(
      request({
        kind: 'operator_alert',
        data: {
          feedback: { rating: 2 },
          operator: { customerId: 'c', customerName: 'Ana' },
        },
      }),
    );
    expect(m.html).not.toContain(link);
  });
});
