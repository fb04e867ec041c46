import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import Handlebars from 'handlebars';
import mjml2html from 'mjml';
import type { MessageKind } from '../contract';
import { localize, type Channel } from '../playbook/schema';
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
  offer: true,
};
export const MESSAGE_KINDS = Object.keys(KIND_SET) as MessageKind[];

const COMMON_KEYS = [
  'greeting',
  'order',
  'stage',
  'expected',
  'newExpected',
  'footer',
  'support',
  'unsubscribe',
  'optOutReply',
  'optOutTelegram',
  'telegramLink',
] as const;
const KIND_KEYS = ['subject', 'preheader', 'heading', 'text', 'cta'] as const;
/** Labels only the offer email needs, kept under kinds.offer next to its other strings. */
const OFFER_KEYS = ['servicesHeading', 'codeLabel', 'validUntil', 'conditionsLabel'] as const;
type CommonKey = (typeof COMMON_KEYS)[number];
type KindKey = (typeof KIND_KEYS)[number];
type OfferKey = (typeof OFFER_KEYS)[number];

/**
 * What a locale string must say or use, because the message is useless (or unlawful) without it: the
 * opt-out keywords are what the SMS provider and the Telegram bot act on, so translators must keep them
 * verbatim, and an offer text without its code, percent or expiry would sell nothing.
 */
const REQUIRED_LITERALS: Record<string, string> = {
  'common.optOutReply': 'STOP',
  'common.optOutTelegram': '/stop',
};
const REQUIRED_PLACEHOLDERS: Record<string, readonly (keyof TemplateVars)[]> = {
  'kinds.offer.text': ['code', 'discountPercent', 'expiresAt'],
  'kinds.offer.validUntil': ['expiresAt'],
};

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
  /** Offer only: the customer's personal code. */
  code?: string;
  /** Offer only: the discount as a number in the locale's digits, without the % sign. */
  discountPercent?: string;
  /** Offer only: when the code expires, formatted like eta. */
  expiresAt?: string;
  /** Offer only: the playbook's conditions in the chosen locale (clipped on messengers, left out of SMS). */
  conditions?: string;
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
  'code',
  'discountPercent',
  'expiresAt',
  'conditions',
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
  offer: Record<OfferKey, Template>;
}

/** What the compiled layout is filled with. Every value is plain text; the layout escapes it. */
interface LayoutData {
  lang: string;
  subject: string;
  preheader: string;
  brand: string;
  heading: string;
  greeting: string;
  paragraphs: string[];
  /** Offer emails only. */
  offer?: {
    servicesHeading: string;
    services: { name: string; price?: string }[];
    codeLabel: string;
    code: string;
    validUntil: string;
    conditionsLabel: string;
    conditions?: string;
  };
  details: { label: string; value: string }[];
  cta?: { label: string; url: string };
  contacts: { label: string; href: string }[];
  footer: string;
  telegramLink?: { label: string; url: string };
  unsubscribe?: { label: string; url: string };
}

/** Text channels get the short form; long customer text is clipped so an SMS stays an SMS. */
const TEXT_LIMITS = { name: 40, note: 160, reason: 160, conditions: 200 } as const;

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
  code: 'CODE-1',
  discountPercent: '10',
  expiresAt: 'Mar 31, 2030',
  conditions: 'Conditions',
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
    if (request.kind === 'offer' && !request.data.offer) throw new Error('an "offer" message needs data.offer');
    const textChannel = request.channel !== 'email';
    const vars = buildVars(request, locale, textChannel);
    vars.support = tidy(bundle.common.support(vars)) || undefined;
    const common = bundle.common;
    const links = linksFor(request, tidy(common.telegramLink(vars)), tidy(common.unsubscribe(vars)));

    const subject = tidy(kind.subject(vars));
    if (textChannel) {
      const lines = [tidy(kind.text(vars))];
      // links.telegram is only set for email and SMS; SMS is paid per segment, so only status updates carry it.
      if (links.telegram && request.kind === 'order_status')
        lines.push(`${links.telegram.label}: ${links.telegram.url}`);
      if (links.unsubscribe) lines.push(tidy(optOutHint(request.channel, common)(vars)));
      return { locale, subject, html: '', text: lines.join('\n') };
    }

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

    let offer: LayoutData['offer'];
    if (request.kind === 'offer' && request.data.offer) {
      const labels = bundle.offer;
      offer = {
        servicesHeading: tidy(labels.servicesHeading(vars)),
        services: request.data.offer.services.flatMap(({ name, price }) => {
          const text = tidy(localize(name, locale, request.fallbackLocale) ?? '');
          const cost = price === undefined ? '' : tidy(price);
          return text ? [cost ? { name: text, price: cost } : { name: text }] : [];
        }),
        codeLabel: tidy(labels.codeLabel(vars)),
        code: vars.code ?? '',
        validUntil: tidy(labels.validUntil(vars)),
        conditionsLabel: tidy(labels.conditionsLabel(vars)),
        conditions: vars.conditions,
      };
    }

    // An offer shows its code instead: the order it thanks for is named in the text.
    const details: { label: string; value: string }[] =
      request.kind === 'offer' ? [] : [{ label: tidy(common.order(vars)), value: vars.orderId }];
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
      offer,
      details,
      cta,
      contacts,
      footer,
      telegramLink: links.telegram,
      unsubscribe: links.unsubscribe,
    } satisfies LayoutData);

    const blocks = [
      greeting,
      heading,
      ...paragraphs,
      offer && offer.services.length > 0
        ? [
            `${offer.servicesHeading}:`,
            ...offer.services.map((s) => `- ${s.name}${s.price ? ` — ${s.price}` : ''}`),
          ].join('\n')
        : '',
      offer ? `${offer.codeLabel}: ${offer.code}\n${offer.validUntil}` : '',
      offer?.conditions ? `${offer.conditionsLabel}: ${offer.conditions}` : '',
      details.map((d) => `${d.label}: ${d.value}`).join('\n'),
      cta ? `${cta.label}: ${cta.url}` : '',
      [
        '--',
        vars.brand,
        ...contacts.map((c) => c.label),
        footer,
        links.telegram ? `${links.telegram.label}: ${links.telegram.url}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
      // Last, where people look for it.
      links.unsubscribe ? `${links.unsubscribe.label}: ${links.unsubscribe.url}` : '',
    ];
    const text = blocks.filter(Boolean).join('\n\n');
    return { locale, subject, html, text };
  }

  return { render, locales };
}

function buildVars(request: RenderRequest, locale: string, textChannel: boolean): TemplateVars {
  const { data, brand } = request;
  const offer = data.offer;
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
    code: offer?.code.trim(),
    discountPercent: offer === undefined ? undefined : formatNumber(offer.discountPercent, locale),
    expiresAt: offer === undefined ? undefined : formatDate(offer.expiresAt, locale, request.timeZone),
    // SMS leaves the conditions to the email and the website: a Bengali offer with them runs past three
    // segments, and the adapter's fitting would then cut the opt-out hint at the end.
    conditions:
      request.channel === 'sms'
        ? undefined
        : clip(localize(offer?.conditions, locale, request.fallbackLocale), TEXT_LIMITS.conditions),
  };
}

/** The opt-out words each channel acts on: the SMS provider and WhatsApp take STOP, the Telegram bot /stop. */
function optOutHint(channel: Channel, common: Record<CommonKey, Template>): Template {
  return channel === 'telegram' ? common.optOutTelegram : common.optOutReply;
}

/** The unsubscribe and Telegram links, with their localized labels; absent when not given. */
function linksFor(
  request: RenderRequest,
  telegramLabel: string,
  unsubscribeLabel: string,
): { telegram?: { label: string; url: string }; unsubscribe?: { label: string; url: string } } {
  const { unsubscribeUrl, telegramLinkUrl } = request.data;
  let unsubscribe: { label: string; url: string } | undefined;
  if (unsubscribeUrl !== undefined) {
    const url = httpUrl(unsubscribeUrl) ?? mailtoUrl(unsubscribeUrl);
    // A marketing message without a working way out must not go out at all.
    if (!url) throw new Error('data.unsubscribeUrl must be an http(s) or mailto: URL');
    unsubscribe = { label: unsubscribeLabel, url };
  }
  // Telegram links only make sense off Telegram, and WhatsApp users are already in a messenger.
  const telegramUrl = request.channel === 'email' || request.channel === 'sms' ? httpUrl(telegramLinkUrl) : undefined;
  return {
    telegram: telegramUrl ? { label: telegramLabel, url: telegramUrl } : undefined,
    unsubscribe,
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

const numberFormats = new Map<string, Intl.NumberFormat>();
/** In the locale's own digits (১৫ in Bengali), matching the dates next to it. */
function formatNumber(value: number, locale: string): string {
  let format = numberFormats.get(locale);
  if (!format) {
    format = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
    numberFormats.set(locale, format);
  }
  return format.format(value);
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

function mailtoUrl(url: string): string | undefined {
  return /^mailto:[^\s]+$/i.test(url) ? url : undefined;
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

async function compileLayout(hb: typeof Handlebars, file: string): Promise<HandlebarsTemplateDelegate<LayoutData>> {
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
  const template = hb.compile<LayoutData>(html, { knownHelpersOnly: true });
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
      offer: {
        servicesHeading: 'h',
        services: [{ name: 'SERVICE-1', price: 'PRICE-1' }],
        codeLabel: 'c',
        code: 'CODE-1',
        validUntil: 'VALID-1',
        conditionsLabel: 'c',
        conditions: 'CONDITIONS-1',
      },
      details: [{ label: 'l', value: 'DETAIL-1' }],
      cta: { label: 'c', url: 'https://cta.example/CTA-1' },
      contacts: [{ label: 'x', href: 'mailto:x@y' }],
      footer: 'FOOTER-1',
      telegramLink: { label: 'TELEGRAM-1', url: 'https://t.example/TELEGRAM-URL-1' },
      unsubscribe: { label: 'UNSUBSCRIBE-1', url: 'https://u.example/UNSUBSCRIBE-URL-1' },
    });
  } catch (err) {
    throw new Error(`${file}: the compiled layout is not a valid Handlebars template: ${(err as Error).message}`);
  }
  const markers = [
    'HEADING-1',
    'PARAGRAPH-1',
    'SERVICE-1',
    'PRICE-1',
    'CODE-1',
    'VALID-1',
    'CONDITIONS-1',
    'DETAIL-1',
    'CTA-1',
    'FOOTER-1',
    'TELEGRAM-1',
    'TELEGRAM-URL-1',
    'UNSUBSCRIBE-1',
    'UNSUBSCRIBE-URL-1',
  ];
  for (const marker of markers) {
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
    const literal = REQUIRED_LITERALS[where];
    if (literal !== undefined && !value.includes(literal)) {
      problems.push(`${where}: must contain "${literal}" verbatim (it is what the customer sends to opt out)`);
    }
    return compileString(hb, value, where, vars, problems, REQUIRED_PLACEHOLDERS[where] ?? []);
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
  const offerRaw = isObject(kindsRaw) ? kindsRaw.offer : undefined;
  const offer = Object.fromEntries(
    OFFER_KEYS.map((key) => [
      key,
      isObject(offerRaw) ? templateAt(offerRaw, key, `kinds.offer.${key}`, KIND_VARS) : () => '',
    ]),
  ) as Record<OfferKey, Template>;

  if (problems.length > 0) {
    throw new Error(`invalid message templates in ${file}:\n  - ${problems.join('\n  - ')}`);
  }
  return { common, kinds, offer };
}

/**
 * Compiles one locale string as plain text (no HTML escaping: the layout escapes the result once).
 * Placeholders must be known variables and blocks only #if/#unless, so a typo like {{stagelabel}}
 * is a startup error instead of a silently empty message. `required` names variables the string
 * must print (see REQUIRED_PLACEHOLDERS).
 */
function compileString(
  hb: typeof Handlebars,
  source: string,
  where: string,
  vars: ReadonlySet<string>,
  problems: string[],
  required: readonly string[] = [],
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
  for (const name of required) {
    if (!checker.printed.has(name)) checker.problems.push(`must use {{${name}}}`);
  }
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
  /** Variables the string prints (not merely tests with #if). */
  readonly printed = new Set<string>();
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
    if (mustache.path.type === 'PathExpression') {
      const name = (mustache.path as hbs.AST.PathExpression).parts[0];
      if (name !== undefined) this.printed.add(name);
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
