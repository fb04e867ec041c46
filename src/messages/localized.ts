/** Text a business writes once for every language, or once per language tag (playbook labels, offers). */
export type LocalizedText = string | Record<string, string>;

/** Picks the text for a locale, falling back to its base language, the default locale, then any text. */
export function localize(text: LocalizedText | undefined, locale: string, fallback: string): string | undefined {
  if (text === undefined || typeof text === 'string') return text;
  return text[locale] ?? text[locale.split('-')[0] ?? locale] ?? text[fallback] ?? Object.values(text)[0];
}
