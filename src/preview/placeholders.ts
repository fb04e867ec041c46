/**
 * What the preview cannot know in advance and shows by its shape: personal codes (random, made when a message
 * goes) and signed links (minted per message, with the customer's id in them: a preview must never mint a working
 * unsubscribe link).
 */
import { codeWith, type CodeFormat } from '../workflows/codes';

/** "DANAS-RXXXXXXX": the brand's letters and the kind's marker as the real code has them. */
export const placeholderCode = (brand: string, format: CodeFormat): string =>
  codeWith(brand, format, 'X'.repeat(format.length));

const BASE = 'https://preview.aftercare.invalid/';

/** Links the send activity adds, as placeholders the renderer accepts (http(s)). */
export const PLACEHOLDER_LINKS = {
  surveyUrl: `${BASE}survey`,
  reviewUrl: `${BASE}review`,
  unsubscribeUrl: `${BASE}unsubscribe`,
  journeyUrl: `${BASE}journey`,
  // As long as a real one (a signed token): whether a transactional SMS has room for it depends on its length.
  preferencesUrl: `${BASE}preferences/${'X'.repeat(130)}`,
} as const;

const NAMES: Record<keyof typeof PLACEHOLDER_LINKS, string> = {
  surveyUrl: '‹survey link›',
  reviewUrl: '‹review link›',
  unsubscribeUrl: '‹unsubscribe link›',
  journeyUrl: '‹journey link›',
  preferencesUrl: '‹preferences link›',
};

/** The rendered text with each placeholder link named instead ("Rate it: ‹survey link›"). */
export function nameLinks(text: string): string {
  let named = text;
  for (const [field, url] of Object.entries(PLACEHOLDER_LINKS)) {
    named = named.split(url).join(NAMES[field as keyof typeof PLACEHOLDER_LINKS]);
  }
  return named;
}
