import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitSms, smsSegments } from '../../src/channels/sms/segments';
import { kindSpec, MESSAGE_KINDS, PURPOSE_OF, type MessageKind } from '../../src/messages/kinds';
import { createRenderer } from '../../src/messages/renderer';
import type { MessageRenderer, RecordedMessageData as MessageData, RenderRequest } from '../../src/messages/types';

const TEMPLATES = path.resolve(__dirname, '../../templates');

const brand: RenderRequest['brand'] = {
  name: "Dana's Shop",
  sender: "Dana's Shop <orders@shop.example>",
  supportEmail: 'help@shop.example',
  supportPhone: '+44 20 7946 0000',
  website: 'https://shop.example',
};

function request(overrides: Partial<RenderRequest> = {}): RenderRequest {
  return {
    kind: 'order_status',
    channel: 'email',
    locale: 'en',
    fallbackLocale: 'en',
    timeZone: 'Asia/Dhaka',
    brand,
    recipientName: 'Ana',
    data: dataFor(overrides.kind ?? 'order_status'),
    ...overrides,
  };
}

/**
 * What a journey would send for each kind. Every kind gets every field, so any kind renders from
 * request().data; each kind only reads its own.
 */
function dataFor(kind: MessageKind): MessageData {
  return {
    orderId: 'A-1001',
    stageLabel: { en: 'Shipped', bn: 'পাঠানো হয়েছে' },
    stageDescription: { en: 'Your parcel is on its way.', bn: 'আপনার পার্সেল পথে আছে।' },
    note: 'Left with the neighbour',
    reason: 'The courier is on strike',
    eta: '2025-03-10T18:30:00Z',
    offer,
    surveyUrl: 'https://aftercare.shop.example/s/Zx81kQ',
    reviewUrl: 'https://aftercare.shop.example/r/Zx81kQ',
    referral: { code: 'ANA-FRIENDS', rewardPercent: 10 },
    // Review requests go to the satisfied, care follow-ups and operator alerts come from the unhappy.
    feedback:
      kind === 'review_request'
        ? { rating: 5, comment: 'Lovely work, on time and tidy.' }
        : { rating: 2, comment: 'The installer came two days late and left a mess in the hall.' },
    operator,
    notice: 'The lifecycle of customer cus_8f3a21 is closed; an operator must look at it.',
    warranty,
    loyalty,
    winback,
    digest,
    refund: { kind: 'return', amountMinor: 1250, full: false },
    currency: 'EUR',
    message: { text: 'Where is my parcel? It was due on Monday.', channel: 'sms' },
    questionnaireUrl: 'https://aftercare.shop.example/questionnaire/Zx81kQ',
    occasion: { label: { en: 'birthday', bn: 'জন্মদিন' }, date: '03-14' },
  };
}

const digest: NonNullable<MessageData['digest']> = {
  total: 7,
  byReason: [
    {
      reason: 'delivery-failing',
      count: 5,
      url: 'https://temporal.shop.example/namespaces/default/workflows?query=AftercareStuck%20%3D%20%22delivery-failing%22',
    },
    {
      reason: 'stage-overdue',
      count: 2,
      url: 'https://temporal.shop.example/namespaces/default/workflows?query=AftercareStuck%20%3D%20%22stage-overdue%22',
    },
  ],
  newlyStuck: 3,
  newest: ['order-A-1001', 'order-A-1002', 'order-A-1003'],
  oldestSince: '2025-03-09T08:00:00Z',
  listUrl: 'https://temporal.shop.example/namespaces/default/workflows?query=AftercareStuck%20IS%20NOT%20NULL',
};

const operator: NonNullable<MessageData['operator']> = {
  customerId: 'cus_8f3a21',
  customerName: 'Ana Rahman',
  contact: '+880 1711 000000',
  journeyUrl: 'https://temporal.shop.example/namespaces/default/workflows/order-A-1001',
};

const warranty: NonNullable<MessageData['warranty']> = {
  items: ['Roof', 'Windows', 'Heat pump'],
  // 02:00 on April 1st in Dhaka (UTC+6); still March 31st in Los Angeles.
  endsAt: '2028-03-31T20:00:00Z',
  yearsOwned: 3,
  inspectionOffer: {
    en: 'A free inspection visit: we check everything and fix small things on the spot.',
    bn: 'বিনামূল্যে পরিদর্শন: আমরা সব কিছু দেখে ছোটখাটো সমস্যা সেখানেই ঠিক করে দেব।',
  },
};

const loyalty: NonNullable<MessageData['loyalty']> = {
  tier: 'gold',
  tierLabel: { en: 'Gold', bn: 'গোল্ড' },
  discountPercent: 10,
  cashbackBalanceMinor: 1234,
  currency: 'EUR',
};

const winback: NonNullable<MessageData['winback']> = {
  code: 'COMEBACK-Q7',
  discountPercent: 15,
  expiresAt: '2025-04-09T17:59:00Z',
  attempt: 1,
};

/** What an SMS of each kind must carry: the order, or the link, items, code or tier it is about. */
const SMS_KEY: Partial<Record<MessageKind, { en: string; bn: string }>> = {
  offer: { en: 'THANKS-7Q2X', bn: 'THANKS-7Q2X' },
  review_request: { en: 'https://aftercare.shop.example/r/Zx81kQ', bn: 'https://aftercare.shop.example/r/Zx81kQ' },
  warranty_checkin: { en: 'Heat pump', bn: 'Heat pump' },
  winback: { en: 'COMEBACK-Q7', bn: 'COMEBACK-Q7' },
  referral_request: { en: 'ANA-FRIENDS', bn: 'ANA-FRIENDS' },
  tier_upgrade: { en: 'Gold', bn: 'গোল্ড' },
  operator_digest: { en: 'delivery-failing', bn: 'delivery-failing' },
  refund_issued: { en: '€12.50', bn: '১২.৫০€' },
  operator_message: { en: 'Where is my parcel?', bn: 'Where is my parcel?' },
  questionnaire_invite: {
    en: 'https://aftercare.shop.example/questionnaire/Zx81kQ',
    bn: 'https://aftercare.shop.example/questionnaire/Zx81kQ',
  },
  occasion_greeting: { en: 'birthday', bn: 'জন্মদিন' },
};
/** Kinds about the customer rather than one order: no order number in the email. */
const NOT_ABOUT_AN_ORDER: readonly MessageKind[] = [
  'offer',
  'referral_request',
  'tier_upgrade',
  'winback',
  'operator_digest',
  'questionnaire_invite',
  'occasion_greeting',
];
const MARKETING_KINDS = MESSAGE_KINDS.filter((kind) => PURPOSE_OF[kind] === 'marketing');
/** Kinds sent to the business's own team, not to a customer. */
const TO_BUSINESS: readonly MessageKind[] = MESSAGE_KINDS.filter((kind) => kindSpec(kind)?.toBusiness);

const offer: NonNullable<MessageData['offer']> = {
  code: 'THANKS-7Q2X',
  discountPercent: 15,
  // 23:59 in Dhaka (UTC+6) is 17:59 UTC.
  expiresAt: '2025-04-09T17:59:00Z',
  conditions: { en: 'One use per customer.', bn: 'প্রতি গ্রাহক একবার ব্যবহার করতে পারবেন।' },
  services: [
    { name: { en: 'Gift wrapping', bn: 'উপহার মোড়ক' }, price: '£5' },
    { name: 'Engraving', price: 'from £12' },
    { name: { en: 'Repairs' } },
  ],
};

let renderer: MessageRenderer;
beforeAll(async () => {
  renderer = await createRenderer();
});

describe('createRenderer', () => {
  it('finds the shipped locales', () => {
    expect(renderer.locales).toEqual(['bn', 'en']);
  });

  const cases = MESSAGE_KINDS.flatMap((kind) =>
    (['en', 'bn'] as const).flatMap((locale) =>
      (['email', 'sms'] as const).map((channel) => ({ kind, locale, channel })),
    ),
  );
  it.each(cases)('renders $kind in $locale for $channel', ({ kind, locale, channel }) => {
    const m = renderer.render(request({ kind, locale, channel }));
    expect(m.locale).toBe(locale);
    expect(m.subject.length).toBeGreaterThan(5);
    expect(m.subject).not.toMatch(/[\r\n]|\{\{/);
    expect(m.text).not.toContain('{{');
    const key = SMS_KEY[kind]?.[locale] ?? 'A-1001';
    if (channel === 'email') {
      expect(m.html).toMatch(/^<!doctype html>/i);
      expect(m.html).toContain(`lang="${locale}"`);
      expect(m.html).not.toContain('{{');
      expect(m.html).toContain(key);
      if (!NOT_ABOUT_AN_ORDER.includes(kind)) expect(m.html).toContain('A-1001');
      expect(m.html).toContain('Dana&#x27;s Shop'); // brand in header and footer, escaped
      expect(m.text).toContain(locale === 'bn' ? 'প্রিয় Ana' : 'Hi Ana');
      // The operator alert and notice go to the business: no "contact us" links to itself.
      if (TO_BUSINESS.includes(kind)) expect(m.text).not.toContain('help@shop.example');
      else expect(m.text).toContain('help@shop.example');
    } else {
      expect(m.html).toBe('');
      expect(m.text.startsWith("Dana's Shop: ")).toBe(true);
      // An offer SMS spends its characters on the code, not on the order it thanks for.
      expect(m.text).toContain(key);
      // The digest goes to operators by Telegram (4,096 characters), with a link per reason; never by SMS.
      expect(Array.from(m.text).length).toBeLessThan(kind === 'operator_digest' ? 1000 : 300);
      if (kind === 'operator_digest') {
        // Operators get the digest by email or Telegram, never by SMS: counts first, then every link.
        expect(m.text).toContain(digest.listUrl);
      } else if (TO_BUSINESS.includes(kind)) {
        // To the business, whose long comment may be cut by the adapter: the journey link comes first.
        expect(fitSms(m.text, 3)).toContain(operator.journeyUrl);
      } else {
        // Three segments at most (the adapter's default): nothing is cut, links included.
        expect(smsSegments(m.text).segments, m.text).toBeLessThanOrEqual(3);
      }
    }
    if (locale === 'bn') expect(m.text).toMatch(/[\u0980-\u09FF]/);
  });

  it('escapes customer data in HTML but not in the text part', () => {
    const evil = '<script>alert(1)</script>';
    for (const kind of MESSAGE_KINDS) {
      const m = renderer.render(
        request({
          kind,
          recipientName: `Ana ${evil}`,
          data: {
            ...request().data,
            orderId: 'A<1>"',
            note: `note ${evil}`,
            reason: `reason ${evil}`,
            feedback: { rating: 2, comment: `comment ${evil}` },
            operator: { ...operator, customerName: `Ana ${evil}`, contact: `<b>+880</b>` },
            warranty: { ...warranty, items: [`Roof ${evil}`], inspectionOffer: `visit ${evil}` },
            loyalty: { ...loyalty, tierLabel: `Gold ${evil}` },
            referral: { code: `R<1>`, rewardPercent: 10 },
            winback: { ...winback, code: `W<1>` },
          },
        }),
      );
      expect(m.html).not.toContain('<script');
      expect(m.html).not.toMatch(/[ARW]<1>|<b>\+880/);
      expect(m.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(m.text).toContain(`Ana ${evil}`);
    }
  });

  it('shows stage, note and ETA on a status update, and says when the order is complete', () => {
    const m = renderer.render(request());
    expect(m.subject).toBe('Order A-1001: Shipped');
    expect(m.text).toContain('Your parcel is on its way.');
    expect(m.text).toContain('Left with the neighbour');
    expect(m.text).toContain('Stage: Shipped');

    const done = renderer.render(request({ data: { orderId: 'A-1001', stageLabel: 'Delivered', isFinal: true } }));
    expect(done.subject).toBe('Your order A-1001 is complete');
    expect(done.text).toContain('final stage: Delivered');
  });

  it('is honest about delays and problems, with the reason and how to reach support', () => {
    const delayed = renderer.render(request({ kind: 'order_delayed' }));
    expect(delayed.subject).toContain('delayed');
    expect(delayed.text).toContain('The reason: The courier is on strike.');
    expect(delayed.text).toMatch(/New expected date: Mar 11, 2025/);
    // Handlebars escapes "=" as &#x3D; inside the attribute; browsers decode it.
    expect(delayed.html).toContain('href="mailto:help@shop.example?subject&#x3D;Order%20A-1001"');

    const noEta = renderer.render(request({ kind: 'order_delayed', data: { orderId: 'A-1', reason: 'Storm.' } }));
    expect(noEta.text).toContain("We don't have a new date yet");
    expect(noEta.text).toContain('The reason: Storm.');

    const problem = renderer.render(
      request({ kind: 'order_problem', channel: 'sms', data: { orderId: 'A-1', note: 'Item out of stock' } }),
    );
    expect(problem.text).toContain('(Item out of stock)');
    expect(problem.text).toContain('+44 20 7946 0000');
  });

  it('leaves out empty paragraphs, details and the button when there is nothing to show', () => {
    const bare = { name: 'Tiny', sender: 'Tiny <t@tiny.example>' };
    const m = renderer.render(request({ kind: 'thank_you', brand: bare, data: { orderId: 'T-1' } }));
    expect(m.html).not.toContain('<p style="margin:0 0 14px 0;"></p>');
    expect(m.html).not.toMatch(/<a\s[^>]*target="_blank"/); // no CTA button without a website
    expect(m.text).not.toMatch(/\n{3,}/);
    expect(m.text).not.toContain('Questions?');
  });

  it('drops a website that is not http(s)', () => {
    const m = renderer.render(request({ kind: 'thank_you', brand: { ...brand, website: 'javascript:alert(1)' } }));
    expect(m.html).not.toContain('javascript:');
  });

  it('falls back: fr -> en, bn-BD -> bn, fr with fallback bn -> bn, no locale -> fallback', () => {
    expect(renderer.render(request({ locale: 'fr' })).locale).toBe('en');
    expect(renderer.render(request({ locale: 'bn-BD' })).locale).toBe('bn');
    expect(renderer.render(request({ locale: 'fr', fallbackLocale: 'bn' })).locale).toBe('bn');
    expect(renderer.render(request({ locale: undefined, fallbackLocale: 'bn-BD' })).locale).toBe('bn');
    const bn = renderer.render(request({ locale: 'bn-BD' }));
    expect(bn.subject).toBe('অর্ডার A-1001: পাঠানো হয়েছে');
  });

  it('formats the ETA in the customer time zone', () => {
    const eta = '2025-03-10T18:30:00Z';
    const dhaka = renderer.render(
      request({ channel: 'sms', timeZone: 'Asia/Dhaka', data: { orderId: 'A-1', stageLabel: 'Shipped', eta } }),
    );
    expect(dhaka.text).toMatch(/Mar 11, 2025, 12:30\sAM/u);
    const utc = renderer.render(
      request({ channel: 'sms', timeZone: undefined, data: { orderId: 'A-1', stageLabel: 'Shipped', eta } }),
    );
    expect(utc.text).toMatch(/Mar 10, 2025, 6:30\sPM/u);
    const bn = renderer.render(
      request({ locale: 'bn', channel: 'sms', data: { orderId: 'A-1', stageLabel: 'Shipped', eta } }),
    );
    expect(bn.text).toContain('১১ মার্চ, ২০২৫');
  });

  it('keeps text messages SMS-sized even with long customer text', () => {
    const long = 'x'.repeat(1000);
    for (const kind of MESSAGE_KINDS) {
      for (const locale of ['en', 'bn']) {
        const m = renderer.render(
          request({
            kind,
            locale,
            channel: 'sms',
            recipientName: 'N'.repeat(200),
            data: {
              ...request().data,
              note: long,
              reason: long,
              feedback: { rating: 1, comment: long },
              operator: { ...operator, customerName: long, contact: long },
              warranty: { ...warranty, items: [long, long], inspectionOffer: long },
              loyalty: { ...loyalty, tierLabel: long },
            },
          }),
        );
        if (kind === 'operator_digest') {
          // Email or Telegram (4,096 characters) only; no customer text in it to grow it.
          expect(Array.from(m.text).length, `${kind}/${locale}`).toBeLessThan(1000);
        } else if (TO_BUSINESS.includes(kind)) {
          // Sent to the business: the essentials first, so the adapter's fitting only shortens the comment.
          expect(Array.from(m.text).length, `${kind}/${locale}`).toBeLessThan(400);
          expect(fitSms(m.text, 3), `${kind}/${locale}`).toContain(operator.journeyUrl);
        } else {
          expect(Array.from(m.text).length, `${kind}/${locale}`).toBeLessThan(330);
        }
      }
    }
  });
});

describe('offers', () => {
  function offerRequest(overrides: Partial<RenderRequest> = {}, data: Partial<MessageData> = {}): RenderRequest {
    return request({
      kind: 'offer',
      ...overrides,
      data: { orderId: 'A-1001', offer, unsubscribeUrl: 'https://shop.example/u/tok-1', ...data },
    });
  }

  it('renders the English email: services with prices, the code, the expiry in the customer zone, conditions', () => {
    const m = renderer.render(offerRequest());
    expect(m.subject).toBe("A thank-you from Dana's Shop: 15% off your next order");
    for (const part of [m.html, m.text]) {
      expect(part).toContain('THANKS-7Q2X');
      expect(part).toContain('15% off');
      expect(part).toMatch(/Valid until Apr 9, 2025, 11:59\sPM/u);
      expect(part).toContain('One use per customer.');
      expect(part).toContain('Engraving');
    }
    expect(m.text).toContain('- Gift wrapping — £5\n- Engraving — from £12\n- Repairs\n');
    expect(m.text).toContain('Your personal code: THANKS-7Q2X');
    expect(m.text).toContain('Conditions: One use per customer.');
    expect(m.html).toMatch(/<li[^>]*>Gift wrapping &mdash; <span[^>]*>£5<\/span><\/li>/);
    expect(m.html).toMatch(/<li[^>]*>Repairs<\/li>/);
    expect(m.html).not.toContain('>Order<'); // the code replaces the order details table
    expect(m.text).toContain('A-1001');
  });

  it('renders the Bengali email in Bengali, services falling back to the text they have', () => {
    const m = renderer.render(offerRequest({ locale: 'bn' }));
    expect(m.locale).toBe('bn');
    expect(m.subject).toContain('১৫% ছাড়');
    expect(m.html).toContain('lang="bn"');
    for (const part of [m.html, m.text]) {
      expect(part).toContain('THANKS-7Q2X');
      expect(part).toContain('৯ এপ্রি'); // in Dhaka, the expiry is still April 9th
      expect(part).toContain('প্রতি গ্রাহক একবার ব্যবহার করতে পারবেন।');
      expect(part).toContain('উপহার মোড়ক');
      expect(part).toContain('Repairs'); // no Bengali name: falls back rather than vanishing
    }
    expect(m.text).toContain('আপনার ব্যক্তিগত কোড: THANKS-7Q2X');
    expect(m.text).toContain('অফার পাওয়া বন্ধ করুন: https://shop.example/u/tok-1');
  });

  it('shows the expiry in the customer time zone', () => {
    const la = renderer.render(offerRequest({ channel: 'sms', timeZone: 'America/Los_Angeles' }));
    expect(la.text).toMatch(/valid until Apr 9, 2025, 10:59\sAM/u);
    const utc = renderer.render(offerRequest({ channel: 'sms', timeZone: undefined }));
    expect(utc.text).toMatch(/valid until Apr 9, 2025, 5:59\sPM/u);
  });

  it.each(['en', 'bn'])('keeps the %s SMS to code, percent and expiry: no service list, no conditions', (locale) => {
    const m = renderer.render(offerRequest({ locale, channel: 'sms' }));
    expect(m.html).toBe('');
    expect(m.text.startsWith("Dana's Shop: ")).toBe(true);
    expect(m.text).toContain('THANKS-7Q2X');
    expect(m.text).toContain(locale === 'bn' ? '১৫%' : '15%');
    expect(m.text).toContain(locale === 'bn' ? '৯ এপ্রি, ২০২৫' : 'Apr 9, 2025, 11:59');
    expect(m.text).not.toMatch(/Gift wrapping|উপহার মোড়ক|Engraving|£/);
    expect(m.text).not.toMatch(/One use|প্রতি গ্রাহক/); // conditions live in the email and on the website
    // Fits three SMS segments (UCS-2: 67 characters each) with the opt-out hint intact.
    expect(m.text.length).toBeLessThanOrEqual(locale === 'bn' ? 201 : 459);
    if (locale === 'bn') expect(m.text).toMatch(/[\u0980-\u09FF]/);
  });

  it('gives messengers the conditions, clipped, and the same code', () => {
    const m = renderer.render(offerRequest({ channel: 'telegram' }));
    expect(m.text).toContain('Conditions: One use per customer.');
    const long = renderer.render(
      offerRequest({ channel: 'whatsapp' }, { offer: { ...offer, conditions: 'c'.repeat(1000) } }),
    );
    expect(Array.from(long.text).length).toBeLessThan(500);
    expect(long.text).toContain('THANKS-7Q2X');
  });

  it('escapes the playbook and customer text in services and conditions', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const m = renderer.render(
      offerRequest(
        { recipientName: `Ana ${evil}` },
        {
          offer: {
            ...offer,
            code: `C<1>`,
            conditions: `cond ${evil}`,
            services: [{ name: `svc ${evil}`, price: `<b>5</b>` }],
          },
        },
      ),
    );
    expect(m.html).not.toContain('<img');
    expect(m.html).not.toContain('<b>5</b>');
    expect(m.html).not.toContain('C<1>');
    expect(m.html).toContain('svc &lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
    expect(m.html).toContain('cond &lt;img');
    expect(m.html).toContain('&lt;b&gt;5&lt;/b&gt;');
    expect(m.text).toContain(`- svc ${evil} — <b>5</b>`); // the text part is plain text: nothing to escape
  });

  it('refuses an offer without offer data', () => {
    expect(() => renderer.render(request({ kind: 'offer', data: { orderId: 'A-1' } }))).toThrow(/data\.offer/);
  });
});

describe('surveys and review requests', () => {
  it('asks for a 1-5 rating with a button to the personal survey page', () => {
    const m = renderer.render(request({ kind: 'survey' }));
    expect(m.subject).toBe('How did we do? Rate your order A-1001');
    expect(m.text).toContain('rate it from 1 to 5');
    expect(m.html).toMatch(/<a\s+href="https:\/\/aftercare\.shop\.example\/s\/Zx81kQ"[^>]*>\s*Rate your order\s*<\/a>/);
    expect(m.text).toContain('Rate your order: https://aftercare.shop.example/s/Zx81kQ');
    const sms = renderer.render(request({ kind: 'survey', channel: 'sms', locale: 'bn' }));
    expect(sms.text).toContain('১-৫ লিখে উত্তর দিন');
    expect(sms.text).toContain('https://aftercare.shop.example/s/Zx81kQ');
  });

  it('reminds once, gently, with the same link', () => {
    const m = renderer.render(request({ kind: 'survey_reminder', channel: 'sms' }));
    expect(m.text).toContain('gentle reminder');
    expect(m.text).toContain('only reminder');
    expect(m.text).toContain('https://aftercare.shop.example/s/Zx81kQ');
    const bn = renderer.render(request({ kind: 'survey_reminder', locale: 'bn' }));
    expect(bn.html).toContain('href="https://aftercare.shop.example/s/Zx81kQ"');
    expect(bn.text).toContain('একমাত্র অনুস্মারক');
  });

  it('thanks the satisfied customer and asks for a public review', () => {
    const m = renderer.render(request({ kind: 'review_request' }));
    expect(m.subject).toBe('Thank you for your kind rating, Ana');
    expect(m.text).toContain('rating your order A-1001 5 out of 5');
    expect(m.text).toContain('public review');
    expect(m.html).toContain('href="https://aftercare.shop.example/r/Zx81kQ"');
    expect(m.text).toContain('Write a review: https://aftercare.shop.example/r/Zx81kQ');
    const bn = renderer.render(request({ kind: 'review_request', locale: 'bn' }));
    expect(bn.text).toContain('(৫/৫)');
  });

  it('passes on the referral code and the reward for both sides', () => {
    const m = renderer.render(request({ kind: 'referral_request' }));
    expect(m.text).toContain('Your referral code: ANA-FRIENDS\n10% off for your friend, and 10% off for you');
    expect(m.html).toMatch(/border:2px dashed[\s\S]*ANA-FRIENDS/);
    expect(m.html).not.toContain('>Order<'); // about the customer, not one order
    const bn = renderer.render(request({ kind: 'referral_request', locale: 'bn', channel: 'sms' }));
    expect(bn.text).toContain('ANA-FRIENDS');
    expect(bn.text).toContain('১০% ছাড়');
  });
});

describe('care for the unhappy', () => {
  const comment = 'The fitter broke a <b>tile</b> & left "early"';

  it('apologises, promises a call, quotes the comment (escaped in HTML) and pushes nothing', () => {
    for (const locale of ['en', 'bn']) {
      const m = renderer.render(
        request({ kind: 'care_followup', locale, data: { ...request().data, feedback: { rating: 1, comment } } }),
      );
      expect(m.html).toContain('“The fitter broke a &lt;b&gt;tile&lt;/b&gt; &amp; left &quot;early&quot;”');
      expect(m.html).not.toContain('<b>tile');
      expect(m.text).toContain(`“${comment}”`);
      // Support, not the shop: the button writes to support about this order.
      expect(m.html).toMatch(/href="mailto:help@shop\.example\?subject&#x3D;/);
      // No discount, no code, no "shop again".
      expect(m.text.replace(/mailto:\S+/g, 'mailto:…')).not.toMatch(
        /[\d০-৯]%|THANKS-7Q2X|COMEBACK|ANA-FRIENDS|Shop again|Shop with|কেনাকাটা/,
      );
      expect(m.text).toContain(locale === 'bn' ? 'আপনাকে ফোন করবেন' : 'Someone from our team will call you');
    }
    const sms = renderer.render(request({ kind: 'care_followup', channel: 'sms' }));
    expect(sms.text).toContain('we are sorry');
    expect(sms.text).toContain('+44 20 7946 0000');
  });

  it('leaves the quote out when there is no comment', () => {
    const m = renderer.render(request({ kind: 'care_followup', data: { orderId: 'A-1', feedback: { rating: 2 } } }));
    expect(m.text).not.toContain('You wrote');
    expect(renderer.render(request({ kind: 'care_followup', data: { orderId: 'A-1' } })).subject).toBe(
      'We are sorry, Ana',
    );
  });

  it('alerts the operator: rating, comment, customer, contact and the journey in Temporal', () => {
    const data = { ...request().data, feedback: { rating: 2, comment } };
    const m = renderer.render(request({ kind: 'operator_alert', recipientName: 'Dana', data }));
    expect(m.subject).toBe('Unhappy customer: 2/5 on order A-1001');
    expect(m.html).toContain('The fitter broke a &lt;b&gt;tile&lt;/b&gt;');
    expect(m.html).not.toContain('<b>tile');
    expect(m.text).toContain('Ana Rahman (customer cus_8f3a21) rated order A-1001 2 out of 5.');
    expect(m.text).toContain('Contact: +880 1711 000000');
    expect(m.html).toMatch(
      /<a\s+href="https:\/\/temporal\.shop\.example\/namespaces\/default\/workflows\/order-A-1001"[^>]*>\s*Open the journey in Temporal\s*<\/a>/,
    );
    // Addressed to the business: its own footer, and no customer-facing links.
    expect(m.text).not.toContain('because you placed an order');
    expect(m.html).not.toContain('mailto:help@shop.example');

    const sms = renderer.render(request({ kind: 'operator_alert', channel: 'sms', data }));
    expect(sms.text.startsWith("Dana's Shop: unhappy customer, 2/5 on order A-1001.")).toBe(true);
    expect(sms.text).toContain(`Comment: "${comment}"`); // a text message: nothing to escape
    const bn = renderer.render(request({ kind: 'operator_alert', locale: 'bn', data }));
    expect(bn.subject).toBe('অসন্তুষ্ট গ্রাহক: অর্ডার A-1001-এ ২/৫');
    expect(bn.html).toContain('Temporal-এ জার্নিটি খুলুন');
  });
});

describe('warranty check-in', () => {
  it('lists the items in the locale and gives the end date in the customer zone, without a time', () => {
    const m = renderer.render(request({ kind: 'warranty_checkin' }));
    expect(m.subject).toBe('Your warranty ends on April 1, 2028'); // 02:00 in Dhaka
    expect(m.text).toContain('Your warranty for Roof, Windows, and Heat pump ends on April 1, 2028.');
    expect(m.text).not.toMatch(/\d:\d\d/);
    expect(m.text).toContain('A free inspection visit');
    expect(m.text).toContain('“3 years later” review');
    expect(m.html).toContain('href="https://aftercare.shop.example/r/Zx81kQ"');

    const la = renderer.render(request({ kind: 'warranty_checkin', channel: 'sms', timeZone: 'America/Los_Angeles' }));
    expect(la.text).toContain('ends on March 31, 2028.');

    const bn = renderer.render(
      request({
        kind: 'warranty_checkin',
        locale: 'bn',
        data: { ...request().data, warranty: { ...warranty, items: ['ছাদ', 'জানালা', 'হিট পাম্প'] } },
      }),
    );
    expect(bn.text).toContain('ছাদ, জানালা এবং হিট পাম্প-এর ওয়ারেন্টি ১ এপ্রিল, ২০২৮ তারিখে শেষ হবে।');
    expect(bn.text).toContain('“৩ বছর পর”');
    expect(bn.text).toContain('বিনামূল্যে পরিদর্শন');
  });

  it('offers a visit in its own words without an inspection text, and points at support without a review link', () => {
    const data = {
      ...request().data,
      reviewUrl: undefined,
      warranty: { items: ['Boiler'], endsAt: warranty.endsAt, yearsOwned: 1 },
    };
    const m = renderer.render(request({ kind: 'warranty_checkin', data }));
    expect(m.text).toContain('Your warranty for Boiler ends on April 1, 2028.');
    expect(m.text).toContain('1 year since your order');
    expect(m.text).toContain('we would be glad to come by');
    expect(m.html).toMatch(/href="mailto:help@shop\.example\?subject&#x3D;Order%20A-1001"[^>]*>\s*Write to us\s*<\/a>/);
    // SMS keeps the playbook's inspection text for the email, and offers the visit by phone.
    const sms = renderer.render(request({ kind: 'warranty_checkin', channel: 'sms' }));
    expect(sms.text).not.toContain('A free inspection visit');
    expect(sms.text).toContain('inspection visit before then? Call +44 20 7946 0000.');
  });
});

describe('loyalty', () => {
  it('recognises the new tier with its localized label and the discount', () => {
    const m = renderer.render(request({ kind: 'tier_upgrade' }));
    expect(m.subject).toBe("You're now Gold at Dana's Shop");
    expect(m.text).toContain('From now on, you get 10% off every order.');
    expect(m.text).toContain('Your cashback balance is €12.34.');
    const bn = renderer.render(request({ kind: 'tier_upgrade', locale: 'bn', channel: 'sms' }));
    expect(bn.text).toContain('আপনি এখন গোল্ড: প্রতিটি অর্ডারে ১০% ছাড়');
    // A label without a Bengali version falls back; no label at all falls back to the tier id.
    const fallback = renderer.render(
      request({ kind: 'tier_upgrade', locale: 'bn', data: { orderId: 'A-1', loyalty: { tierLabel: { en: 'VIP' } } } }),
    );
    expect(fallback.subject).toContain('VIP');
    const bare = renderer.render(
      request({ kind: 'tier_upgrade', data: { orderId: 'A-1', loyalty: { tier: 'silver' } } }),
    );
    expect(bare.subject).toBe("You're now silver at Dana's Shop");
    expect(bare.text).not.toContain('% off');
  });

  it('adds the cashback balance in the currency and the tier to the thank-you', () => {
    const m = renderer.render(request({ kind: 'thank_you' }));
    expect(m.text).toContain('Your cashback balance is €12.34, ready for your next order. Your loyalty level: Gold.');
    const sms = renderer.render(request({ kind: 'thank_you', channel: 'sms' }));
    expect(sms.text).toContain('Your cashback: €12.34.');
    const bn = renderer.render(request({ kind: 'thank_you', locale: 'bn' }));
    expect(bn.text).toContain('১২.৩৪€');
    expect(bn.text).toContain('লয়্যালটি স্তর: গোল্ড');

    const withBalance = (cashbackBalanceMinor: number, currency: string) =>
      renderer.render(
        request({ kind: 'thank_you', data: { orderId: 'A-1', loyalty: { cashbackBalanceMinor, currency } } }),
      ).text;
    expect(withBalance(1234, 'JPY')).toContain('¥1,234'); // no minor units
    expect(withBalance(1234, 'BHD')).toMatch(/BHD\s1\.234/u); // three
    expect(withBalance(250000, 'BDT')).toMatch(/BDT\s2,500\.00/u);
    // The order's currency stands in when the loyalty data has none.
    const orderCurrency = renderer.render(
      request({ kind: 'thank_you', data: { orderId: 'A-1', currency: 'GBP', loyalty: { cashbackBalanceMinor: 500 } } }),
    );
    expect(orderCurrency.text).toContain('£5.00');
  });

  it('leaves the cashback line out without a balance or a known currency', () => {
    const plain = renderer.render(request({ kind: 'thank_you', data: { orderId: 'A-1' } }));
    expect(plain.text).not.toMatch(/cashback|loyalty/i);
    for (const loyaltyData of [
      { cashbackBalanceMinor: 0, currency: 'EUR' },
      { cashbackBalanceMinor: 500 },
      { cashbackBalanceMinor: 500, currency: 'XX' },
    ]) {
      const m = renderer.render(request({ kind: 'thank_you', data: { orderId: 'A-1', loyalty: loyaltyData } }));
      expect(m.text).not.toMatch(/cashback/i);
    }
  });

  it('wins back with the code, and keeps the second and last attempt short', () => {
    const first = renderer.render(request({ kind: 'winback' }));
    expect(first.subject).toBe('We miss you, Ana');
    expect(first.text).toContain('Your personal code: COMEBACK-Q7\nValid until Apr 9, 2025, 11:59');
    expect(first.text).toContain('15% off your next order');
    expect(first.html).not.toContain('>Order<');

    const data = { ...request().data, winback: { ...winback, attempt: 2 as const } };
    const last = renderer.render(request({ kind: 'winback', data }));
    expect(last.subject).toMatch(/^One last reminder: 15% off until Apr 9, 2025/);
    expect(last.text).toContain("We won't remind you again.");
    expect(last.text.length).toBeLessThan(first.text.length);
    const bnSms = renderer.render(request({ kind: 'winback', locale: 'bn', channel: 'sms', data }));
    expect(bnSms.text).toContain('শেষবার মনে করিয়ে দিচ্ছি');
    expect(bnSms.text).toContain('COMEBACK-Q7');
    expect(bnSms.text).toContain('১৫%');
  });
});

describe('required data', () => {
  const cases: [MessageKind, Partial<MessageData>, RegExp][] = [
    ['survey', { surveyUrl: undefined }, /"survey" message needs data\.surveyUrl/],
    ['survey', { surveyUrl: 'javascript:alert(1)' }, /"survey" message needs data\.surveyUrl/],
    ['survey_reminder', { surveyUrl: undefined }, /"survey_reminder" message needs data\.surveyUrl/],
    ['review_request', { reviewUrl: undefined }, /"review_request" message needs data\.reviewUrl/],
    ['referral_request', { referral: undefined }, /"referral_request" message needs data\.referral/],
    ['operator_alert', { feedback: undefined }, /"operator_alert" message needs data\.feedback/],
    ['operator_alert', { operator: undefined }, /"operator_alert" message needs data\.operator/],
    ['warranty_checkin', { warranty: undefined }, /"warranty_checkin" message needs data\.warranty/],
    ['tier_upgrade', { loyalty: undefined }, /"tier_upgrade" message needs data\.loyalty/],
    [
      'tier_upgrade',
      { loyalty: { discountPercent: 10 } },
      /"tier_upgrade" message needs data\.loyalty with a tierLabel/,
    ],
    ['winback', { winback: undefined }, /"winback" message needs data\.winback/],
  ];
  it.each(cases)('refuses %s with %o', (kind, missing, error) => {
    for (const channel of ['email', 'sms'] as const) {
      expect(() => renderer.render(request({ kind, channel, data: { ...dataFor(kind), ...missing } }))).toThrow(error);
    }
  });

  it('needs nothing extra for a care follow-up', () => {
    expect(() => renderer.render(request({ kind: 'care_followup', data: { orderId: 'A-1' } }))).not.toThrow();
  });
});

describe('unsubscribe and opt-out', () => {
  const unsubscribeUrl = 'https://shop.example/u/tok-1';

  it('puts a visible unsubscribe link in the email footer and ends the text part with it', () => {
    const m = renderer.render(request({ kind: 'offer', data: { ...request().data, unsubscribeUrl } }));
    expect(m.html).toMatch(/<a href="https:\/\/shop\.example\/u\/tok-1"[^>]*>Unsubscribe from offers<\/a>/);
    // In the footer: after the "why you get this" line.
    expect(m.html.indexOf('Unsubscribe from offers')).toBeGreaterThan(m.html.indexOf('You are receiving this'));
    expect(m.text.endsWith(`\n\nUnsubscribe from offers: ${unsubscribeUrl}`)).toBe(true);

    const bn = renderer.render(request({ kind: 'offer', locale: 'bn', data: { ...request().data, unsubscribeUrl } }));
    expect(bn.html).toContain('>অফার পাওয়া বন্ধ করুন</a>');
    expect(bn.text.endsWith(`অফার পাওয়া বন্ধ করুন: ${unsubscribeUrl}`)).toBe(true);
  });

  it('ends text messages with the opt-out words the channel understands', () => {
    const data = { ...request().data, unsubscribeUrl };
    const sms = renderer.render(request({ kind: 'offer', channel: 'sms', data }));
    expect(sms.text.endsWith('\nReply STOP to opt out')).toBe(true);
    expect(sms.text).not.toContain(unsubscribeUrl); // SMS stays short: the keyword is the way out
    expect(renderer.render(request({ kind: 'offer', channel: 'whatsapp', data })).text).toMatch(
      /\nReply STOP to opt out$/,
    );
    const telegram = renderer.render(request({ kind: 'offer', channel: 'telegram', data }));
    expect(telegram.text.endsWith('\nSend /stop to opt out')).toBe(true);
    expect(telegram.text).not.toContain('STOP');

    const bnSms = renderer.render(request({ kind: 'offer', channel: 'sms', locale: 'bn', data }));
    expect(bnSms.text).toMatch(/\n[^\n]*STOP[^\n]*$/u);
    expect(bnSms.text.split('\n').at(-1)).toMatch(/[\u0980-\u09FF]/);
    const bnTelegram = renderer.render(request({ kind: 'offer', channel: 'telegram', locale: 'bn', data }));
    expect(bnTelegram.text).toMatch(/\n[^\n]*\/stop[^\n]*$/u);
  });

  it.each(MARKETING_KINDS)('gives the marketing kind %s its way out on every channel, and keeps it in SMS', (kind) => {
    const data = { ...dataFor(kind), unsubscribeUrl };
    const email = renderer.render(request({ kind, data }));
    expect(email.html).toMatch(/<a href="https:\/\/shop\.example\/u\/tok-1"[^>]*>Unsubscribe from offers<\/a>/);
    expect(email.text.endsWith(`\n\nUnsubscribe from offers: ${unsubscribeUrl}`)).toBe(true);
    expect(renderer.render(request({ kind, channel: 'telegram', data })).text).toMatch(/\nSend \/stop to opt out$/);
    for (const locale of ['en', 'bn']) {
      const sms = renderer.render(request({ kind, locale, channel: 'sms', data }));
      expect(sms.text).toMatch(/\n[^\n]*STOP[^\n]*$/u);
      // The adapter fits SMS into three segments by cutting the end: the hint must survive it.
      expect(fitSms(sms.text, 3), `${kind}/${locale}`).toBe(sms.text);
    }
  });

  it('says nothing about unsubscribing when no unsubscribe URL is given', () => {
    for (const kind of MESSAGE_KINDS) {
      for (const channel of ['email', 'sms', 'telegram', 'whatsapp'] as const) {
        const m = renderer.render(request({ kind, channel }));
        expect(m.html).not.toMatch(/unsubscribe/i);
        expect(m.text).not.toMatch(/unsubscribe|STOP|\/stop/i);
      }
    }
  });

  it('refuses an unsubscribe URL that would not work, rather than send without one', () => {
    const data = { ...request().data, unsubscribeUrl: 'javascript:alert(1)' };
    expect(() => renderer.render(request({ kind: 'offer', data }))).toThrow(/unsubscribeUrl/);
    const mailto = renderer.render(
      request({ kind: 'offer', data: { ...request().data, unsubscribeUrl: 'mailto:stop@shop.example' } }),
    );
    expect(mailto.html).toContain('href="mailto:stop@shop.example"');
  });
});

describe('Telegram link', () => {
  const telegramLinkUrl = 'https://t.me/danas_shop_bot?start=abc123';
  const data = { ...request().data, telegramLinkUrl };

  it('adds a small footer link and a text line to emails of any kind sent to customers', () => {
    for (const kind of MESSAGE_KINDS.filter((k) => !TO_BUSINESS.includes(k))) {
      const m = renderer.render(request({ kind, data }));
      expect(m.html).toMatch(
        /<a href="https:\/\/t\.me\/danas_shop_bot\?start&#x3D;abc123"[^>]*>Get order updates on Telegram<\/a>/,
      );
      expect(m.text).toContain(`\nGet order updates on Telegram: ${telegramLinkUrl}`);
    }
    const bn = renderer.render(request({ locale: 'bn', data }));
    expect(bn.text).toContain(`টেলিগ্রামে অর্ডারের আপডেট পান: ${telegramLinkUrl}`);
    // The operator alert goes to the business, not to the customer whose Telegram this links.
    const alert = renderer.render(request({ kind: 'operator_alert', data }));
    expect(alert.html + alert.text).not.toContain('t.me');
  });

  it('puts it in SMS only on status updates, as the last line', () => {
    const status = renderer.render(request({ channel: 'sms', data }));
    expect(status.text.endsWith(`\nGet order updates on Telegram: ${telegramLinkUrl}`)).toBe(true);
    for (const kind of MESSAGE_KINDS.filter((k) => k !== 'order_status')) {
      expect(renderer.render(request({ kind, channel: 'sms', data })).text).not.toContain('t.me');
    }
  });

  it('leaves it out on Telegram and WhatsApp, and when it is not an http(s) link', () => {
    for (const channel of ['telegram', 'whatsapp'] as const) {
      expect(renderer.render(request({ channel, data })).text).not.toContain('t.me');
    }
    const bad = renderer.render(request({ data: { ...data, telegramLinkUrl: 'javascript:alert(1)' } }));
    expect(bad.html).not.toContain('javascript:');
    expect(bad.text).not.toContain('Telegram');
  });

  it('keeps the email text part ending with the unsubscribe line when both are given', () => {
    const m = renderer.render(
      request({ kind: 'offer', data: { ...data, unsubscribeUrl: 'https://shop.example/u/1' } }),
    );
    const lines = m.text.split('\n');
    expect(lines.at(-1)).toBe('Unsubscribe from offers: https://shop.example/u/1');
    expect(lines.at(-3)).toBe(`Get order updates on Telegram: ${telegramLinkUrl}`);
  });
});

describe('template validation at startup', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aftercare-templates-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  type LocaleJson = { common: Record<string, unknown>; kinds: Record<string, Record<string, unknown>> };
  async function copyWith(edit: (bn: LocaleJson) => void): Promise<string> {
    const target = await mkdtemp(path.join(dir, 'case-'));
    await cp(TEMPLATES, target, { recursive: true });
    const file = path.join(target, 'locales', 'bn.json');
    const bn = JSON.parse(await readFile(file, 'utf8')) as LocaleJson;
    edit(bn);
    await writeFile(file, JSON.stringify(bn));
    return target;
  }

  it('names the file and the missing key', async () => {
    const templatesDir = await copyWith((bn) => {
      delete bn.kinds.order_delayed!.text;
    });
    await expect(createRenderer({ templatesDir })).rejects.toThrow(
      /bn\.json[\s\S]*kinds\.order_delayed\.text: missing/,
    );
  });

  it('rejects unknown placeholders and broken Handlebars', async () => {
    const typo = await copyWith((bn) => {
      bn.kinds.order_status!.subject = 'Order {{orderID}}';
    });
    await expect(createRenderer({ templatesDir: typo })).rejects.toThrow(
      /kinds\.order_status\.subject: unknown placeholder \{\{orderID\}\}/,
    );
    const broken = await copyWith((bn) => {
      bn.kinds.thank_you!.heading = '{{#if name}}unclosed';
    });
    await expect(createRenderer({ templatesDir: broken })).rejects.toThrow(/kinds\.thank_you\.heading/);
  });

  it('knows the offer variables and labels, and insists on them', async () => {
    // The real files pass (beforeAll); a typo in a new variable does not.
    const typo = await copyWith((bn) => {
      bn.kinds.offer!.preheader = 'কোড {{promoCode}}';
    });
    await expect(createRenderer({ templatesDir: typo })).rejects.toThrow(
      /kinds\.offer\.preheader: unknown placeholder \{\{promoCode\}\}/,
    );
    const noCode = await copyWith((bn) => {
      bn.kinds.offer!.text = '{{brand}}: {{discountPercent}}% ছাড়{{#if code}}!{{/if}} {{expiresAt}} পর্যন্ত।';
    });
    await expect(createRenderer({ templatesDir: noCode })).rejects.toThrow(/kinds\.offer\.text: must use \{\{code\}\}/);
    const noLabel = await copyWith((bn) => {
      delete bn.kinds.offer!.codeLabel;
    });
    await expect(createRenderer({ templatesDir: noLabel })).rejects.toThrow(/kinds\.offer\.codeLabel: missing/);
  });

  it('insists on the links, codes and labels of the new kinds', async () => {
    const noLink = await copyWith((bn) => {
      bn.kinds.survey!.text = '{{brand}}: অর্ডার {{orderId}} কেমন লাগল?';
    });
    await expect(createRenderer({ templatesDir: noLink })).rejects.toThrow(
      /kinds\.survey\.text: must use \{\{surveyUrl\}\}/,
    );
    const noCode = await copyWith((bn) => {
      bn.kinds.winback!.text = '{{brand}}: {{discountPercent}}% ছাড়, {{expiresAt}} পর্যন্ত।';
    });
    await expect(createRenderer({ templatesDir: noCode })).rejects.toThrow(
      /kinds\.winback\.text: must use \{\{code\}\}/,
    );
    const missing = await copyWith((bn) => {
      delete bn.kinds.referral_request!.rewardNote;
      delete bn.kinds.operator_alert!.footer;
      delete bn.kinds.tier_upgrade;
    });
    await expect(createRenderer({ templatesDir: missing })).rejects.toThrow(
      /kinds\.tier_upgrade: missing[\s\S]*kinds\.referral_request\.rewardNote: missing[\s\S]*kinds\.operator_alert\.footer: missing/,
    );
    const typo = await copyWith((bn) => {
      bn.kinds.warranty_checkin!.subject = '{{endDate}}';
    });
    await expect(createRenderer({ templatesDir: typo })).rejects.toThrow(
      /kinds\.warranty_checkin\.subject: unknown placeholder \{\{endDate\}\}/,
    );
  });

  it('keeps the opt-out keywords verbatim and requires the new footer strings', async () => {
    const translated = await copyWith((bn) => {
      bn.common.optOutReply = 'বার্তা বন্ধ করতে বন্ধ লিখে পাঠান';
    });
    await expect(createRenderer({ templatesDir: translated })).rejects.toThrow(
      /common\.optOutReply: must contain "STOP"/,
    );
    const telegram = await copyWith((bn) => {
      bn.common.optOutTelegram = 'বার্তা বন্ধ করতে /থামুন পাঠান';
    });
    await expect(createRenderer({ templatesDir: telegram })).rejects.toThrow(
      /common\.optOutTelegram: must contain "\/stop"/,
    );
    const missing = await copyWith((bn) => {
      delete bn.common.unsubscribe;
      delete bn.common.telegramLink;
    });
    await expect(createRenderer({ templatesDir: missing })).rejects.toThrow(
      /common\.unsubscribe: missing[\s\S]*common\.telegramLink: missing/,
    );
  });

  it('rejects a layout that lost the offer or footer links in the MJML compile', async () => {
    const target = await mkdtemp(path.join(dir, 'lost-'));
    await cp(TEMPLATES, target, { recursive: true });
    const layout = path.join(target, 'email', 'layout.mjml');
    const source = await readFile(layout, 'utf8');
    expect(source).toContain('{{unsubscribe.label}}');
    await writeFile(layout, source.replace('{{unsubscribe.label}}', 'Unsubscribe'));
    await expect(createRenderer({ templatesDir: target })).rejects.toThrow(/no UNSUBSCRIBE-1 in a trial render/);
  });

  it('rejects an invalid MJML layout', async () => {
    const target = await mkdtemp(path.join(dir, 'mjml-'));
    await cp(TEMPLATES, target, { recursive: true });
    const layout = path.join(target, 'email', 'layout.mjml');
    await writeFile(
      layout,
      (await readFile(layout, 'utf8')).replace(
        '<mj-text font-size="19px"',
        '<mj-text bogus-attribute="1" font-size="19px"',
      ),
    );
    await expect(createRenderer({ templatesDir: target })).rejects.toThrow(/MJML validation failed/);
  });
});
