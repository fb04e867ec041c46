/**
 * A variant's own texts (src/messages/variants.ts), as Handlebars strings with the same rules as the locale files:
 * known variables only, and whatever the kind must print (an SMS review ask without its link asks for nothing).
 * Checked when the playbook loads, so a typo stops the start with its field named; compiled once per string when a
 * message uses it. Node only (Handlebars): the workflows never render.
 */
import Handlebars from 'handlebars';
import { kindSpec, type MessageKind } from './kinds';
import { localize, type LocalizedText } from './localized';
import { compileString, type KindTemplates, type Template } from './templates';
import { KIND_VARS } from './variables';
import { VARIANT_TEXT_KEYS, type VariantSettings, type VariantTextKey, type VariantTexts } from './variants';

/** A body is the email's paragraphs: a blank line starts the next one. */
export function paragraphsOf(body: string): string[] {
  return body
    .split(/\n[ \t]*\n/)
    .map((p) => p.trim())
    .filter(Boolean);
}

/** What a string of the kind must print (its mustPrint); the paragraphs must print nothing in particular. */
const requiredFor = (kind: MessageKind, key: VariantTextKey) =>
  key === 'body' ? [] : (kindSpec(kind)?.mustPrint?.[key] ?? []);

/** Every problem of every variant text in the playbook, each naming its field ("messages.survey.variants[1].subject"). */
export function variantTextProblems(messages: Partial<Record<MessageKind, VariantSettings | undefined>>): string[] {
  const hb = Handlebars.create();
  const problems: string[] = [];
  for (const [kind, settings] of Object.entries(messages) as [MessageKind, VariantSettings | undefined][]) {
    settings?.variants?.forEach((variant, i) => {
      for (const key of VARIANT_TEXT_KEYS) {
        for (const [where, source] of stringsOf(variant[key], `messages.${kind}.variants[${i}].${key}`)) {
          const sources = key === 'body' ? paragraphsOf(source) : [source];
          if (sources.length === 0) problems.push(`${where}: is empty`);
          for (const s of sources) compileString(hb, s, where, KIND_VARS, problems, requiredFor(kind, key));
        }
      }
    });
  }
  return problems;
}

function stringsOf(text: LocalizedText | undefined, where: string): [string, string][] {
  if (text === undefined) return [];
  if (typeof text === 'string') return [[where, text]];
  return Object.entries(text).map(([locale, s]) => [`${where}.${locale}`, s]);
}

const MAX_CACHED = 500;

/**
 * The kind's templates with a variant's texts in place of its own, in the locale being rendered (a variant without
 * a text for it falls back as playbook texts do: base language, default locale, any). Strings the variant leaves
 * out stay the kind's. Each distinct string is compiled once.
 */
export function variantTemplates(hb: typeof Handlebars) {
  const cache = new Map<string, Template>();
  const compiled = (kind: MessageKind, key: VariantTextKey, source: string): Template => {
    const id = `${kind}\u0000${key}\u0000${source}`;
    const hit = cache.get(id);
    if (hit) return hit;
    const problems: string[] = [];
    const template = compileString(
      hb,
      source,
      `variant text ${kind}.${key}`,
      KIND_VARS,
      problems,
      requiredFor(kind, key),
    );
    // The playbook was checked when it loaded; this only trips if the variables changed under a running journey.
    if (problems.length > 0) throw new Error(`invalid playbook variant text: ${problems.join('; ')}`);
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(id, template);
    return template;
  };

  return function withVariant(
    base: KindTemplates,
    kind: MessageKind,
    texts: VariantTexts,
    locale: string,
    fallbackLocale: string,
  ): KindTemplates {
    const out: KindTemplates = { ...base };
    for (const key of VARIANT_TEXT_KEYS) {
      const source = localize(texts[key], locale, fallbackLocale);
      if (source === undefined || source.trim() === '') continue;
      if (key === 'body') out.paragraphs = paragraphsOf(source).map((p) => compiled(kind, key, p));
      else out[key] = compiled(kind, key, source);
    }
    return out;
  };
}
