import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createRenderer } from '../../src/messages/renderer';
import type { MessageRenderer, RecordedMessageData, RenderRequest } from '../../src/messages/types';
import { loadPlaybook, parsePlaybook } from '../../src/playbook/load';
import type { PlaybookInput } from '../../src/playbook/schema';
import { answerProblems, nextOccasion, parseOccasionDate } from '../../src/rules/questionnaire';
import type { CustomerLifecycleState } from '../../src/workflows/customer/contract';
import { clipItemNames, personalOf } from '../../src/workflows/customer/personal';

const shop = path.resolve(__dirname, '..', '..', 'playbooks', 'shop.yaml');
const { questionnaire: _shipped, ...base } = YAML.parse(readFileSync(shop, 'utf8')) as PlaybookInput;

const questions = [
  {
    id: 'interests',
    kind: 'multi',
    label: { en: 'What do you like?', bn: 'আপনি কী পছন্দ করেন?' },
    use: 'interests',
    options: [
      { id: 'tea', label: { en: 'Tea', bn: 'চা' } },
      { id: 'pastries', label: { en: 'Pastries', bn: 'পেস্ট্রি' } },
    ],
  },
  { id: 'size', kind: 'choice', label: 'Size', options: [{ id: 's', label: 'S' }] },
  { id: 'dislikes', kind: 'text', label: 'Anything you dislike?', maxLength: 10 },
  { id: 'birthday', kind: 'date', label: 'Birthday', use: 'occasion', occasionName: { en: 'birthday', bn: 'জন্মদিন' } },
] as const;

const problemsOf = (questionnaire: unknown) => {
  try {
    parsePlaybook({ ...base, questionnaire });
    return '';
  } catch (err) {
    return (err as { problems: string[] }).problems.join('\n');
  }
};

describe('the playbook questionnaire', () => {
  it('parses with defaults, and the shipped playbooks have one', () => {
    const playbook = parsePlaybook({ ...base, questionnaire: { questions, occasion: {} } });
    expect(playbook.questionnaire).toMatchObject({
      afterOrders: 2,
      occasion: { discountPercent: 10, sendAt: '10:00', leadDays: 0, validFor: 30 * 86_400_000 },
    });
    expect(loadPlaybook(shop).questionnaire?.questions.length).toBeGreaterThan(0);
    expect(parsePlaybook(base).questionnaire).toBeUndefined();
  });

  it('names what is wrong', () => {
    const text = problemsOf({
      questions: [
        { id: 'a', kind: 'choice', label: 'A' },
        { id: 'a', kind: 'text', label: 'B', use: 'occasion' },
        {
          id: 'c',
          kind: 'multi',
          label: 'C',
          options: [
            { id: 'x', label: 'X' },
            { id: 'x', label: 'Y' },
          ],
        },
        { id: 'Bad', kind: 'date', label: 'D' },
      ],
      occasion: { sendAt: '25:00' },
    });
    expect(text).toContain('questionnaire.questions[0].options: a choice question needs options');
    expect(text).toContain('questionnaire.questions[1].id: duplicate question "a"');
    expect(text).toContain('questionnaire.questions[1].use: an occasion question must be of kind date');
    expect(text).toContain('questionnaire.questions[2].options[1].id: duplicate option "x"');
    expect(text).toContain('questionnaire.questions[3].id: must be lower_snake_case');
    expect(text).toContain('questionnaire.occasion.sendAt: must be a time of day');
    expect(problemsOf({ questions: [] })).toContain('questionnaire.questions: needs at least one question');
  });
});

describe('answers', () => {
  it('fit the questions: known ids, options, lengths, dates', () => {
    expect(answerProblems(questions, { interests: ['tea'], size: 's', dislikes: 'noise', birthday: '03-14' })).toEqual(
      [],
    );
    expect(answerProblems(questions, { birthday: '1990-02-28' })).toEqual([]);
    expect(answerProblems(questions, { color: 'red' })).toEqual(['color: no such question']);
    expect(answerProblems(questions, { interests: ['coffee'] })).toEqual(['interests: must be a list of its options']);
    expect(answerProblems(questions, { interests: ['tea', 'tea'] })).toEqual(['interests: names an option twice']);
    expect(answerProblems(questions, { size: 'xl' })).toEqual(['size: must be one of its options']);
    expect(answerProblems(questions, { dislikes: 'far too long' })).toEqual([
      'dislikes: must be at most 10 characters',
    ]);
    expect(answerProblems(questions, { birthday: '02-30' })).toEqual([
      'birthday: must be a date as MM-DD or YYYY-MM-DD',
    ]);
    expect(answerProblems(questions, { birthday: '2023-02-29' })).toHaveLength(1);
    expect(answerProblems(questions, [])).toEqual(['answers must be an object']);
    expect(parseOccasionDate('02-29')).toEqual({ month: 2, day: 29 });
  });
});

describe('occasions', () => {
  const settings = { sendAt: '10:00', leadDays: 0 };
  const at = (iso: string) => Date.parse(iso);

  it('are due at sendAt on the day in the customer time zone, once a year', () => {
    const now = at('2026-03-01T00:00:00Z');
    const due = nextOccasion(questions, { birthday: '03-14' }, [], settings, now, 'Asia/Dhaka');
    // 10:00 in Dhaka (UTC+6) is 04:00 UTC.
    expect(due).toMatchObject({ questionId: 'birthday', date: '03-14', year: 2026, at: at('2026-03-14T04:00:00Z') });
    const next = nextOccasion(questions, { birthday: '03-14' }, ['birthday/2026'], settings, now, 'Asia/Dhaka');
    expect(next).toMatchObject({ year: 2027, at: at('2027-03-14T04:00:00Z') });
    // Two days early, and an unknown zone counts as UTC.
    expect(nextOccasion(questions, { birthday: '03-14' }, [], { ...settings, leadDays: 2 }, now, 'Nowhere/X')?.at).toBe(
      at('2026-03-12T10:00:00Z'),
    );
  });

  it('greet on the day even after sendAt, but not once the day is over', () => {
    const afternoon = at('2026-03-14T15:00:00Z');
    expect(nextOccasion(questions, { birthday: '03-14' }, [], settings, afternoon, 'UTC')?.at).toBeLessThan(afternoon);
    const dayAfter = at('2026-03-15T00:30:00Z');
    expect(nextOccasion(questions, { birthday: '03-14' }, [], settings, dayAfter, 'UTC')?.year).toBe(2027);
    // 29 February in a year without it: the 28th.
    expect(nextOccasion(questions, { birthday: '02-29' }, [], settings, at('2027-01-01T00:00:00Z'), 'UTC')?.date).toBe(
      '02-28',
    );
    expect(nextOccasion(questions, { dislikes: 'x' }, [], settings, afternoon, 'UTC')).toBeUndefined();
  });
});

describe('personal data', () => {
  const playbook = parsePlaybook({
    ...base,
    loyalty: { tiers: [{ id: 'regular', label: { en: 'Regular', bn: 'নিয়মিত' }, minOrders: 2, discountPercent: 5 }] },
    questionnaire: { questions },
  });
  const order = (orderId: string, completedAt: string | undefined, items: string[]) => ({
    orderId,
    placedAt: '2026-01-01T00:00:00Z',
    currency: 'EUR',
    totalMinor: 100,
    status: completedAt ? ('completed' as const) : ('active' as const),
    ...(completedAt ? { completedAt } : {}),
    items,
  });
  const state = (extra: Partial<CustomerLifecycleState>): CustomerLifecycleState =>
    ({ customerId: 'c', profile: null, orders: [], generation: 0, playbook, ...extra }) as CustomerLifecycleState;

  it('has the tier with its label, the chosen interests and the latest completed order', () => {
    const personal = personalOf(
      state({
        loyalty: { completedOrders: 2, spendMinor: 200, cashbackBalanceMinor: 0, tier: 'regular' },
        questionnaire: { answers: { interests: ['pastries', 'tea'], size: 's' } },
        orders: [
          order('o1', '2026-01-03T00:00:00Z', ['Old mug']),
          order('o2', '2026-01-05T00:00:00Z', ['Teapot', 'Cups']),
          order('o3', undefined, ['Not yet']),
        ],
      }),
    );
    expect(personal).toEqual({
      tier: 'regular',
      tierLabel: { en: 'Regular', bn: 'নিয়মিত' },
      // The playbook's order, not the answer's.
      interests: [
        { en: 'Tea', bn: 'চা' },
        { en: 'Pastries', bn: 'পেস্ট্রি' },
      ],
      lastPurchase: ['Teapot', 'Cups'],
    });
  });

  it('is absent when there is nothing to say, and item names are bounded', () => {
    expect(personalOf(state({}))).toBeUndefined();
    const names = clipItemNames(['a', ' ', 'b'.repeat(100), 'c', 'd'])!;
    expect(names).toHaveLength(3);
    expect(names[1]).toHaveLength(60);
    expect(clipItemNames([])).toBeUndefined();
  });
});

describe('templates with personal data', () => {
  let renderer: MessageRenderer;
  beforeAll(async () => {
    renderer = await createRenderer();
  });
  const personal = {
    tier: 'regular',
    tierLabel: { en: 'Regular', bn: 'নিয়মিত' },
    interests: [
      { en: 'Tea', bn: 'চা' },
      { en: 'Pastries', bn: 'পেস্ট্রি' },
    ],
    lastPurchase: ['Blue teapot'],
  };
  const render = (kind: RenderRequest['kind'], locale: string, data: Partial<RecordedMessageData>) =>
    renderer.render({
      kind,
      channel: 'email',
      locale,
      fallbackLocale: 'en',
      timeZone: 'Asia/Dhaka',
      brand: { name: 'Tea House', sender: 'Tea House <t@example.com>', supportEmail: 'help@example.com' },
      recipientName: 'Ana',
      data: { orderId: 'A-1', unsubscribeUrl: 'https://example.com/u/1', ...data },
    });
  const offer = { code: 'TEA-1', discountPercent: 10, expiresAt: '2026-05-01T00:00:00Z', services: [] };
  const winback = { code: 'TEA-W1', discountPercent: 15, expiresAt: '2026-05-01T00:00:00Z', attempt: 1 as const };

  it('the offer names their interests, in English and Bengali', () => {
    expect(render('offer', 'en', { offer, personal }).text).toContain(
      'Since you like Tea and Pastries, we picked this with you in mind.',
    );
    expect(render('offer', 'bn', { offer, personal }).text).toContain('আপনি চা এবং পেস্ট্রি পছন্দ করেন');
    expect(render('offer', 'en', { offer }).text).not.toContain('Since you like');
  });

  it('the win-back names the last purchase and interests', () => {
    const en = render('winback', 'en', { winback, personal }).text;
    expect(en).toContain('We hope you are still enjoying your Blue teapot.');
    expect(en).toContain('Since you like Tea and Pastries, there is something new for you.');
    const bn = render('winback', 'bn', { winback, personal }).text;
    expect(bn).toContain('আশা করি আপনার Blue teapot এখনও ভালো লাগছে।');
    expect(bn).toContain('আপনি চা এবং পেস্ট্রি পছন্দ করেন');
  });

  it('the thank-you shows the tier they hold, and the tier news their interests', () => {
    expect(render('thank_you', 'en', { personal }).text).toContain('Your loyalty level: Regular.');
    expect(render('thank_you', 'bn', { personal }).text).toContain('আপনার লয়্যালটি স্তর: নিয়মিত।');
    const loyalty = { tier: 'regular', tierLabel: personal.tierLabel, cashbackBalanceMinor: 0 };
    expect(render('tier_upgrade', 'en', { loyalty, personal }).text).toContain(
      'We will keep what you like (Tea and Pastries) in mind.',
    );
    expect(render('tier_upgrade', 'bn', { loyalty, personal }).text).toContain('(চা এবং পেস্ট্রি)');
  });
});
