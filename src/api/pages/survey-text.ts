/**
 * What the survey and review-link pages say, in each language they speak: the "pages" section of the
 * same locale files the messages use (templates/locales). The locale a link claims only picks among
 * these fixed texts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { formatZodIssues } from '../../lib/validation';

export type Lang = 'en' | 'bn';

const LOCALES_DIR = path.resolve(__dirname, '../../../templates/locales');

const MAX_TOKEN_LENGTH = 4096;

const pageText = z.object({
  title: z.string(),
  hello: z.string(),
  intro: z.string(),
  legend: z.string(),
  stars: z.array(z.string()).length(5),
  scale: z.string(),
  comment: z.string(),
  send: z.string(),
  chooseRating: z.string(),
  commentTooLong: z.string(),
  checkAnswer: z.string(),
  thanks: z.string(),
  thanksBody: z.string(),
  updated: z.string(),
  canChange: z.string(),
  change: z.string(),
  invalid: z.string(),
  invalidBody: z.string(),
  closed: z.string(),
  closedBody: z.string(),
  alreadyClosed: z.string(),
  alreadyClosedBody: z.string(),
  unreadable: z.string(),
  unreadableBody: z.string(),
  error: z.string(),
  errorBody: z.string(),
  linkInvalidBody: z.string(),
  linkExpired: z.string(),
  linkExpiredBody: z.string(),
});

/** Fills {{name}}-style placeholders with plain text (the page escapes it). */
const fill = (template: string, vars: Record<string, string>) =>
  template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => vars[name] ?? whole);

/** The survey page's strings from templates/locales/<lang>.json ("pages.survey"), read once at start. */
function loadText(lang: Lang) {
  const file = path.join(LOCALES_DIR, `${lang}.json`);
  const parsed = pageText.safeParse(
    (JSON.parse(readFileSync(file, 'utf8')) as { pages?: { survey?: unknown } }).pages?.survey,
  );
  if (!parsed.success) {
    throw new Error(`${file}: pages.survey is incomplete: ${formatZodIssues(parsed.error).join('; ')}`);
  }
  const t = parsed.data;
  return {
    ...t,
    hello: (name: string) => fill(t.hello, { name }),
    intro: (brand: string, orderId: string) => fill(t.intro, { brand, orderId }),
    thanksBody: (brand: string) => fill(t.thanksBody, { brand }),
    alreadyClosedBody: (brand: string) => fill(t.alreadyClosedBody, { brand }),
  };
}

export const TEXT: Record<Lang, ReturnType<typeof loadText>> = { en: loadText('en'), bn: loadText('bn') };

export function langOf(locale: unknown): Lang | undefined {
  if (typeof locale !== 'string' || locale === '') return undefined;
  return locale.toLowerCase().split(/[-_]/)[0] === 'bn' ? 'bn' : 'en';
}

/**
 * The locale a failed token claims, only to pick the language of the "not valid" / "closed" page. Read
 * without trusting it: it selects between fixed texts and nothing else.
 */
export function peekLang(token: string): Lang | undefined {
  if (token.length > MAX_TOKEN_LENGTH) return undefined;
  const body = token.split('.')[0];
  if (!body || !/^[A-Za-z0-9_-]+$/.test(body)) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    const d = (claims as { d?: unknown } | null)?.d;
    return typeof d === 'object' && d !== null ? langOf((d as { l?: unknown }).l) : undefined;
  } catch {
    return undefined;
  }
}
