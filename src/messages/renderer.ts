import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import Handlebars from 'handlebars';
import mjml2html from 'mjml';
import type { MessageKind } from '../contract';
import { localize } from '../playbook/schema';
import type { MessageRenderer, RenderedMessage, RenderRequest } from './types';

/**
 * Turns a RenderRequest into subject, HTML and text. All template work that can fail or is slow
 * (reading files, MJML, Handlebars compiles, checking every locale) happens once in
 * createRenderer, so a broken template stops the worker at startup instead of failing messages,
 * and render() only fills in variables.
 */

// A Record, not an array, so adding a MessageKind to the contract fails to compile until it is here.
const KIND_SET: Record<MessageKind, true> = {
  order_status: true,
  order_delayed: true,
  order_problem: true,
  thank_you: true,
};
export const MESSAGE_KINDS = Object.keys(KIND_SET) as MessageKind[];

const COMMON_KEYS = ['greeting', 'order', 'stage', 'expected', 'newExpected', 'footer', 'support'] as const;
const KIND_KEYS = ['subject', 'preheader', 'heading', 'text', 'cta'] as const;
type CommonKey = (typeof COMMON_KEYS)[number];
type KindKey = (typeof KIND_KEYS)[number];

/** The variables locale strings may use. `support` is common.support rendered, so only kinds get it. */
export interface TemplateVars {
  name: string;
  orderId: string;
  stageLabel?: string;
  stageDescription?: string;
  note?: string;
  reason?: string;
  /** Formatted for the chosen locale and the customer's time zone. */
  eta?: string;
  isFinal: boolean;
  brand: string;
  supportEmail?: string;
  supportPhone?: string;
  website?: string;
  support?: string;
}
const COMMON_VARS: ReadonlySet<string> = new Set([
  'name',
  'orderId',
  'stageLabel',
  'stageDescription',
  'note',
  'reason',
  'eta',
  'isFinal',
  'brand',
  'supportEmail',
  'supportPhone',
  'website',
] satisfies (keyof TemplateVars)[]);
const KIND_VARS: ReadonlySet<string> = new Set([...COMMON_VARS, 'support']);
const BLOCK_HELPERS: ReadonlySet<string> = new Set(['if', 'unless']);

type Template = (vars: TemplateVars) => string;
interface KindTemplates extends Record<KindKey, Template> {
  paragraphs: Template[];
}
interface LocaleBundle {
  common: Record<CommonKey, Template>;
  kinds: Record<MessageKind, KindTemplates>;
}

/** Text channels get the short form; long customer text is clipped so an SMS stays an SMS. */
const TEXT_LIMITS = { name: 40, note: 160, reason: 160 } as const;

const SAMPLE_FULL: TemplateVars = {
  name: 'Sample Name',
  orderId: 'A-1',
  stageLabel: 'Stage',
  stageDescription: 'Description',
  note: 'Note',
  reason: 'Reason',
  eta: 'Mar 1, 2030',
  isFinal: true,
  brand: 'Brand',
  supportEmail: 'help@example.com',
  supportPhone: '+10000000000',
  website: 'https://example.com',
  support: 'Support',
};
const SAMPLE_MIN: TemplateVars = { name: 'Sample Name', orderId: 'A-1', isFinal: false, brand: 'Brand' };

export async function createRenderer(opts: { templatesDir?: string } = {}): Promise<MessageRenderer> {
  const templatesDir = opts.templatesDir ?? path.resolve(__dirname, '../../templates');
  // An isolated instance: helpers someone registers globally never leak into customer messages.
  const hb = Handlebars.create();

  const layout = await compileLayout(hb, path.join(templatesDir, 'email', 'layout.mjml'));
  const bundles = await loadLocales(hb, path.join(templatesDir, 'locales'));
  // Lower-cased tag -> file name, so "pt-br" finds pt-BR.json.
  const byTag = new Map([...bundles.keys()].map((tag) => [tag.toLowerCase(), tag]));
  const locales = Object.freeze([...bundles.keys()].sort());

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
    const kind = bundle.kinds[request.kind];
    if (!kind) throw new Error(`unknown message kind "${request.kind}"`);
    const textChannel = request.channel !== 'email';
    const vars = buildVars(request, locale, textChannel);
    vars.support = tidy(bundle.common.support(vars)) || undefined;

    const subject = tidy(kind.subject(vars));
    if (textChannel) return { locale, subject, html: '', text: tidy(kind.text(vars)) };

    const common = bundle.common;
    const heading = tidy(kind.heading(vars)) || subject;
    const greeting = tidy(common.greeting(vars));
    const paragraphs = kind.paragraphs
      .map((p) =>
        p(vars)
          .replace(/[ \t]+/g, ' ')
          .trim(),
      )
      .filter(Boolean);
    const footer = tidy(common.footer(vars));

    const details: { label: string; value: string }[] = [{ label: tidy(common.order(vars)), value: vars.orderId }];
    if (request.kind === 'order_status' && vars.stageLabel)
      details.push({ label: tidy(common.stage(vars)), value: vars.stageLabel });
    if (vars.eta && request.kind !== 'thank_you' && !(request.kind === 'order_status' && vars.isFinal)) {
      const label = request.kind === 'order_delayed' ? common.newExpected : common.expected;
      details.push({ label: tidy(label(vars)), value: vars.eta });
    }

    const ctaUrl = ctaTarget(request.kind, vars, tidy(common.order(vars)));
    const cta = ctaUrl ? { label: tidy(kind.cta(vars)), url: ctaUrl } : undefined;

    const contacts: { label: string; href: string }[] = [];
    if (vars.supportEmail) contacts.push({ label: vars.supportEmail, href: `mailto:${vars.supportEmail}` });
    if (vars.supportPhone)
      contacts.push({ label: vars.supportPhone, href: `tel:${vars.supportPhone.replace(/[^\d+]/g, '')}` });
    if (vars.website)
      contacts.push({ label: vars.website.replace(/^https?:\/\//, '').replace(/\/$/, ''), href: vars.website });

    const html = layout({
      lang: locale,
      subject,
      preheader: tidy(kind.preheader(vars)),
      brand: vars.brand,
      heading,
      greeting,
      paragraphs,
      details,
      cta,
      contacts,
      footer,
    });

    const blocks = [
      greeting,
      heading,
      ...paragraphs,
      details.map((d) => `${d.label}: ${d.value}`).join('\n'),
      cta ? `${cta.label}: ${cta.url}` : '',
      ['--', vars.brand, ...contacts.map((c) => c.label), footer].join('\n'),
    ];
    const text = blocks.filter(Boolean).join('\n\n');
    return { locale, subject, html, text };
  }

  return { render, locales };
}

function buildVars(request: RenderRequest, locale: string, textChannel: boolean): TemplateVars {
  const { data, brand } = request;
  const clip = (value: string | undefined, max: number) =>
    value === undefined || !textChannel ? value : truncate(value.replace(/\s+/g, ' ').trim(), max);
  const isIssue = request.kind === 'order_delayed' || request.kind === 'order_problem';
  return {
    name: clip(request.recipientName, TEXT_LIMITS.name) ?? '',
    orderId: data.orderId,
    stageLabel: localize(data.stageLabel, locale, request.fallbackLocale),
    stageDescription: localize(data.stageDescription, locale, request.fallbackLocale),
    note: clip(data.note, TEXT_LIMITS.note),
    // The API accepts a note instead of a reason on issue notices; either way the customer reads it.
    // Templates end the reason's sentence themselves (in the locale's own full stop).
    reason: clip((data.reason ?? (isIssue ? data.note : undefined))?.trim().replace(/[.।]+$/u, ''), TEXT_LIMITS.reason),
    eta: data.eta === undefined ? undefined : formatDate(data.eta, locale, request.timeZone),
    isFinal: data.isFinal === true,
    brand: brand.name,
    supportEmail: brand.supportEmail,
    supportPhone: brand.supportPhone,
    website: httpUrl(brand.website),
  };
}

/** Issue notices point at support (mail, with the order in the subject); the rest at the shop. */
function ctaTarget(kind: MessageKind, vars: TemplateVars, orderWord: string): string | undefined {
  if (kind === 'order_delayed' || kind === 'order_problem') {
    if (!vars.supportEmail) return undefined;
    return `mailto:${vars.supportEmail}?subject=${encodeURIComponent(`${orderWord} ${vars.orderId}`)}`;
  }
  return vars.website;
}

// Formatters are costly to build and few distinct (locale, zone) pairs occur; keep them.
const dateFormats = new Map<string, Intl.DateTimeFormat>();
export function formatDate(iso: string, locale: string, timeZone = 'UTC'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const key = `${locale}|${timeZone}`;
  let format = dateFormats.get(key);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone });
    } catch {
      // The API validates zones; a stale one in a running journey should not fail the message.
      format = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
    }
    dateFormats.set(key, format);
  }
  return format.format(date);
}

function baseLanguage(tag: string | undefined): string | undefined {
  return tag?.split('-')[0];
}

function httpUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

function tidy(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function truncate(text: string, max: number): string {
  const chars = Array.from(text); // by code point, so Bengali and emoji are not cut mid-character
  return chars.length <= max
    ? text
    : `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`;
}

// ---------------------------------------------------------------------------------------------
// Loading and checking templates (startup only).
// ---------------------------------------------------------------------------------------------

async function compileLayout(hb: typeof Handlebars, file: string): Promise<HandlebarsTemplateDelegate> {
  const source = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new Error(`cannot read email layout ${file}: ${(err as Error).message}`);
  });
  let html: string;
  try {
    ({ html } = await mjml2html(source, { validationLevel: 'strict', filePath: file }));
  } catch (err) {
    const details = (err as { errors?: { formattedMessage?: string; message?: string }[] }).errors;
    const lines = details?.map((e) => e.formattedMessage ?? e.message).join('\n') ?? (err as Error).message;
    throw new Error(`${file}: MJML validation failed:\n${lines}`);
  }
  const template = hb.compile(html, { knownHelpersOnly: true });
  // Trial render: compiles now, and proves MJML kept the placeholders we fill in.
  let out: string;
  try {
    out = template({
      lang: 'en',
      subject: 's',
      preheader: 'p',
      brand: 'b',
      heading: 'HEADING-1',
      greeting: 'g',
      paragraphs: ['PARAGRAPH-1'],
      details: [{ label: 'l', value: 'DETAIL-1' }],
      cta: { label: 'c', url: 'https://cta.example/CTA-1' },
      contacts: [{ label: 'x', href: 'mailto:x@y' }],
      footer: 'FOOTER-1',
    });
  } catch (err) {
    throw new Error(`${file}: the compiled layout is not a valid Handlebars template: ${(err as Error).message}`);
  }
  for (const marker of ['HEADING-1', 'PARAGRAPH-1', 'DETAIL-1', 'CTA-1', 'FOOTER-1']) {
    if (!out.includes(marker))
      throw new Error(`${file}: a placeholder was lost in the MJML compile (no ${marker} in a trial render)`);
  }
  return template;
}

async function loadLocales(hb: typeof Handlebars, dir: string): Promise<Map<string, LocaleBundle>> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
  const bundles = new Map<string, LocaleBundle>();
  for (const name of files) {
    const tag = name.slice(0, -'.json'.length);
    const file = path.join(dir, name);
    if (!/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(tag)) {
      throw new Error(`${file}: locale files must be named by language tag, e.g. "en.json" or "bn.json"`);
    }
    bundles.set(tag, loadLocale(hb, file, await readFile(file, 'utf8')));
  }
  if (!bundles.has('en')) throw new Error(`${path.join(dir, 'en.json')} is missing: "en" is the last fallback locale`);
  return bundles;
}

function loadLocale(hb: typeof Handlebars, file: string, source: string): LocaleBundle {
  let raw: unknown;
  try {
    raw = JSON.parse(source);
  } catch (err) {
    throw new Error(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  const problems: string[] = [];
  const templateAt = (obj: unknown, key: string, where: string, vars: ReadonlySet<string>): Template =>
    templateOf(isObject(obj) ? obj[key] : undefined, where, vars);
  const templateOf = (value: unknown, where: string, vars: ReadonlySet<string>): Template => {
    if (typeof value !== 'string' || value.trim() === '') {
      problems.push(`${where}: missing (expected a non-empty string)`);
      return () => '';
    }
    return compileString(hb, value, where, vars, problems);
  };

  const root = isObject(raw) ? raw : {};
  const commonRaw = root.common;
  if (!isObject(commonRaw)) problems.push('common: missing (expected an object)');
  const common = Object.fromEntries(
    COMMON_KEYS.map((key) => [key, templateAt(commonRaw, key, `common.${key}`, COMMON_VARS)]),
  ) as Record<CommonKey, Template>;

  const kindsRaw = root.kinds;
  if (!isObject(kindsRaw)) problems.push('kinds: missing (expected an object)');
  const kinds = {} as Record<MessageKind, KindTemplates>;
  for (const kind of MESSAGE_KINDS) {
    const kindRaw = isObject(kindsRaw) ? kindsRaw[kind] : undefined;
    if (!isObject(kindRaw)) {
      problems.push(`kinds.${kind}: missing (expected an object)`);
      continue;
    }
    const entry = Object.fromEntries(
      KIND_KEYS.map((key) => [key, templateAt(kindRaw, key, `kinds.${kind}.${key}`, KIND_VARS)]),
    ) as Record<KindKey, Template>;
    const paragraphsRaw = kindRaw.paragraphs;
    let paragraphs: Template[] = [];
    if (!Array.isArray(paragraphsRaw) || paragraphsRaw.length === 0) {
      problems.push(`kinds.${kind}.paragraphs: missing (expected a non-empty array of strings)`);
    } else {
      paragraphs = paragraphsRaw.map((value: unknown, i) =>
        templateOf(value, `kinds.${kind}.paragraphs[${i}]`, KIND_VARS),
      );
    }
    kinds[kind] = { ...entry, paragraphs };
  }

  if (problems.length > 0) {
    throw new Error(`invalid message templates in ${file}:\n  - ${problems.join('\n  - ')}`);
  }
  return { common, kinds };
}

/**
 * Compiles one locale string as plain text (no HTML escaping: the layout escapes the result once).
 * Placeholders must be known variables and blocks only #if/#unless, so a typo like {{stagelabel}}
 * is a startup error instead of a silently empty message.
 */
function compileString(
  hb: typeof Handlebars,
  source: string,
  where: string,
  vars: ReadonlySet<string>,
  problems: string[],
): Template {
  let ast: hbs.AST.Program;
  try {
    ast = Handlebars.parse(source);
  } catch (err) {
    problems.push(`${where}: ${(err as Error).message.replace(/\s+/g, ' ')}`);
    return () => '';
  }
  const checker = new PlaceholderCheck(vars);
  checker.accept(ast);
  if (checker.problems.length > 0) {
    problems.push(...checker.problems.map((p) => `${where}: ${p}`));
    return () => '';
  }
  const template = hb.compile<TemplateVars>(ast, { noEscape: true, knownHelpersOnly: true });
  try {
    // Handlebars compiles lazily; run it now so runtime errors surface at startup.
    template(SAMPLE_FULL);
    template(SAMPLE_MIN);
  } catch (err) {
    problems.push(`${where}: ${(err as Error).message}`);
  }
  return template;
}

class PlaceholderCheck extends Handlebars.Visitor {
  readonly problems: string[] = [];
  constructor(private readonly vars: ReadonlySet<string>) {
    super();
  }
  override BlockStatement(block: hbs.AST.BlockStatement): void {
    if (!BLOCK_HELPERS.has(block.path.original)) {
      this.problems.push(`{{#${block.path.original}}} is not supported; use {{#if}} or {{#unless}}`);
    }
    this.acceptArray(block.params);
    if (block.program) this.accept(block.program);
    if (block.inverse) this.accept(block.inverse);
  }
  override MustacheStatement(mustache: hbs.AST.MustacheStatement): void {
    if (mustache.params.length > 0 || mustache.hash) {
      this.problems.push('helper calls are not supported; use plain {{variables}}');
    }
    this.accept(mustache.path);
  }
  override PathExpression(p: hbs.AST.PathExpression): void {
    const name = p.parts[0];
    if (p.data || p.depth > 0 || p.parts.length !== 1 || name === undefined || !this.vars.has(name)) {
      this.problems.push(`unknown placeholder {{${p.original}}}; known: ${[...this.vars].join(', ')}`);
    }
  }
  override PartialStatement(): void {
    this.problems.push('partials are not supported');
  }
  override SubExpression(): void {
    this.problems.push('subexpressions are not supported');
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
