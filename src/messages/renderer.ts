import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import Handlebars from 'handlebars';
import mjml2html from 'mjml';
import type { MessageKind } from '../contract';
import { localize, type Channel } from '../playbook/schema';
import type { MessageData, MessageRenderer, RenderedMessage, RenderRequest } from './types';

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
  survey: true,
  survey_reminder: true,
  review_request: true,
  referral_request: true,
  care_followup: true,
  operator_alert: true,
  warranty_checkin: true,
  tier_upgrade: true,
  winback: true,
};
export const MESSAGE_KINDS = Object.keys(KIND_SET) as MessageKind[];

/** Kinds about one order: the email lists the order number. The others are about the customer. */
const ORDER_DETAIL_KINDS: ReadonlySet<MessageKind> = new Set<MessageKind>([
  'order_status',
  'order_delayed',
  'order_problem',
  'thank_you',
  'survey',
  'survey_reminder',
  'review_request',
  'care_followup',
  'operator_alert',
  'warranty_checkin',
]);
/** Kinds whose email shows the expected date next to the order number. */
const ETA_KINDS: ReadonlySet<MessageKind> = new Set<MessageKind>(['order_status', 'order_delayed', 'order_problem']);

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
/**
 * Strings only some kinds need, kept under kinds.<kind> next to their other strings: the labels of the offer
 * email, the code boxes of referral and win-back emails, and the operator alert's own footer (it goes to the
 * business, not to someone who "placed an order").
 */
const EXTRA_KEYS = {
  offer: ['servicesHeading', 'codeLabel', 'validUntil', 'conditionsLabel'],
  referral_request: ['codeLabel', 'rewardNote'],
  winback: ['codeLabel', 'validUntil'],
  operator_alert: ['footer'],
} as const satisfies Partial<Record<MessageKind, readonly string[]>>;
type CommonKey = (typeof COMMON_KEYS)[number];
type KindKey = (typeof KIND_KEYS)[number];
type ExtraKind = keyof typeof EXTRA_KEYS;
type Extras = { [K in ExtraKind]: Record<(typeof EXTRA_KEYS)[K][number], Template> };

/**
 * What a locale string must say or use, because the message is useless (or unlawful) without it: the
 * opt-out keywords are what the SMS provider and the Telegram bot act on, so translators must keep them
 * verbatim, and an offer text without its code, percent or expiry would sell nothing. Text forms carry
 * their link themselves (there is no button on SMS), so they must print it.
 */
const REQUIRED_LITERALS: Record<string, string> = {
  'common.optOutReply': 'STOP',
  'common.optOutTelegram': '/stop',
};
const REQUIRED_PLACEHOLDERS: Record<string, readonly (keyof TemplateVars)[]> = {
  'kinds.offer.text': ['code', 'discountPercent', 'expiresAt'],
  'kinds.offer.validUntil': ['expiresAt'],
  'kinds.survey.text': ['surveyUrl'],
  'kinds.survey_reminder.text': ['surveyUrl'],
  'kinds.review_request.text': ['reviewUrl'],
  'kinds.referral_request.text': ['code', 'rewardPercent'],
  'kinds.referral_request.rewardNote': ['rewardPercent'],
  'kinds.operator_alert.subject': ['rating', 'orderId'],
  'kinds.operator_alert.text': ['rating', 'orderId', 'customerName'],
  'kinds.warranty_checkin.text': ['endsAt'],
  'kinds.tier_upgrade.subject': ['tierLabel'],
  'kinds.tier_upgrade.text': ['tierLabel'],
  'kinds.winback.text': ['code', 'discountPercent', 'expiresAt'],
  'kinds.winback.validUntil': ['expiresAt'],
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
  /** Offer, win-back: the customer's personal code; referral request: the code they pass on. */
  code?: string;
  /** Offer, win-back, tier upgrade: the discount as a number in the locale's digits, without the % sign. */
  discountPercent?: string;
  /** Offer, win-back: when the code expires, formatted like eta. */
  expiresAt?: string;
  /** Offer only: the playbook's conditions in the chosen locale (clipped on messengers, left out of SMS). */
  conditions?: string;
  /** Survey and its reminder: the personal rating page (http(s) only). */
  surveyUrl?: string;
  /** Review request, warranty check-in: where to leave a review (http(s) only). */
  reviewUrl?: string;
  /** Referral request: the reward for each side, like discountPercent. */
  rewardPercent?: string;
  /** The customer's rating (1-5) in the locale's digits. */
  rating?: string;
  /** The customer's own words with their rating (clipped on text channels). */
  comment?: string;
  /** Operator alert: who the unhappy customer is, how to reach them, and the journey in the Temporal UI. */
  customerId?: string;
  customerName?: string;
  contact?: string;
  journeyUrl?: string;
  /** Warranty check-in: the items as a list in the locale ("A, B, and C"). */
  items?: string;
  /** Warranty check-in: the day the warranty ends (no time), in the customer's zone. */
  endsAt?: string;
  /** Warranty check-in: how long the customer has had it, with its unit ("3 years", "৩ বছর"); absent under a year. */
  yearsOwned?: string;
  /** Warranty check-in: the playbook's inspection offer in the chosen locale (left out of SMS). */
  inspectionOffer?: string;
  /** Thank-you, tier upgrade: the loyalty tier's name in the chosen locale. */
  tierLabel?: string;
  /** Thank-you, tier upgrade: the cashback balance as money in the locale ("€12.34"). */
  cashback?: string;
  /** Win-back: true on the second and last attempt. */
  lastAttempt: boolean;
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
  'surveyUrl',
  'reviewUrl',
  'rewardPercent',
  'rating',
  'comment',
  'customerId',
  'customerName',
  'contact',
  'journeyUrl',
  'items',
  'endsAt',
  'yearsOwned',
  'inspectionOffer',
  'tierLabel',
  'cashback',
  'lastAttempt',
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
  extras: Extras;
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
  /** Offer emails only: the services to cross-sell and the conditions of the code. */
  offer?: {
    servicesHeading: string;
    services: { name: string; price?: string }[];
    conditionsLabel: string;
    conditions?: string;
  };
  /** Offer, referral and win-back emails: the code in a box, with what it is worth or until when. */
  codeBox?: { label: string; code: string; note?: string };
  details: { label: string; value: string }[];
  cta?: { label: string; url: string };
  contacts: { label: string; href: string }[];
  footer: string;
  telegramLink?: { label: string; url: string };
  unsubscribe?: { label: string; url: string };
}

/** Text channels get the short form; long customer text is clipped so an SMS stays an SMS. */
const TEXT_LIMITS = {
  name: 40,
  note: 160,
  reason: 160,
  conditions: 200,
  comment: 100,
  customerName: 40,
  customerId: 40,
  contact: 40,
  items: 60,
  inspectionOffer: 160,
  tierLabel: 40,
} as const;

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
  surveyUrl: 'https://example.com/s/1',
  reviewUrl: 'https://example.com/r/1',
  rewardPercent: '10',
  rating: '2',
  comment: 'Comment',
  customerId: 'c-1',
  customerName: 'Customer Name',
  contact: '+10000000001',
  journeyUrl: 'https://temporal.example/w/1',
  items: 'Roof and Windows',
  endsAt: 'March 31, 2030',
  yearsOwned: '3 years',
  inspectionOffer: 'Inspection',
  tierLabel: 'Gold',
  cashback: '€12.34',
  lastAttempt: true,
};
const SAMPLE_MIN: TemplateVars = {
  name: 'Sample Name',
  orderId: 'A-1',
  isFinal: false,
  brand: 'Brand',
  lastAttempt: false,
};

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
    requireData(request);
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
    // The operator alert goes to the business itself: its own footer, and no "contact us" links to itself.
    const toOperator = request.kind === 'operator_alert';
    const footer = tidy((toOperator ? bundle.extras.operator_alert.footer : common.footer)(vars));

    let offer: LayoutData['offer'];
    if (request.kind === 'offer' && request.data.offer) {
      const labels = bundle.extras.offer;
      offer = {
        servicesHeading: tidy(labels.servicesHeading(vars)),
        services: request.data.offer.services.flatMap(({ name, price }) => {
          const text = tidy(localize(name, locale, request.fallbackLocale) ?? '');
          const cost = price === undefined ? '' : tidy(price);
          return text ? [cost ? { name: text, price: cost } : { name: text }] : [];
        }),
        conditionsLabel: tidy(labels.conditionsLabel(vars)),
        conditions: vars.conditions,
      };
    }
    const codeBox = codeBoxFor(request.kind, bundle.extras, vars);

    // Offers, referrals, win-backs and tier upgrades are about the customer, not one order: no order row.
    const details: { label: string; value: string }[] = ORDER_DETAIL_KINDS.has(request.kind)
      ? [{ label: tidy(common.order(vars)), value: vars.orderId }]
      : [];
    if (request.kind === 'order_status' && vars.stageLabel)
      details.push({ label: tidy(common.stage(vars)), value: vars.stageLabel });
    if (vars.eta && ETA_KINDS.has(request.kind) && !(request.kind === 'order_status' && vars.isFinal)) {
      const label = request.kind === 'order_delayed' ? common.newExpected : common.expected;
      details.push({ label: tidy(label(vars)), value: vars.eta });
    }

    const ctaUrl = ctaTarget(request.kind, vars, tidy(common.order(vars)));
    const cta = ctaUrl ? { label: tidy(kind.cta(vars)), url: ctaUrl } : undefined;

    const contacts: { label: string; href: string }[] = [];
    if (!toOperator) {
      if (vars.supportEmail) contacts.push({ label: vars.supportEmail, href: `mailto:${vars.supportEmail}` });
      if (vars.supportPhone)
        contacts.push({ label: vars.supportPhone, href: `tel:${vars.supportPhone.replace(/[^\d+]/g, '')}` });
      if (vars.website)
        contacts.push({ label: vars.website.replace(/^https?:\/\//, '').replace(/\/$/, ''), href: vars.website });
    }

    const html = layout({
      lang: locale,
      subject,
      preheader: tidy(kind.preheader(vars)),
      brand: vars.brand,
      heading,
      greeting,
      paragraphs,
      offer,
      codeBox,
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
      codeBox ? `${codeBox.label}: ${codeBox.code}${codeBox.note ? `\n${codeBox.note}` : ''}` : '',
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

/**
 * Refuses a message that would make no sense without its data: a survey without the page to rate on, a
 * win-back without its code. Each kind names the field, so the caller's bug is obvious in the failure.
 */
function requireData(request: RenderRequest): void {
  const { kind, data } = request;
  const missing = (what: string) => new Error(`a "${kind}" message needs ${what}`);
  switch (kind) {
    case 'offer':
      if (!data.offer) throw missing('data.offer');
      break;
    case 'survey':
    case 'survey_reminder':
      if (!httpUrl(data.surveyUrl)) throw missing('data.surveyUrl, an http(s) link to the rating page');
      break;
    case 'review_request':
      if (!httpUrl(data.reviewUrl)) throw missing('data.reviewUrl, an http(s) link to the review page');
      break;
    case 'referral_request':
      if (!data.referral?.code.trim()) throw missing('data.referral with a code and rewardPercent');
      break;
    case 'operator_alert':
      if (!data.feedback) throw missing('data.feedback (the rating and comment)');
      if (!data.operator) throw missing('data.operator (the customer and the journey link)');
      break;
    case 'warranty_checkin':
      if (!data.warranty) throw missing('data.warranty (items, endsAt, yearsOwned)');
      break;
    case 'tier_upgrade':
      if (!data.loyalty?.tierLabel && !data.loyalty?.tier?.trim())
        throw missing('data.loyalty with a tierLabel or tier');
      break;
    case 'winback':
      if (!data.winback) throw missing('data.winback (code, discountPercent, expiresAt, attempt)');
      break;
    default:
      break;
  }
}

/** The code, its value and its validity, from wherever the kind keeps them. */
function promotionOf(kind: MessageKind, data: MessageData): { code?: string; percent?: number; expiresAt?: string } {
  switch (kind) {
    case 'offer':
      return { code: data.offer?.code, percent: data.offer?.discountPercent, expiresAt: data.offer?.expiresAt };
    case 'winback':
      return { code: data.winback?.code, percent: data.winback?.discountPercent, expiresAt: data.winback?.expiresAt };
    case 'referral_request':
      return { code: data.referral?.code };
    case 'tier_upgrade':
      return { percent: data.loyalty?.discountPercent };
    default:
      return {};
  }
}

function buildVars(request: RenderRequest, locale: string, textChannel: boolean): TemplateVars {
  const { data, brand } = request;
  const { fallbackLocale, timeZone } = request;
  const clip = (value: string | undefined, max: number) =>
    value === undefined || !textChannel ? value : truncate(value.replace(/\s+/g, ' ').trim(), max);
  const isIssue = request.kind === 'order_delayed' || request.kind === 'order_problem';
  const promotion = promotionOf(request.kind, data);
  const { feedback, operator, warranty, loyalty, referral } = data;
  const items = warranty?.items.map((item) => item.trim()).filter(Boolean) ?? [];
  const tierLabel = (localize(loyalty?.tierLabel, locale, fallbackLocale) ?? loyalty?.tier)?.trim() || undefined;
  const currency = loyalty?.currency ?? data.currency;
  const balance = loyalty?.cashbackBalanceMinor;
  return {
    name: clip(request.recipientName, TEXT_LIMITS.name) ?? '',
    orderId: data.orderId,
    stageLabel: localize(data.stageLabel, locale, fallbackLocale),
    stageDescription: localize(data.stageDescription, locale, fallbackLocale),
    note: clip(data.note, TEXT_LIMITS.note),
    // The API accepts a note instead of a reason on issue notices; either way the customer reads it.
    // Templates end the reason's sentence themselves (in the locale's own full stop).
    reason: clip((data.reason ?? (isIssue ? data.note : undefined))?.trim().replace(/[.।]+$/u, ''), TEXT_LIMITS.reason),
    eta: data.eta === undefined ? undefined : formatDate(data.eta, locale, timeZone),
    isFinal: data.isFinal === true,
    brand: brand.name,
    supportEmail: brand.supportEmail,
    supportPhone: brand.supportPhone,
    website: httpUrl(brand.website),
    code: promotion.code?.trim(),
    discountPercent: promotion.percent === undefined ? undefined : formatNumber(promotion.percent, locale),
    expiresAt: promotion.expiresAt === undefined ? undefined : formatDate(promotion.expiresAt, locale, timeZone),
    // SMS leaves the conditions to the email and the website: a Bengali offer with them runs past three
    // segments, and the adapter's fitting would then cut the opt-out hint at the end.
    conditions:
      request.channel === 'sms' || request.kind !== 'offer'
        ? undefined
        : clip(localize(data.offer?.conditions, locale, fallbackLocale), TEXT_LIMITS.conditions),
    surveyUrl: httpUrl(data.surveyUrl),
    reviewUrl: httpUrl(data.reviewUrl),
    rewardPercent: referral === undefined ? undefined : formatNumber(referral.rewardPercent, locale),
    rating: feedback === undefined ? undefined : formatNumber(feedback.rating, locale),
    // Templates quote the comment themselves; a comment of only whitespace is no comment.
    comment: clip(feedback?.comment?.trim() || undefined, TEXT_LIMITS.comment),
    customerId: clip(operator?.customerId, TEXT_LIMITS.customerId),
    customerName: clip(operator?.customerName, TEXT_LIMITS.customerName),
    contact: clip(operator?.contact?.trim() || undefined, TEXT_LIMITS.contact),
    journeyUrl: httpUrl(operator?.journeyUrl),
    items: items.length === 0 ? undefined : clip(formatList(items, locale), TEXT_LIMITS.items),
    endsAt: warranty === undefined ? undefined : formatDay(warranty.endsAt, locale, timeZone),
    yearsOwned: warranty && warranty.yearsOwned >= 1 ? formatYears(warranty.yearsOwned, locale) : undefined,
    // Like the offer's conditions: the playbook's prose belongs in the email and on messengers, not in SMS.
    inspectionOffer:
      request.channel === 'sms'
        ? undefined
        : clip(localize(warranty?.inspectionOffer, locale, fallbackLocale), TEXT_LIMITS.inspectionOffer),
    tierLabel: clip(tierLabel, TEXT_LIMITS.tierLabel),
    cashback: balance === undefined || balance <= 0 || !currency ? undefined : formatMoney(balance, currency, locale),
    lastAttempt: data.winback?.attempt === 2,
  };
}

/** The code box of offer, referral and win-back emails; labels from the kind's own strings. */
function codeBoxFor(kind: MessageKind, extras: Extras, vars: TemplateVars): LayoutData['codeBox'] {
  if (!vars.code) return undefined;
  const box = (label: string, note: string) => ({
    label: tidy(label),
    code: vars.code!,
    note: tidy(note) || undefined,
  });
  if (kind === 'offer') return box(extras.offer.codeLabel(vars), extras.offer.validUntil(vars));
  if (kind === 'winback') return box(extras.winback.codeLabel(vars), extras.winback.validUntil(vars));
  if (kind === 'referral_request')
    return box(extras.referral_request.codeLabel(vars), extras.referral_request.rewardNote(vars));
  return undefined;
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
  // Telegram links only make sense off Telegram, and WhatsApp users are already in a messenger. The operator
  // alert goes to the business, whom a customer's Telegram link would only confuse.
  const telegramUrl =
    (request.channel === 'email' || request.channel === 'sms') && request.kind !== 'operator_alert'
      ? httpUrl(telegramLinkUrl)
      : undefined;
  return {
    telegram: telegramUrl ? { label: telegramLabel, url: telegramUrl } : undefined,
    unsubscribe,
  };
}

/**
 * Where the button goes. Bad news and care point at support (mail, with the order in the subject); surveys
 * and review requests at their page; the operator alert at the journey; the rest at the shop.
 */
function ctaTarget(kind: MessageKind, vars: TemplateVars, orderWord: string): string | undefined {
  const supportMail = () =>
    vars.supportEmail
      ? `mailto:${vars.supportEmail}?subject=${encodeURIComponent(`${orderWord} ${vars.orderId}`)}`
      : undefined;
  switch (kind) {
    case 'order_delayed':
    case 'order_problem':
    case 'care_followup':
      return supportMail();
    case 'survey':
    case 'survey_reminder':
      return vars.surveyUrl;
    case 'review_request':
      return vars.reviewUrl;
    case 'warranty_checkin':
      return vars.reviewUrl ?? supportMail();
    case 'operator_alert':
      return vars.journeyUrl;
    default:
      return vars.website;
  }
}

// Formatters are costly to build and few distinct (locale, zone) pairs occur; keep them.
const dateFormats = new Map<string, Intl.DateTimeFormat>();
function dateFormat(locale: string, timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}|${options.dateStyle}|${options.timeStyle}`;
  let format = dateFormats.get(key);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat(locale, { ...options, timeZone });
    } catch {
      // The API validates zones; a stale one in a running journey should not fail the message.
      format = new Intl.DateTimeFormat(locale, { ...options, timeZone: 'UTC' });
    }
    dateFormats.set(key, format);
  }
  return format;
}

export function formatDate(iso: string, locale: string, timeZone = 'UTC'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return dateFormat(locale, timeZone, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** A day without a time ("April 1, 2028"), as the customer's calendar shows it. */
export function formatDay(iso: string, locale: string, timeZone = 'UTC'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return dateFormat(locale, timeZone, { dateStyle: 'long' }).format(date);
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

/** "3 years", "1 year", "৩ বছর": the plural the locale wants. */
function formatYears(years: number, locale: string): string {
  return new Intl.NumberFormat(locale, { style: 'unit', unit: 'year', unitDisplay: 'long' }).format(Math.floor(years));
}

/** "Roof, Windows, and Heat pump"; "Roof, Windows এবং Heat pump". */
function formatList(items: string[], locale: string): string {
  return new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' }).format(items);
}

/**
 * Minor units as money in the locale ("€12.34", "১২.৩৪€"), with as many decimals as the currency has
 * (none for JPY, three for BHD). Undefined for a currency Intl does not know: better no line than a wrong sum.
 */
export function formatMoney(minor: number, currency: string, locale: string): string | undefined {
  try {
    const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
    return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(minor / 10 ** (digits ?? 2));
  } catch {
    return undefined;
  }
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
        conditionsLabel: 'c',
        conditions: 'CONDITIONS-1',
      },
      codeBox: { label: 'c', code: 'CODE-1', note: 'VALID-1' },
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
  const extras = Object.fromEntries(
    Object.entries(EXTRA_KEYS).map(([kind, keys]) => {
      const kindRaw = isObject(kindsRaw) ? kindsRaw[kind] : undefined;
      // A missing kind is reported above; its extras would only repeat it.
      const templates = keys.map((key) => [
        key,
        isObject(kindRaw) ? templateAt(kindRaw, key, `kinds.${kind}.${key}`, KIND_VARS) : () => '',
      ]);
      return [kind, Object.fromEntries(templates)];
    }),
  ) as Extras;

  if (problems.length > 0) {
    throw new Error(`invalid message templates in ${file}:\n  - ${problems.join('\n  - ')}`);
  }
  return { common, kinds, extras };
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
