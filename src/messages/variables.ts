/**
 * The variables locale strings may use, declared once: the type, the names startup accepts, the samples it
 * trial-renders every string with, and how long each may be on text channels all come from VARIABLES.
 */
import type { Promotion, RecordedMessageData } from './data';
import { formatDate, formatDay, formatList, formatMoney, formatNumber, formatTimeOwned, truncate } from './format';
import { localize } from './localized';
import type { RenderRequest } from './types';
import { httpUrl } from './urls';

interface Variable {
  /** What startup renders every string with (all variables set); the booleans are false in the other run. */
  sample: string | boolean;
  /** Set on every message; the others may be absent, and templates test them with #if. */
  always?: true;
  /** Text channels clip it to this many characters, so long customer text cannot make an SMS into five. */
  textLimit?: number;
  /** Only kinds' strings may use it (it is a common string rendered: common.support). */
  kindsOnly?: true;
}

const VARIABLES = {
  /** The recipient's name. */
  name: { sample: 'Sample Name', always: true, textLimit: 40 },
  orderId: { sample: 'A-1', always: true },
  stageLabel: { sample: 'Stage' },
  stageDescription: { sample: 'Description' },
  note: { sample: 'Note', textLimit: 160 },
  /** Without its final full stop: templates end the sentence in the locale's own. */
  reason: { sample: 'Reason', textLimit: 160 },
  /** Formatted for the chosen locale and the customer's time zone. */
  eta: { sample: 'Mar 1, 2030' },
  isFinal: { sample: true, always: true },
  brand: { sample: 'Brand', always: true },
  supportEmail: { sample: 'help@example.com' },
  supportPhone: { sample: '+10000000000' },
  website: { sample: 'https://example.com' },
  /** common.support, rendered. */
  support: { sample: 'Support', kindsOnly: true },
  /** Offer, win-back: the customer's personal code; referral request: the code they pass on. */
  code: { sample: 'CODE-1' },
  /** Offer, win-back, tier upgrade: the discount as a number in the locale's digits, without the % sign. */
  discountPercent: { sample: '10' },
  /** Offer, win-back: when the code expires, formatted like eta. */
  expiresAt: { sample: 'Mar 31, 2030' },
  /** Offer only: the playbook's conditions in the chosen locale (left out of SMS). */
  conditions: { sample: 'Conditions', textLimit: 200 },
  /** Survey and its reminder: the personal rating page (http(s) only). */
  surveyUrl: { sample: 'https://example.com/s/1' },
  /** Review request, warranty check-in: where to leave a review (http(s) only). */
  reviewUrl: { sample: 'https://example.com/r/1' },
  /** Referral request: the reward for each side, like discountPercent. */
  rewardPercent: { sample: '10' },
  /** The customer's rating (1-5) in the locale's digits. */
  rating: { sample: '2' },
  /** The customer's own words with their rating. */
  comment: { sample: 'Comment', textLimit: 100 },
  /** Operator alert: who the unhappy customer is, how to reach them, and the journey in the Temporal UI. */
  customerId: { sample: 'c-1', textLimit: 40 },
  customerName: { sample: 'Customer Name', textLimit: 40 },
  contact: { sample: '+10000000001', textLimit: 40 },
  journeyUrl: { sample: 'https://temporal.example/w/1' },
  /** Operator notice: what the operator must act on. */
  notice: { sample: 'Notice', textLimit: 200 },
  /** Warranty check-in: the items as a list in the locale ("A, B, and C"). */
  items: { sample: 'Roof and Windows', textLimit: 60 },
  /** Warranty check-in: the day the warranty ends (no time), in the customer's zone. */
  endsAt: { sample: 'March 31, 2030' },
  /** Warranty check-in: how long the customer has had it ("11 months", "2 years, 3 months"); absent under a month. */
  timeOwned: { sample: '3 years' },
  /** Warranty check-in: the playbook's inspection offer in the chosen locale (left out of SMS). */
  inspectionOffer: { sample: 'Inspection', textLimit: 160 },
  /** Thank-you, tier upgrade: the loyalty tier's name in the chosen locale. */
  tierLabel: { sample: 'Gold', textLimit: 40 },
  /** Thank-you, tier upgrade: the cashback balance as money in the locale ("€12.34"). */
  cashback: { sample: '€12.34' },
  /** Win-back: true on the second and last attempt. */
  lastAttempt: { sample: true, always: true },
  /** Stuck digest: how many journeys are stuck, in the locale's digits. */
  stuckTotal: { sample: '4' },
  /** Stuck digest: how many became stuck since the last digest. */
  stuckNew: { sample: '3' },
  /** Stuck digest: the count of each reason ("3 delivery-failing, 1 stage-overdue"). */
  stuckByReason: { sample: '3 delivery-failing, 1 stage-overdue' },
  /** Stuck digest: each reason's list in the Temporal UI ("delivery-failing: https://…"). */
  stuckReasonLinks: { sample: 'delivery-failing: https://temporal.example/l/1' },
  /** Stuck digest: workflow ids of up to five of the newest. */
  stuckNewest: { sample: 'order-A-1, order-A-2' },
  /** Stuck digest: when the longest-stuck journey became stuck (UTC). */
  stuckOldest: { sample: 'Mar 1, 2030, 9:00 AM' },
  /** Stuck digest: every stuck journey in the Temporal UI (http(s) only). */
  stuckListUrl: { sample: 'https://temporal.example/l/0' },
  /** Refund or return: the amount refunded this time, as money in the locale ("€12.34"). */
  refundAmount: { sample: '€12.34' },
  /** Refund or return: the whole order is refunded now. */
  fullRefund: { sample: true, always: true },
  /** Refund or return: goods came back (a return), not only money (a refund). */
  isReturn: { sample: true, always: true },
  /** Operator message: what the customer wrote (clipped on text channels). */
  customerMessage: { sample: 'Where is my parcel?', textLimit: 300 },
  /** Operator message: the channel the customer wrote on (sms, telegram, whatsapp). */
  replyChannel: { sample: 'sms' },
  /** Every message to a customer: their own preferences page (http(s) only). */
  preferencesUrl: { sample: 'https://example.com/p/1' },
  /** Questionnaire invite: the questionnaire on the customer's page (http(s) only). */
  questionnaireUrl: { sample: 'https://example.com/q/1' },
  /** Occasion greeting: the occasion's name in the chosen locale ("birthday"). */
  occasion: { sample: 'birthday', textLimit: 40 },
  /** The interests the customer chose in the questionnaire, as a list in the locale ("tea and pastries"). */
  interests: { sample: 'tea and pastries', textLimit: 80 },
  /** The items of the customer's latest completed order, as a list in the locale. */
  lastPurchase: { sample: 'Roof tiles', textLimit: 60 },
} as const satisfies Record<string, Variable>;

type Declared = typeof VARIABLES;
export type TemplateVar = keyof Declared;
type ValueOf<V extends TemplateVar> = Declared[V]['sample'] extends boolean ? boolean : string;
type Always = { [V in TemplateVar]: Declared[V] extends { always: true } ? V : never }[TemplateVar];

/** What locale strings are rendered with. */
export type TemplateVars = { [V in Always]: ValueOf<V> } & { [V in Exclude<TemplateVar, Always>]?: ValueOf<V> };

const declared = Object.entries(VARIABLES) as [TemplateVar, Variable][];

/** Names common strings may use; kinds' strings may also use the kindsOnly ones. */
export const COMMON_VARS: ReadonlySet<string> = new Set(declared.filter(([, v]) => !v.kindsOnly).map(([name]) => name));
export const KIND_VARS: ReadonlySet<string> = new Set([
  ...COMMON_VARS,
  ...declared.filter(([, v]) => v.kindsOnly).map(([name]) => name),
]);

/** Startup renders every string twice: with every variable set (each #if taken), and with only the required. */
export const SAMPLE_FULL = Object.fromEntries(declared.map(([name, v]) => [name, v.sample])) as TemplateVars;
export const SAMPLE_MIN = Object.fromEntries(
  declared.filter(([, v]) => v.always).map(([name, v]) => [name, typeof v.sample === 'boolean' ? false : v.sample]),
) as TemplateVars;

/** What a kind's spec (./kinds) decides about its variables. */
export interface VarsPolicy {
  /** Where the kind keeps its code, percent, expiry and conditions. */
  promotion?: (data: RecordedMessageData) => Promotion;
  /** Issue notices accept a note instead of a reason; either way the customer reads it as the reason. */
  noteIsReason?: true;
}

/** The variables of one message; `support` is left to the caller (it is a template of its own). */
export function buildVars(
  request: RenderRequest,
  spec: VarsPolicy,
  locale: string,
  textChannel: boolean,
): TemplateVars {
  const { data, brand, fallbackLocale, timeZone } = request;
  const promotion = spec.promotion?.(data) ?? {};
  const { feedback, operator, warranty, loyalty, referral, digest, personal } = data;
  const items = warranty?.items.map((item) => item.trim()).filter(Boolean) ?? [];
  // The message's own tier (thank-you, tier upgrade) first; any message may name the tier the customer holds.
  const tierLabel =
    (
      localize(loyalty?.tierLabel ?? personal?.tierLabel, locale, fallbackLocale) ??
      loyalty?.tier ??
      personal?.tier
    )?.trim() || undefined;
  const interests = (personal?.interests ?? [])
    .map((label) => localize(label, locale, fallbackLocale)?.trim())
    .filter((label): label is string => !!label);
  const lastPurchase = (personal?.lastPurchase ?? []).map((item) => item.trim()).filter(Boolean);
  const currency = loyalty?.currency ?? data.currency;
  const balance = loyalty?.cashbackBalanceMinor;
  // Journeys from before monthsOwned recorded the warranty's length in years.
  const monthsOwned = warranty?.monthsOwned ?? (warranty?.yearsOwned ?? 0) * 12;
  const vars: TemplateVars = {
    name: request.recipientName,
    orderId: data.orderId,
    stageLabel: localize(data.stageLabel, locale, fallbackLocale),
    stageDescription: localize(data.stageDescription, locale, fallbackLocale),
    note: data.note,
    // The API accepts a note instead of a reason on issue notices; either way the customer reads it.
    reason: (data.reason ?? (spec.noteIsReason ? data.note : undefined))?.trim().replace(/[.।]+$/u, ''),
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
    conditions: request.channel === 'sms' ? undefined : localize(promotion.conditions, locale, fallbackLocale),
    surveyUrl: httpUrl(data.surveyUrl),
    reviewUrl: httpUrl(data.reviewUrl),
    rewardPercent: referral === undefined ? undefined : formatNumber(referral.rewardPercent, locale),
    rating: feedback === undefined ? undefined : formatNumber(feedback.rating, locale),
    // Templates quote the comment themselves; a comment of only whitespace is no comment.
    comment: feedback?.comment?.trim() || undefined,
    customerId: operator?.customerId,
    customerName: operator?.customerName,
    contact: operator?.contact?.trim() || undefined,
    journeyUrl: httpUrl(operator?.journeyUrl),
    notice: data.notice?.trim() || undefined,
    items: items.length === 0 ? undefined : formatList(items, locale),
    endsAt: warranty === undefined ? undefined : formatDay(warranty.endsAt, locale, timeZone),
    timeOwned: warranty === undefined ? undefined : formatTimeOwned(monthsOwned, locale),
    // Like the offer's conditions: the playbook's prose belongs in the email and on messengers, not in SMS.
    inspectionOffer:
      request.channel === 'sms' ? undefined : localize(warranty?.inspectionOffer, locale, fallbackLocale),
    tierLabel,
    cashback: balance === undefined || balance <= 0 || !currency ? undefined : formatMoney(balance, currency, locale),
    lastAttempt: data.winback?.attempt === 2,
    refundAmount:
      data.refund === undefined || !currency ? undefined : formatMoney(data.refund.amountMinor, currency, locale),
    fullRefund: data.refund?.full === true,
    isReturn: data.refund?.kind === 'return',
    customerMessage: data.message?.text.trim() || undefined,
    replyChannel: data.message?.channel,
    preferencesUrl: httpUrl(data.preferencesUrl),
    questionnaireUrl: httpUrl(data.questionnaireUrl),
    occasion: localize(data.occasion?.label, locale, fallbackLocale)?.trim() || undefined,
    interests: interests.length === 0 ? undefined : formatList(interests, locale),
    lastPurchase: lastPurchase.length === 0 ? undefined : formatList(lastPurchase, locale),
    ...digestVars(digest, locale),
  };
  return textChannel ? clipped(vars) : vars;
}

/** The stuck digest's counts in the locale's digits; reasons stay the search attribute values operators filter on. */
function digestVars(digest: RecordedMessageData['digest'], locale: string): Partial<TemplateVars> {
  if (!digest) return {};
  const reasons = digest.byReason.filter((r) => r.count > 0);
  const links = reasons.flatMap((r) => {
    const url = httpUrl(r.url);
    return url ? [`${r.reason}: ${url}`] : [];
  });
  return {
    stuckTotal: formatNumber(digest.total, locale),
    stuckNew: formatNumber(digest.newlyStuck, locale),
    stuckByReason: reasons.map((r) => `${formatNumber(r.count, locale)} ${r.reason}`).join(', ') || undefined,
    stuckReasonLinks: links.join(' · ') || undefined,
    stuckNewest: digest.newest.join(', ') || undefined,
    stuckOldest: digest.oldestSince === undefined ? undefined : formatDate(digest.oldestSince, locale, 'UTC'),
    stuckListUrl: httpUrl(digest.listUrl),
  };
}

/** Text channels get the short form: long customer text is clipped so an SMS stays an SMS. */
function clipped(vars: TemplateVars): TemplateVars {
  const out: Record<string, unknown> = { ...vars };
  for (const [name, v] of declared) {
    const value = out[name];
    if (v.textLimit !== undefined && typeof value === 'string') {
      out[name] = truncate(value.replace(/\s+/g, ' ').trim(), v.textLimit);
    }
  }
  return out as TemplateVars;
}
