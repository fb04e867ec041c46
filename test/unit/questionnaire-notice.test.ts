import { describe, expect, it } from 'vitest';
import { questionnaireSchema } from '../../src/playbook/questionnaire';
import { nextOccasion } from '../../src/rules/questionnaire';

/**
 * An occasion date needs notice: one given (or changed) too close to its day is not greeted that year, so nobody
 * gets a code on demand by saying "today"; and a date changed after this year's greeting does not greet again.
 */
const questions = [
  { id: 'birthday', kind: 'date', label: 'Birthday', use: 'occasion' },
  { id: 'anniversary', kind: 'date', label: 'Anniversary', use: 'occasion' },
] as const;
const at = (iso: string) => Date.parse(iso);
const settings = { sendAt: '10:00', leadDays: 0, minNoticeDays: 30 };

describe('occasion notice', () => {
  it('defaults to 30 days in the playbook', () => {
    const parsed = questionnaireSchema.parse({ questions: [...questions], occasion: {} });
    expect(parsed.occasion?.minNoticeDays).toBe(30);
    expect(() => questionnaireSchema.parse({ questions: [...questions], occasion: { minNoticeDays: -1 } })).toThrow();
  });

  it('a date given on its day, or days before, waits for next year', () => {
    const now = at('2026-03-14T08:00:00Z');
    const today = { birthday: '03-14' };
    const sameDay = nextOccasion(questions, today, [], settings, now, 'UTC', { birthday: '2026-03-14T07:59:00Z' });
    expect(sameDay).toMatchObject({ year: 2027, at: at('2027-03-14T10:00:00Z') });
    const soon = { birthday: '2026-03-01T00:00:00Z' };
    expect(nextOccasion(questions, today, [], settings, now, 'UTC', soon)?.year).toBe(2027);
    // Given 30 days or more before the day: greeted this year.
    const early = { birthday: '2026-02-12T00:00:00Z' };
    expect(nextOccasion(questions, today, [], settings, now, 'UTC', early)?.year).toBe(2026);
    // Each date counts from when it was given: the old anniversary keeps its year.
    const both = { birthday: '03-14', anniversary: '03-20' };
    const times = { birthday: '2026-03-14T07:00:00Z', anniversary: '2025-06-01T00:00:00Z' };
    expect(nextOccasion(questions, both, [], settings, now, 'UTC', times)).toMatchObject({
      questionId: 'anniversary',
      year: 2026,
    });
    // No notice asked: the day itself still greets.
    const none = { ...settings, minNoticeDays: 0 };
    expect(nextOccasion(questions, today, [], none, now, 'UTC', { birthday: '2026-03-14T07:59:00Z' })?.year).toBe(2026);
  });

  it('a date changed after this year’s greeting does not greet again this year', () => {
    const now = at('2026-04-01T00:00:00Z');
    const moved = nextOccasion(questions, { birthday: '11-20' }, ['birthday/2026'], settings, now, 'UTC', {
      birthday: '2026-03-20T00:00:00Z',
    });
    expect(moved?.year).toBe(2027);
  });
});
