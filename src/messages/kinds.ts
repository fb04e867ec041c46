/**
 * Every kind of message Aftercare sends, and everything that differs between kinds: one spec per kind.
 * Adding a kind: its name in MESSAGE_KINDS, its spec in KINDS, its data in data.ts (KindFields), and its
 * strings under "kinds" in every locale file (templates/locales); the compiler and the renderer's startup
 * checks name whatever is missing. Pure: the playbook schema and the workflows import it (no Node, no
 * template engines here).
 */
import type { MessageDataOf, OfferData, Promotion, RecordedMessageData } from './data';
import { MESSAGE_KINDS, type MessageKind, type Purpose } from './kind-names';
import { httpUrl } from './urls';
import type { TemplateVar, TemplateVars } from './variables';

export { MESSAGE_KINDS, type MessageKind, type Purpose } from './kind-names';

/** What sets one kind of message apart; K types the functions that read the kind's data. */
export interface KindSpec<K extends MessageKind> {
  /** Marketing needs consent, obeys the frequency cap and carries an unsubscribe link. */
  purpose: Purpose;
  /** About one order: the email shows the order number (offers, referrals, tiers, win-backs are about the customer). */
  aboutOrder: boolean;
  /** Rows under the order number: the stage, and the expected date (labelled common.<eta>) until the order is final. */
  details?: { stage?: true; eta?: 'expected' | 'newExpected' };
  /** Where the email's button goes; no button when undefined. `supportMail` writes to support about the order. */
  cta: (vars: TemplateVars, supportMail: string | undefined) => string | undefined;
  /** The email's code box: the strings (keys under kinds.<kind>) that label the code and the note under it. */
  codeBox?: { label: string; note: string };
  /** The email's list of services to cross-sell, and the label of the code's conditions (keys under kinds.<kind>). */
  crossSell?: { heading: string; conditionsLabel: string; services: (data: MessageDataOf<K>) => OfferData['services'] };
  /** Goes to the business's own team: its own footer string, and no contact or Telegram links to itself. */
  toBusiness?: { footer: string };
  /**
   * Placeholders a string of kinds.<kind> must print, checked at startup: an offer without its code sells
   * nothing, and text forms carry their link themselves (there is no button on SMS).
   */
  mustPrint?: Readonly<Record<string, readonly TemplateVar[]>>;
  /** The code, its value and its validity, from wherever the kind keeps them. */
  promotion?: (data: MessageDataOf<K>) => Promotion;
  /**
   * What the message makes no sense without, checked on every render: recorded data of old journeys has any
   * shape. The key names it in the error ("a "survey" message needs data.surveyUrl, …").
   */
  needs?: Readonly<Record<string, (data: RecordedMessageData) => boolean>>;
  /** Issue notices: a note given instead of a reason is the reason. */
  noteIsReason?: true;
  /** SMS is paid per segment: only these carry the "get updates on Telegram" line there. */
  telegramLinkInSms?: true;
}

const website = (vars: TemplateVars) => vars.website;
const supportMail = (_vars: TemplateVars, mail: string | undefined) => mail;
const surveyPage = (vars: TemplateVars) => vars.surveyUrl;
const needsSurveyUrl = {
  'data.surveyUrl, an http(s) link to the rating page': (d: RecordedMessageData) => httpUrl(d.surveyUrl) !== undefined,
};

const KINDS = {
  order_status: {
    purpose: 'transactional',
    aboutOrder: true,
    details: { stage: true, eta: 'expected' },
    cta: website,
    telegramLinkInSms: true,
  },
  order_delayed: {
    purpose: 'transactional',
    aboutOrder: true,
    details: { eta: 'newExpected' },
    cta: supportMail,
    noteIsReason: true,
  },
  order_problem: {
    purpose: 'transactional',
    aboutOrder: true,
    details: { eta: 'expected' },
    cta: supportMail,
    noteIsReason: true,
  },
  thank_you: { purpose: 'transactional', aboutOrder: true, cta: website },
  order_cancelled: { purpose: 'transactional', aboutOrder: true, cta: supportMail },
  refund_issued: {
    purpose: 'transactional',
    aboutOrder: true,
    cta: supportMail,
    needs: { 'data.refund with its amount': (d: RecordedMessageData) => typeof d.refund?.amountMinor === 'number' },
  },
  offer: {
    purpose: 'marketing',
    aboutOrder: false,
    cta: website,
    codeBox: { label: 'codeLabel', note: 'validUntil' },
    crossSell: { heading: 'servicesHeading', conditionsLabel: 'conditionsLabel', services: (d) => d.offer.services },
    mustPrint: { text: ['code', 'discountPercent', 'expiresAt'], validUntil: ['expiresAt'] },
    promotion: ({ offer }) => ({
      code: offer.code,
      percent: offer.discountPercent,
      expiresAt: offer.expiresAt,
      conditions: offer.conditions,
    }),
    needs: { 'data.offer': (d) => !!d.offer },
  },
  // Asking how it went, caring for the unhappy and the warranty visit are service, not promotion.
  survey: {
    purpose: 'transactional',
    aboutOrder: true,
    cta: surveyPage,
    mustPrint: { text: ['surveyUrl'] },
    needs: needsSurveyUrl,
  },
  survey_reminder: {
    purpose: 'transactional',
    aboutOrder: true,
    cta: surveyPage,
    mustPrint: { text: ['surveyUrl'] },
    needs: needsSurveyUrl,
  },
  review_request: {
    purpose: 'marketing',
    aboutOrder: true,
    cta: (vars) => vars.reviewUrl,
    mustPrint: { text: ['reviewUrl'] },
    needs: { 'data.reviewUrl, an http(s) link to the review page': (d) => httpUrl(d.reviewUrl) !== undefined },
  },
  referral_request: {
    purpose: 'marketing',
    aboutOrder: false,
    cta: website,
    codeBox: { label: 'codeLabel', note: 'rewardNote' },
    mustPrint: { text: ['code', 'rewardPercent'], rewardNote: ['rewardPercent'] },
    promotion: ({ referral }) => ({ code: referral.code }),
    needs: { 'data.referral with a code and rewardPercent': (d) => !!d.referral?.code.trim() },
  },
  care_followup: { purpose: 'transactional', aboutOrder: true, cta: supportMail },
  operator_alert: {
    purpose: 'transactional',
    aboutOrder: true,
    cta: (vars) => vars.journeyUrl,
    // It goes to the business, not to someone who "placed an order".
    toBusiness: { footer: 'footer' },
    mustPrint: { subject: ['rating', 'orderId'], text: ['rating', 'orderId', 'customerName'] },
    needs: {
      'data.feedback (the rating and comment)': (d) => !!d.feedback,
      'data.operator (the customer and the journey link)': (d) => !!d.operator,
    },
  },
  operator_notice: {
    purpose: 'transactional',
    aboutOrder: true,
    cta: (vars) => vars.journeyUrl,
    toBusiness: { footer: 'footer' },
    mustPrint: { subject: ['orderId'], text: ['orderId', 'notice'] },
    needs: {
      'data.notice (what the operator must act on)': (d) => !!d.notice?.trim(),
      'data.operator (the customer and the journey link)': (d) => !!d.operator,
    },
  },
  operator_digest: {
    purpose: 'transactional',
    aboutOrder: false,
    cta: (vars) => vars.stuckListUrl,
    toBusiness: { footer: 'footer' },
    mustPrint: { subject: ['stuckTotal'], text: ['stuckTotal', 'stuckNew', 'stuckByReason'] },
    needs: { 'data.digest (the stuck journeys by reason)': (d) => !!d.digest },
  },
  warranty_checkin: {
    purpose: 'transactional',
    aboutOrder: true,
    cta: (vars, mail) => vars.reviewUrl ?? mail,
    mustPrint: { text: ['endsAt'] },
    needs: { 'data.warranty (items, endsAt, monthsOwned)': (d) => !!d.warranty },
  },
  tier_upgrade: {
    purpose: 'marketing',
    aboutOrder: false,
    cta: website,
    mustPrint: { subject: ['tierLabel'], text: ['tierLabel'] },
    promotion: ({ loyalty }) => ({ percent: loyalty.discountPercent }),
    needs: { 'data.loyalty with a tierLabel or tier': (d) => !!d.loyalty?.tierLabel || !!d.loyalty?.tier?.trim() },
  },
  winback: {
    purpose: 'marketing',
    aboutOrder: false,
    cta: website,
    codeBox: { label: 'codeLabel', note: 'validUntil' },
    mustPrint: { text: ['code', 'discountPercent', 'expiresAt'], validUntil: ['expiresAt'] },
    promotion: ({ winback }) => ({
      code: winback.code,
      percent: winback.discountPercent,
      expiresAt: winback.expiresAt,
    }),
    needs: { 'data.winback (code, discountPercent, expiresAt, attempt)': (d) => !!d.winback },
  },
  reply_received: { purpose: 'transactional', aboutOrder: true, cta: supportMail },
  operator_message: {
    purpose: 'transactional',
    aboutOrder: true,
    cta: (vars) => vars.journeyUrl,
    toBusiness: { footer: 'footer' },
    mustPrint: { subject: ['orderId'], text: ['orderId', 'customerMessage'] },
    needs: {
      'data.message (what the customer wrote)': (d) => typeof d.message?.text === 'string',
      'data.operator (the customer and the journey link)': (d) => !!d.operator,
    },
  },
  // Marketing: the invitation opens occasion greetings and their codes, so it needs consent, obeys quiet hours and the
  // cap, and carries the unsubscribe link; the topic "reviews and surveys" switches it off.
  questionnaire_invite: {
    purpose: 'marketing',
    aboutOrder: false,
    cta: (vars) => vars.questionnaireUrl,
    mustPrint: { text: ['questionnaireUrl'] },
    needs: {
      'data.questionnaireUrl, an http(s) link to the questionnaire': (d) => httpUrl(d.questionnaireUrl) !== undefined,
    },
  },
  occasion_greeting: {
    purpose: 'marketing',
    aboutOrder: false,
    cta: website,
    codeBox: { label: 'codeLabel', note: 'validUntil' },
    mustPrint: { subject: ['occasion'], text: ['occasion'] },
    promotion: ({ offer }) =>
      offer ? { code: offer.code, percent: offer.discountPercent, expiresAt: offer.expiresAt } : {},
    needs: { 'data.occasion (its label and date)': (d) => !!d.occasion },
  },
} satisfies { [K in MessageKind]: KindSpec<K> };

/**
 * The spec of a kind, for code holding recorded data of any kind (the renderer). The kind's `needs` must pass
 * before its functions read the data: the one place where kind and data are trusted to match.
 */
export function kindSpec(kind: MessageKind): KindSpec<MessageKind> | undefined {
  return KINDS[kind] as KindSpec<MessageKind> | undefined;
}

/** The purpose of each kind: the delivery loop asks it before every send. */
export const PURPOSE_OF = Object.fromEntries(MESSAGE_KINDS.map((kind) => [kind, KINDS[kind].purpose])) as Record<
  MessageKind,
  Purpose
>;

/** The strings a kind's features add to kinds.<kind> (code box labels, its own footer, …), in a stable order. */
export function extraKeysOf(kind: MessageKind): string[] {
  const spec: KindSpec<MessageKind> | undefined = kindSpec(kind);
  const keys = [
    spec?.crossSell?.heading,
    spec?.codeBox?.label,
    spec?.codeBox?.note,
    spec?.crossSell?.conditionsLabel,
    spec?.toBusiness?.footer,
  ];
  return [...new Set(keys.filter((key) => key !== undefined))];
}
