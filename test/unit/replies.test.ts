import { describe, expect, it } from 'vitest';
import {
  orderRef,
  parseRating,
  ratingButtonId,
  ratingButtons,
  ratingListLabel,
  ratingThanks,
  readRatingButton,
} from '../../src/channels/replies';
import { deriveKeys } from '../../src/lib/keys';

const KEYS = deriveKeys('aftercare-test-secret-0123456789');

describe('parseRating', () => {
  it.each([
    ['5', { rating: 5 }],
    ['  3 ', { rating: 3 }],
    ['১', { rating: 1 }],
    ['৫', { rating: 5 }],
    ['4/5', { rating: 4 }],
    ['৪ / ৫', { rating: 4 }],
    ['5 stars', { rating: 5 }],
    ['1 Star', { rating: 1 }],
    ['5⭐', { rating: 5 }],
    ['5 ⭐️', { rating: 5 }],
    ['4★', { rating: 4 }],
    ['5 ⭐⭐⭐⭐⭐', { rating: 5 }],
    ['⭐⭐⭐', { rating: 3 }],
    ['★★★★★', { rating: 5 }],
    ['৫ তারা', { rating: 5 }],
    ['5.', { rating: 5 }],
    ['5!', { rating: 5 }],
    ['5, fast delivery', { rating: 5, comment: 'fast delivery' }],
    ['2 - the box was damaged', { rating: 2, comment: 'the box was damaged' }],
    ['4 – ok', { rating: 4, comment: 'ok' }],
    ['4—ok', { rating: 4, comment: 'ok' }],
    ['3: late but fine', { rating: 3, comment: 'late but fine' }],
    ['1; never again', { rating: 1, comment: 'never again' }],
    ['5\nGreat service, thank you', { rating: 5, comment: 'Great service, thank you' }],
    ['5 stars: excellent', { rating: 5, comment: 'excellent' }],
    ['৪, ডেলিভারি ২ দিন দেরি', { rating: 4, comment: 'ডেলিভারি ২ দিন দেরি' }],
    ['৫ তারা: চমৎকার', { rating: 5, comment: 'চমৎকার' }],
    ['⭐⭐ - meh', { rating: 2, comment: 'meh' }],
  ])('%j is a rating', (text, expected) => {
    expect(parseRating(text)).toEqual(expected);
  });

  it.each([
    'where is my parcel?',
    '5 days late, where is it?',
    '5 great',
    '12',
    '০',
    '0',
    '6',
    '১২',
    '4.5',
    '5:30 works for me',
    '1-5',
    '3, 4',
    '5/10',
    '10/10',
    '5 - 10 days late',
    '1 ⭐⭐⭐⭐⭐',
    '⭐⭐⭐⭐⭐⭐',
    'five',
    'Order 5',
    '',
    '   ',
    '#5',
    '5 stars great',
  ])('%j is not a rating', (text) => {
    expect(parseRating(text)).toBeUndefined();
  });
});

describe('rating buttons', () => {
  const ref = orderRef(KEYS.contacts, 'A-1001');

  it('orderRef: 12 url-safe characters, keyed, per order and per tenant, never the order id', () => {
    expect(ref).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(orderRef(KEYS.contacts, 'A-1001')).toBe(ref);
    expect(orderRef(KEYS.contacts, 'A-1002')).not.toBe(ref);
    expect(orderRef(KEYS.contacts, 'A-1001', 'outlet')).not.toBe(ref);
    expect(orderRef(deriveKeys('another-secret-0123456789abcdefghij').contacts, 'A-1001')).not.toBe(ref);
    expect(ref).not.toContain('1001');
  });

  it('ids round-trip and fit Telegram callback_data (64 bytes) and WhatsApp row ids (200)', () => {
    for (const rating of [1, 2, 3, 4, 5]) {
      const id = ratingButtonId(rating, ref);
      expect(id).toBe(`rate:${rating}:${ref}`);
      expect(Buffer.byteLength(id)).toBeLessThanOrEqual(64);
      expect(readRatingButton(id)).toEqual({ rating, orderRef: ref });
    }
    expect(() => ratingButtonId(0, ref)).toThrow(RangeError);
    expect(() => ratingButtonId(6, ref)).toThrow(RangeError);
    expect(() => ratingButtonId(5, 'has:colon')).toThrow(RangeError);
  });

  it('readRatingButton refuses every other id', () => {
    for (const id of [
      '',
      'rate:6:abcdefghijkl',
      'rate:0:abcdefghijkl',
      'rate:5:',
      'rate:5:short',
      `rate:5:${ref}:x`,
      `RATE:5:${ref}`,
      `vote:5:${ref}`,
      `rate:৫:${ref}`,
      'start',
    ]) {
      expect(readRatingButton(id), id).toBeUndefined();
    }
  });

  it('five buttons, highest first, titled from the locale files, within 24 characters', () => {
    const en = ratingButtons('en', ref);
    expect(en).toEqual([
      { id: `rate:5:${ref}`, title: '5 stars: excellent' },
      { id: `rate:4:${ref}`, title: '4 stars: good' },
      { id: `rate:3:${ref}`, title: '3 stars: okay' },
      { id: `rate:2:${ref}`, title: '2 stars: poor' },
      { id: `rate:1:${ref}`, title: '1 star: very poor' },
    ]);
    const bn = ratingButtons('bn-BD', ref);
    expect(bn[0]).toEqual({ id: `rate:5:${ref}`, title: '৫ তারা: চমৎকার' });
    for (const b of [...en, ...bn]) expect([...b.title].length).toBeLessThanOrEqual(24);
    // Any other language gets English, the last fallback.
    expect(ratingButtons('de', ref)).toEqual(en);
  });

  it('the list label (20 characters at most) and the tap toast, in English and Bengali', () => {
    expect(ratingListLabel('en')).toBe('Rate your order');
    expect(ratingListLabel('bn')).toBe('মূল্যায়ন দিন');
    expect([...ratingListLabel('bn')].length).toBeLessThanOrEqual(20);
    expect(ratingThanks('en')).toBe('Thank you!');
    expect(ratingThanks('bn')).toBe('ধন্যবাদ!');
    expect(ratingThanks(undefined)).toBe('Thank you!');
  });
});
