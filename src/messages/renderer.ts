import path from 'node:path';
import Handlebars from 'handlebars';
import { renderEmail } from './email';
import { tidy } from './format';
import { kindSpec } from './kinds';
import { compileLayout } from './layout';
import { linksFor } from './parts';
import { loadLocales } from './templates';
import { renderText } from './text';
import type { MessageRenderer, RenderedMessage, RenderRequest } from './types';
import { variantTemplates } from './variant-texts';
import { buildVars } from './variables';

export { formatDate, formatDay, formatMoney } from './format';

/**
 * Turns a RenderRequest into subject, HTML and text. All template work that can fail or is slow
 * (reading files, MJML, Handlebars compiles, checking every locale) happens once in
 * createRenderer, so a broken template stops the worker at startup instead of failing messages,
 * and render() only fills in variables. What differs between kinds comes from their specs (kinds.ts).
 */
export async function createRenderer(opts: { templatesDir?: string } = {}): Promise<MessageRenderer> {
  const templatesDir = opts.templatesDir ?? path.resolve(__dirname, '../../templates');
  // An isolated instance: helpers someone registers globally never leak into customer messages.
  const hb = Handlebars.create();

  const layout = await compileLayout(hb, path.join(templatesDir, 'email', 'layout.mjml'));
  const bundles = await loadLocales(hb, path.join(templatesDir, 'locales'));
  // Lower-cased tag -> file name, so "pt-br" finds pt-BR.json.
  const byTag = new Map([...bundles.keys()].map((tag) => [tag.toLowerCase(), tag]));
  const locales = Object.freeze([...bundles.keys()].sort());
  const withVariant = variantTemplates(hb);

  function resolveLocale(requested: string | undefined, fallback: string): string {
    const candidates = [requested, baseLanguage(requested), fallback, baseLanguage(fallback), 'en'];
    for (const tag of candidates) {
      const found = tag === undefined ? undefined : byTag.get(tag.toLowerCase());
      if (found) return found;
    }
    return 'en'; // unreachable: loadLocales insists on en.json
  }

  function render(request: RenderRequest): RenderedMessage {
    const locale = resolveLocale(request.locale, request.fallbackLocale);
    const bundle = bundles.get(locale)!;
    const own = bundle.kinds[request.kind];
    const spec = kindSpec(request.kind);
    if (!own || !spec) throw new Error(`unknown message kind "${request.kind}"`);
    const templates = request.variant
      ? withVariant(own, request.kind, request.variant, locale, request.fallbackLocale)
      : own;
    requireData(request);
    const textChannel = request.channel !== 'email';
    const vars = buildVars(request, spec, locale, textChannel);
    const { common } = bundle;
    vars.support = tidy(common.support(vars)) || undefined;
    const links = linksFor(request, spec, {
      telegram: tidy(common.telegramLink(vars)),
      unsubscribe: tidy(common.unsubscribe(vars)),
      preferences: tidy(common.preferences(vars)),
    });
    const subject = tidy(templates.subject(vars));
    const parts = { request, locale, spec, common, templates, vars, subject, links };
    if (textChannel) return { locale, subject, html: '', text: renderText(parts) };
    return { locale, subject, ...renderEmail(parts, layout) };
  }

  return { render, locales };
}

/**
 * Refuses a message that would make no sense without its data: a survey without the page to rate on, a
 * win-back without its code. Each kind names the field, so the caller's bug is obvious in the failure.
 * Journeys build typed data, but recorded requests of old journeys reach here too.
 */
function requireData({ kind, data }: RenderRequest): void {
  for (const [what, present] of Object.entries(kindSpec(kind)?.needs ?? {})) {
    if (!present(data)) throw new Error(`a "${kind}" message needs ${what}`);
  }
}

function baseLanguage(tag: string | undefined): string | undefined {
  return tag?.split('-')[0];
}
