import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { deriveKeys } from '../../src/lib/keys';
import { readReviewLink, reviewLink } from '../../src/messages/links';
import { createRenderer } from '../../src/messages/renderer';
import type { MessageRenderer, RenderRequest } from '../../src/messages/types';
import { bucketOf, pickByWeight, variantFor, type MessageVariant } from '../../src/messages/variants';
import { parsePlaybook, PlaybookError } from '../../src/playbook/load';
import type { PlaybookInput } from '../../src/playbook/schema';

const base: PlaybookInput = {
  version: 1,
  brand: { name: 'Test Shop', sender: 'Test Shop <orders@test.example>' },
  stages: [
    { id: 'placed', label: 'Placed' },
    { id: 'delivered', label: 'Delivered' },
  ],
  delays: { thankYou: '1h' },
};

const withVariants = (variants: unknown, kind = 'review_request', extra: Record<string, unknown> = {}) =>
  parsePlaybook({ ...base, messages: { [kind]: { variants, ...extra } } });

/** The problems a playbook is refused with, one string. */
function refusal(raw: unknown): string {
  try {
    parsePlaybook(raw, 'p.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(PlaybookError);
    return (err as PlaybookError).problems.join('\n');
  }
  throw new Error('the playbook was accepted');
}

const customers = (n: number) => Array.from({ length: n }, (_, i) => `cus-${i}`);
const shares = (playbook: ReturnType<typeof parsePlaybook>, n: number) => {
  const counts: Record<string, number> = {};
  for (const c of customers(n)) {
    const id = variantFor(playbook, 'review_request', c)!.id;
    counts[id] = (counts[id] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).map(([id, k]) => [id, k / n]));
};

describe('which variant a customer gets', () => {
  const playbook = withVariants([
    { id: 'a', weight: 50 },
    { id: 'short', weight: 50, subject: 'Two minutes, {{name}}?' },
  ]);

  it('is the same every time for the same customer and kind, and none without variants', () => {
    for (const c of customers(200)) {
      expect(variantFor(playbook, 'review_request', c)).toEqual(variantFor(playbook, 'review_request', c));
    }
    expect(variantFor(playbook, 'survey', 'cus-1')).toBeUndefined();
    expect(variantFor(parsePlaybook(base), 'review_request', 'cus-1')).toBeUndefined();
    // A fixed point: the hash must not change between releases (running journeys and the stats rely on it).
    expect(bucketOf('', 'review_request', 'cus-42')).toBe(0.9466135739495977);
  });

  it('follows the weights over many customers', () => {
    const even = shares(playbook, 20_000);
    expect(even.a).toBeGreaterThan(0.48);
    expect(even.a).toBeLessThan(0.52);
    const three = shares(
      withVariants([
        { id: 'a', weight: 5 },
        { id: 'b', weight: 3 },
        { id: 'c', weight: 2 },
      ]),
      20_000,
    );
    expect(three.a).toBeCloseTo(0.5, 1);
    expect(three.b).toBeCloseTo(0.3, 1);
    expect(three.c).toBeCloseTo(0.2, 1);
    for (const [id, share] of Object.entries({ a: 0.5, b: 0.3, c: 0.2 })) {
      expect(Math.abs(three[id]! - share)).toBeLessThan(0.015);
    }
  });

  it('never picks a variant of weight 0', () => {
    const off = withVariants([
      { id: 'a', weight: 1 },
      { id: 'paused', weight: 0, subject: 'Never sent' },
      { id: 'b', weight: 1 },
    ]);
    const seen = shares(off, 10_000);
    expect(seen.paused).toBeUndefined();
    expect(Object.keys(seen).sort()).toEqual(['a', 'b']);
    // Even at the very ends of the line.
    const vs: MessageVariant[] = [
      { id: 'x', weight: 0 },
      { id: 'y', weight: 3 },
      { id: 'z', weight: 0 },
    ];
    expect(pickByWeight(vs, 0)?.id).toBe('y');
    expect(pickByWeight(vs, 1 - 2 ** -53)?.id).toBe('y');
    expect(pickByWeight([{ id: 'x', weight: 0 }], 0.5)).toBeUndefined();
  });

  it('moves only the customers between the old and the new boundary when weights change', () => {
    const before = playbook;
    const after = withVariants([
      { id: 'a', weight: 60 },
      { id: 'short', weight: 40, subject: 'Two minutes, {{name}}?' },
    ]);
    let moved = 0;
    for (const c of customers(20_000)) {
      const was = variantFor(before, 'review_request', c)!.id;
      const now = variantFor(after, 'review_request', c)!.id;
      if (was === now) continue;
      moved += 1;
      expect([was, now]).toEqual(['short', 'a']);
    }
    expect(moved / 20_000).toBeGreaterThan(0.09);
    expect(moved / 20_000).toBeLessThan(0.11);
  });

  it('deals again under a new experiment name, and independently per kind', () => {
    const renamed = withVariants(playbook.messages.review_request!.variants, 'review_request', {
      experiment: 'spring',
    });
    const both = parsePlaybook({
      ...base,
      messages: {
        review_request: { variants: playbook.messages.review_request!.variants },
        survey: { variants: playbook.messages.review_request!.variants },
      },
    });
    let changed = 0;
    let differsByKind = 0;
    for (const c of customers(10_000)) {
      if (variantFor(playbook, 'review_request', c)!.id !== variantFor(renamed, 'review_request', c)!.id) changed += 1;
      if (variantFor(both, 'review_request', c)!.id !== variantFor(both, 'survey', c)!.id) differsByKind += 1;
    }
    expect(changed / 10_000).toBeCloseTo(0.5, 1);
    expect(differsByKind / 10_000).toBeCloseTo(0.5, 1);
  });
});

describe('variants in the playbook', () => {
  it('are read with their texts, one for all languages or one per language', () => {
    const p = withVariants([
      { id: 'a', weight: 1 },
      {
        id: 'short',
        weight: 1,
        subject: { en: 'A minute, {{name}}?', bn: 'এক মিনিট, {{name}}?' },
        body: 'First paragraph.\n\nSecond, with {{brand}}.',
        text: '{{brand}}: a review? {{reviewUrl}}',
      },
    ]);
    expect(p.messages.review_request?.variants?.[1]).toMatchObject({ id: 'short', weight: 1 });
    expect(p.messages.review_request?.channels).toBeUndefined();
  });

  it.each([
    [
      'duplicate ids',
      [
        { id: 'a', weight: 1 },
        { id: 'a', weight: 1 },
      ],
      'messages.review_request.variants[1].id: duplicate variant "a"',
    ],
    [
      'every weight 0',
      [
        { id: 'a', weight: 0 },
        { id: 'b', weight: 0 },
      ],
      'messages.review_request.variants: every weight is 0: give at least one variant a weight above 0',
    ],
    ['a negative weight', [{ id: 'a', weight: -1 }], 'messages.review_request.variants[0].weight'],
    ['a fractional weight', [{ id: 'a', weight: 0.5 }], 'variants[0].weight: must be a whole number'],
    ['a bad id', [{ id: 'Short Text', weight: 1 }], 'variants[0].id: must be lower-case letters'],
    [
      'a misspelt text key',
      [{ id: 'a', weight: 1, subjet: 'Hi' }],
      'messages.review_request.variants[0]: Unrecognized key: "subjet"',
    ],
    ['no variants at all', [], 'messages.review_request.variants: needs at least one variant'],
    [
      'an unknown placeholder',
      [{ id: 'a', weight: 1, subject: 'Hi {{nmae}}' }],
      'messages.review_request.variants[0].subject: unknown placeholder {{nmae}}',
    ],
    [
      'an unknown placeholder in one language',
      [{ id: 'a', weight: 1, body: { en: 'Fine {{name}}', bn: 'ভালো {{naam}}' } }],
      'messages.review_request.variants[0].body.bn: unknown placeholder {{naam}}',
    ],
    [
      'a text without what the kind must print',
      [{ id: 'a', weight: 1, text: 'Please review us!' }],
      'messages.review_request.variants[0].text: must use {{reviewUrl}}',
    ],
    [
      'a helper call',
      [{ id: 'a', weight: 1, cta: '{{lookup name}}' }],
      'variants[0].cta: helper calls are not supported',
    ],
  ])('are refused with %s, naming the field', (_what, variants, message) => {
    expect(refusal({ ...base, messages: { review_request: { variants } } })).toContain(message);
  });

  it('are refused on messages that go to the business', () => {
    expect(refusal({ ...base, messages: { operator_alert: { variants: [{ id: 'a', weight: 1 }] } } })).toContain(
      'messages.operator_alert.variants: "operator_alert" goes to the business, not to customers',
    );
  });

  it('keep a kind without variants as it was (channels only)', () => {
    const p = parsePlaybook({ ...base, messages: { offer: { channels: ['email'] } } });
    expect(p.messages.offer).toEqual({ channels: ['email'] });
    expect(variantFor(p, 'offer', 'cus-1')).toBeUndefined();
  });
});

describe('rendering a variant', () => {
  let renderer: MessageRenderer;
  beforeAll(async () => {
    renderer = await createRenderer({ templatesDir: path.resolve(__dirname, '../../templates') });
  });
  const request = (overrides: Partial<RenderRequest> = {}): RenderRequest => ({
    kind: 'review_request',
    channel: 'email',
    locale: 'en',
    fallbackLocale: 'en',
    brand: { name: 'Test Shop', sender: 'Test Shop <orders@test.example>' },
    recipientName: 'Ana',
    data: { orderId: 'A-1', reviewUrl: 'https://shop.example/r/1', feedback: { rating: 5 } },
    ...overrides,
  });
  const short = {
    subject: { en: 'A minute, {{name}}?', bn: 'এক মিনিট, {{name}}?' },
    body: 'One line about {{brand}}.\n\nAnd a second one.',
    text: '{{brand}}: a quick review? {{reviewUrl}}',
  };

  it('replaces the strings it has, in the customer language, and keeps the kind own for the rest', () => {
    const plain = renderer.render(request());
    expect(plain.subject).toBe('Thank you for your kind rating, Ana');
    const mail = renderer.render(request({ variant: short }));
    expect(mail.subject).toBe('A minute, Ana?');
    expect(mail.text).toContain('One line about Test Shop.\n\nAnd a second one.');
    expect(mail.text).not.toContain('Most people read reviews');
    // The heading and the button are the kind's own.
    expect(mail.text).toContain('Thank you, that means a lot to us');
    expect(mail.text).toContain('Write a review: https://shop.example/r/1');
    expect(mail.html).toContain('One line about Test Shop.');

    expect(renderer.render(request({ variant: short, locale: 'bn' })).subject).toBe('এক মিনিট, Ana?');
    const sms = renderer.render(request({ variant: short, channel: 'sms' }));
    expect(sms.text).toBe('Test Shop: a quick review? https://shop.example/r/1');
  });

  it('renders the kind own text when the variant has none', () => {
    expect(renderer.render(request({ variant: {} }))).toEqual(renderer.render(request()));
  });
});

describe('the review link', () => {
  const keys = deriveKeys('variants-test-secret-0123456789abcdef01');
  const mint = (variant?: string) =>
    reviewLink('https://aftercare.example', keys.links, {
      orderId: 'A-1',
      reviewUrl: 'https://reviews.example/shop',
      messageKey: 'review',
      expiresAt: Date.now() + 60_000,
      ...(variant ? { variant } : {}),
    }).slice('https://aftercare.example/r/'.length);

  it('carries the variant of its message, signed, so the click counts for it', () => {
    const read = readReviewLink(keys, mint('short'), Date.now());
    expect(read.ok && read.value).toMatchObject({
      orderId: 'A-1',
      target: 'https://reviews.example/shop',
      variant: 'short',
    });
    const plain = readReviewLink(keys, mint(), Date.now());
    expect(plain.ok && plain.value).toMatchObject({ orderId: 'A-1', target: 'https://reviews.example/shop' });
    expect(plain.ok && plain.value).not.toHaveProperty('variant');
  });
});
