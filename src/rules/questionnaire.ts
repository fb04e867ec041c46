/**
 * The questionnaire's rules: which answers fit the playbook's questions, and when an occasion's greeting is due.
 * Workflows import this module (the lifecycle's validator and timers) and so do the page and the preview: it stays
 * deterministic (no I/O, no clocks: callers pass `nowMs`; zone rules from Intl, as quiet hours).
 */
import type { LocalizedText } from '../messages/localized';
import { resolveZone, zonedParts, zonedTimeToUtc } from './quiet-hours';

/** What the rules need of a question (the playbook's, without zod). */
export interface QuestionRule {
  id: string;
  kind: 'choice' | 'multi' | 'text' | 'date';
  label: LocalizedText;
  options?: readonly { id: string; label: LocalizedText }[];
  use?: 'interests' | 'occasion';
  occasionName?: LocalizedText;
  maxLength?: number;
}

export type Answers = Record<string, string | string[]>;

/** Whether the customer may answer: their invitation went (it was not skipped). Before that, nobody may. */
export const questionnaireOpen = (q: { invitedAt?: string; inviteSkipped?: string } | undefined): boolean =>
  !!q?.invitedAt && !q.inviteSkipped;

/** The longest free-text answer when the question sets none. */
export const DEFAULT_TEXT_MAX = 200;

const DATE = /^(?:(\d{4})-)?(\d{2})-(\d{2})$/;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A day of the year from "MM-DD" or "YYYY-MM-DD" (the year is kept only to check the day exists). */
export function parseOccasionDate(text: string): { month: number; day: number } | undefined {
  const match = DATE.exec(text);
  if (!match) return undefined;
  const year = match[1] === undefined ? undefined : Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1) return undefined;
  const leap = year === undefined || (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0));
  const max = month === 2 && !leap ? 28 : DAYS_IN_MONTH[month - 1]!;
  if (day > max || (year !== undefined && (year < 1900 || year > 2100))) return undefined;
  return { month, day };
}

/** What is wrong with the answers, as "<question id>: <problem>" (empty: they fit the questions). */
export function answerProblems(questions: readonly QuestionRule[], answers: unknown): string[] {
  if (typeof answers !== 'object' || answers === null || Array.isArray(answers)) return ['answers must be an object'];
  const byId = new Map(questions.map((q) => [q.id, q]));
  const problems: string[] = [];
  for (const [id, value] of Object.entries(answers as Record<string, unknown>)) {
    const question = byId.get(id);
    if (!question) {
      problems.push(`${id}: no such question`);
      continue;
    }
    const problem = problemOf(question, value);
    if (problem) problems.push(`${id}: ${problem}`);
  }
  return problems;
}

function problemOf(question: QuestionRule, value: unknown): string | undefined {
  const options = new Set((question.options ?? []).map((o) => o.id));
  switch (question.kind) {
    case 'choice':
      return typeof value === 'string' && options.has(value) ? undefined : 'must be one of its options';
    case 'multi':
      if (!Array.isArray(value) || value.length === 0) return 'must be a list of its options';
      if (!value.every((v) => typeof v === 'string' && options.has(v))) return 'must be a list of its options';
      return new Set(value).size === value.length ? undefined : 'names an option twice';
    case 'text': {
      if (typeof value !== 'string' || value.trim() === '') return 'must be a text';
      const max = question.maxLength ?? DEFAULT_TEXT_MAX;
      return value.length > max ? `must be at most ${max} characters` : undefined;
    }
    case 'date':
      return typeof value === 'string' && parseOccasionDate(value)
        ? undefined
        : 'must be a date as MM-DD or YYYY-MM-DD';
  }
}

/** The labels of the options chosen for questions used as interests, in the playbook's order (at most `max`). */
export function chosenInterests(questions: readonly QuestionRule[], answers: Answers, max = 5): LocalizedText[] {
  const labels: LocalizedText[] = [];
  for (const question of questions) {
    if (question.use !== 'interests') continue;
    const answer = answers[question.id];
    const chosen = new Set(typeof answer === 'string' ? [answer] : (answer ?? []));
    for (const option of question.options ?? []) if (chosen.has(option.id)) labels.push(option.label);
  }
  return labels.slice(0, max);
}

export interface OccasionSettings {
  sendAt: string;
  leadDays: number;
  /** Days an occasion's date must be known before its day to be greeted that year (absent: 0). */
  minNoticeDays?: number;
}

export interface DueOccasion {
  questionId: string;
  /** The occasion's name in greetings. */
  name: LocalizedText;
  /** The occasion's day this year, "MM-DD". */
  date: string;
  /** The year of the occasion (greeted once per occasion and year: "<question id>/<year>"). */
  year: number;
  /** When the greeting goes (UTC ms); in the past when it is due now. */
  at: number;
}

const DAY_MS = 86_400_000;
const pad = (n: number) => String(n).padStart(2, '0');
export const greetingKey = (questionId: string, year: number) => `${questionId}/${year}`;

/**
 * The next greeting due: for each occasion the customer gave, its next day at `sendAt` (less `leadDays`) in their
 * time zone (UTC when unknown). One not yet greeted whose day has not ended is due, even if `sendAt` passed. A date
 * given (or changed, `setAt` per question) less than `minNoticeDays` before its day is not greeted that year: a
 * customer cannot get a code on demand by answering "today". Earliest first; undefined when none.
 */
export function nextOccasion(
  questions: readonly QuestionRule[],
  answers: Answers,
  greeted: readonly string[],
  settings: OccasionSettings,
  nowMs: number,
  timeZone: string | undefined,
  setAt: Readonly<Record<string, string>> = {},
): DueOccasion | undefined {
  const zone = resolveZone(timeZone);
  const [hour, minute] = settings.sendAt.split(':').map(Number) as [number, number];
  const thisYear = zonedParts(nowMs, zone).year;
  let next: DueOccasion | undefined;
  for (const question of questions) {
    const answer = answers[question.id];
    if (question.use !== 'occasion' || typeof answer !== 'string') continue;
    const date = parseOccasionDate(answer);
    if (!date) continue;
    const given = setAt[question.id] === undefined ? NaN : Date.parse(setAt[question.id]!);
    const noticeMs = (settings.minNoticeDays ?? 0) * DAY_MS;
    for (const year of [thisYear - 1, thisYear, thisYear + 1]) {
      if (greeted.includes(greetingKey(question.id, year))) continue;
      // 29 February in a year without it: the 28th.
      const day =
        date.month === 2 && date.day === 29 && new Date(Date.UTC(year, 1, 29)).getUTCMonth() !== 1 ? 28 : date.day;
      const sendDay = new Date(Date.UTC(year, date.month - 1, day) - settings.leadDays * DAY_MS);
      const at = zonedTimeToUtc(
        { year: sendDay.getUTCFullYear(), month: sendDay.getUTCMonth() + 1, day: sendDay.getUTCDate(), hour, minute },
        zone,
      );
      const dayStarts = zonedTimeToUtc({ year, month: date.month, day, hour: 0, minute: 0 }, zone);
      if (nowMs >= dayStarts + DAY_MS) continue;
      if (noticeMs > 0 && given > dayStarts - noticeMs) continue;
      if (!next || at < next.at) {
        next = {
          questionId: question.id,
          name: question.occasionName ?? question.label,
          date: `${pad(date.month)}-${pad(day)}`,
          year,
          at,
        };
      }
      break;
    }
  }
  return next;
}
