import { beforeAll, describe, expect, it } from 'vitest';
import { createRenderer } from '../../src/messages/renderer';
import type { MessageRenderer, RecordedMessageData, RenderRequest } from '../../src/messages/types';

/** The warranty check-in says how long the customer has had it: the true time, not the warranty's length. */

type Warranty = NonNullable<RecordedMessageData['warranty']>;

let renderer: MessageRenderer;
beforeAll(async () => {
  renderer = await createRenderer();
});

function checkIn(locale: 'en' | 'bn', owned: Pick<Warranty, 'monthsOwned' | 'yearsOwned'>) {
  const request: RenderRequest = {
    kind: 'warranty_checkin',
    channel: 'email',
    locale,
    fallbackLocale: 'en',
    timeZone: 'Asia/Dhaka',
    brand: { name: 'Shop', sender: 'Shop <s@shop.example>', supportEmail: 'help@shop.example' },
    recipientName: 'Ana',
    data: {
      orderId: 'A-1',
      reviewUrl: 'https://shop.example/r/1',
      warranty: { items: ['Boiler'], endsAt: '2028-03-31T20:00:00Z', ...owned },
    },
  };
  const m = renderer.render(request);
  // The text part repeats heading and paragraphs; the HTML has the preheader too.
  return { ...m, all: `${m.subject}\n${m.html}\n${m.text}` };
}

describe('warranty check-in: how long the customer has had it', () => {
  it('says no duration under a month, in either language', () => {
    const en = checkIn('en', { monthsOwned: 0 });
    expect(en.all).not.toMatch(/later|since|\bon,|month|year/i);
    expect(en.text).toContain('How is everything?');
    expect(en.text).toContain('would you write a short “how it holds up” review?');
    expect(en.html).toContain('We would like to know how everything is doing.');

    const bn = checkIn('bn', { monthsOwned: 0 });
    // "পর" (later) and "পেরিয়ে গেছে" (has passed) only come with a duration; "পরিদর্শন" (inspection) stays.
    expect(bn.all).not.toMatch(/(^|[\s“])পর[\s:”]|পেরিয়ে|মাস|বছর/u);
    expect(bn.text).toContain('সব কিছু কেমন চলছে?');
  });

  it.each([
    { monthsOwned: 1, en: '1 month', bn: '১ মাস' },
    { monthsOwned: 11, en: '11 months', bn: '১১ মাস' },
    { monthsOwned: 12, en: '1 year', bn: '১ বছর' },
    { monthsOwned: 35, en: '2 years, 11 months', bn: '২ বছর, ১১ মাস' },
  ])('says $en after $monthsOwned months', ({ monthsOwned, en, bn }) => {
    const m = checkIn('en', { monthsOwned });
    expect(m.text).toContain(`${en} later: how is everything?`);
    expect(m.text).toContain(`It has been ${en} since your order A-1.`);
    expect(m.text).toContain(`“${en} later” review`);
    expect(m.html).toContain(`${en} on, we would like to know`);
    if (monthsOwned === 12) expect(m.all).not.toContain('month');

    const b = checkIn('bn', { monthsOwned });
    expect(b.text).toContain(`${bn} পর: সব কিছু কেমন চলছে?`);
    expect(b.text).toContain(`আপনার অর্ডার A-1-এর পর ${bn} পেরিয়ে গেছে।`);
    expect(b.text).toContain(`“${bn} পর”`);
  });

  it('prefers monthsOwned to the warranty length of older journeys', () => {
    expect(checkIn('en', { monthsOwned: 13, yearsOwned: 1 }).text).toContain('It has been 1 year, 1 month since');
  });

  it('still renders journeys recorded before monthsOwned, from the warranty length in years', () => {
    const old = checkIn('en', { yearsOwned: 3 });
    expect(old.text).toContain('3 years later: how is everything?');
    expect(old.text).toContain('It has been 3 years since your order A-1.');
    expect(checkIn('bn', { yearsOwned: 3 }).text).toContain('“৩ বছর পর”');
  });
});
