import type { MessageKind } from './kind-names';
import type { LocalizedText } from './localized';

/**
 * What a journey asks to send, per kind: the renderer turns it into subject, HTML and text. Workflows build
 * `{ kind, data }` pairs (KindAndData), so the compiler checks each kind gets its data where the message is
 * made. Types only: workflow code imports this.
 */

/** What every message carries, whatever its kind. */
export interface BaseData {
  /** The order it is about; messages about the customer (tier, win-back) name their latest order. */
  orderId: string;
  /**
   * Where the customer stops marketing messages; the send activity adds it to marketing messages. The email
   * gets a visible unsubscribe link (footer and text part); SMS, Telegram and WhatsApp get a short opt-out hint
   * ("Reply STOP", "Send /stop"). Must be http(s) or mailto: rendering throws rather than send without it.
   */
  unsubscribeUrl?: string;
  /**
   * Deep link that connects the customer's Telegram to their orders, added by the send activity. Shown on email
   * (small footer link and a line in the text part) and on SMS status updates. Dropped unless http(s).
   */
  telegramLinkUrl?: string;
  /** survey / survey_reminder: the personal rating page, added by the send activity. */
  surveyUrl?: string;
  /** Where to leave a review; the send activity swaps it for an Aftercare redirect that counts clicks. */
  reviewUrl?: string;
  /** The customer's own preferences page (signed, expiring), added by the send activity to every customer message. */
  preferencesUrl?: string;
  /** questionnaire_invite: the questionnaire on the customer's page, added by the send activity. */
  questionnaireUrl?: string;
  /**
   * What the business knows of the customer, for templates: their tier, their interests (from the questionnaire)
   * and the last thing they bought. Added to the data from the send permit (the lifecycle's, or the journey's
   * snapshot of it); absent for messages to the business.
   */
  personal?: PersonalData;
}

/** What templates may say about the customer beyond their name. */
export interface PersonalData {
  tier?: string;
  tierLabel?: LocalizedText;
  /** The labels of the interests they chose in the questionnaire, per language. */
  interests?: LocalizedText[];
  /** Item names of their latest completed order (at most a few). */
  lastPurchase?: string[];
}

/** A status update: the order's current stage. */
export interface StageData {
  /** Label of the order's current stage, per language (from the playbook). */
  stageLabel?: LocalizedText;
  /** The playbook's description of the stage, per language. */
  stageDescription?: LocalizedText;
  /** Free-text note the business attached to the stage update (customer-visible). */
  note?: string;
  /** ISO date-time of the expected arrival/completion. */
  eta?: string;
  /** True when this status message is for the stage that completes the order. */
  isFinal?: boolean;
}

/** A delay or problem notice. */
export interface IssueData {
  stageLabel?: LocalizedText;
  /** Reason given with the notice (customer-visible); a note stands in for it. */
  reason?: string;
  note?: string;
  /** ISO date-time of the new expected arrival/completion. */
  eta?: string;
}

export interface OfferData {
  /** The customer's personal discount code. */
  code: string;
  discountPercent: number;
  /** ISO date-time the code stops working; shown in the customer's time zone and locale. */
  expiresAt: string;
  conditions?: LocalizedText;
  /** Other services to cross-sell; listed in the email only, not in text messages. */
  services: { name: LocalizedText; price?: string }[];
}

/** The customer's answer to the survey. */
export interface FeedbackData {
  rating: number;
  comment?: string;
}

/** Who the unhappy customer is, and where to look (the journey in the Temporal UI, added by the send activity). */
export interface OperatorData {
  customerId: string;
  customerName: string;
  contact?: string;
  journeyUrl?: string;
}

/** The items whose warranty ends, when, and how long the customer has had them. */
export interface WarrantyData {
  items: string[];
  endsAt: string;
  /** Whole calendar months since the order was completed, when the check-in goes out (may be 0). */
  monthsOwned?: number;
  /** Journeys from before monthsOwned: the warranty's length in years (at least 1). */
  yearsOwned?: number;
  inspectionOffer?: LocalizedText;
}

/** The customer's loyalty standing. */
export interface LoyaltyData {
  tier?: string;
  tierLabel?: LocalizedText;
  discountPercent?: number;
  cashbackBalanceMinor?: number;
  currency?: string;
}

/** The customer's referral code and the reward for both sides. */
export interface ReferralData {
  code: string;
  rewardPercent: number;
}

/** The "we miss you" incentive; attempt 2 is the last one. */
export interface WinbackData {
  code: string;
  discountPercent: number;
  expiresAt: string;
  attempt: 1 | 2;
}

/**
 * Journeys that became stuck, for the operators' digest: counts, reasons and Temporal UI links, and the workflow
 * ids of a few of the newest (no customer data). Reasons are the `AftercareStuck` values operators filter on.
 */
export interface StuckDigestData {
  /** Running journeys stuck now, whatever the reason. */
  total: number;
  /** The reasons with at least one journey, each with its list in the Temporal UI. */
  byReason: { reason: string; count: number; url?: string }[];
  /** How many became stuck since the last digest. */
  newlyStuck: number;
  /** Workflow ids of up to five of the newest of those. */
  newest: string[];
  /** ISO time the longest-stuck journey became stuck. */
  oldestSince?: string;
  /** Every stuck journey in the Temporal UI. */
  listUrl?: string;
}

/** What each kind carries beyond BaseData. A new kind needs an entry here (MessageDataOf fails to compile without). */
interface KindFields {
  order_status: StageData;
  order_delayed: IssueData;
  order_problem: IssueData;
  /** The order's total, and the customer's cashback and tier (added from the send permit). */
  thank_you: { totalMinor?: number; currency?: string; loyalty?: LoyaltyData };
  offer: { offer: OfferData };
  survey: NoFields;
  survey_reminder: NoFields;
  /** The satisfied customer's rating, and the business's review page. */
  review_request: { reviewUrl: string; feedback?: FeedbackData };
  referral_request: { referral: ReferralData };
  care_followup: { feedback?: FeedbackData };
  operator_alert: { feedback: FeedbackData; operator: OperatorData };
  /** Something about the order an operator must act on (e.g. the customer's lifecycle is closed). */
  operator_notice: { notice: string; operator: OperatorData };
  warranty_checkin: { warranty: WarrantyData };
  /** The new tier by id (its label falls back to it). */
  tier_upgrade: { loyalty: LoyaltyData & { tier: string } };
  winback: { winback: WinbackData };
  /** To the business: journeys became stuck (orderId is empty: it is about no one order). */
  operator_digest: { digest: StuckDigestData };
  /** The business cancelled the order (its own reason stays internal: "fraud" or "inventory" is not for the customer). */
  order_cancelled: { totalMinor?: number; currency?: string };
  /** Money back for the order: a refund, or a return of goods; `full` when the whole order is refunded by now. */
  refund_issued: { currency: string; refund: RefundData };
  /** The customer wrote something that is not an answer: a person will get back to them. */
  reply_received: NoFields;
  /** What a customer wrote, for the business (text bounded; the order is orderId, the journey operator.journeyUrl). */
  operator_message: { message: { text: string; channel: string }; operator: OperatorData };
  /** The questionnaire for regulars (its link is questionnaireUrl). */
  questionnaire_invite: NoFields;
  /** A date the customer gave (birthday, anniversary), with the playbook's offer if it has one. */
  occasion_greeting: { occasion: { label: LocalizedText; date: string }; offer?: Omit<OfferData, 'services'> };
}

export interface RefundData {
  kind: 'refund' | 'return';
  amountMinor: number;
  full: boolean;
}
type NoFields = Record<never, never>;

/** The data of one kind of message. */
export type MessageDataOf<K extends MessageKind> = BaseData & KindFields[K];

/** The data of any kind of message: pair it with its kind (KindAndData) to have it checked. */
export type MessageData = MessageDataOf<MessageKind>;

/** A kind with that kind's data: a union discriminated by `kind` (for a generic K, one pair). */
export type KindAndData<K extends MessageKind = MessageKind> = { [P in K]: { kind: P; data: MessageDataOf<P> } }[K];

type FieldName = { [K in MessageKind]: keyof KindFields[K] }[MessageKind];
type FieldType<F extends FieldName> = {
  [K in MessageKind]: F extends keyof KindFields[K] ? KindFields[K][F] : never;
}[MessageKind];

/**
 * Data as recorded in a journey's history: every kind's fields, all optional. Journeys started before this
 * union existed recorded one loose shape with the same field names, so the renderer and the send activity
 * take this and check at run time what a kind needs (see `needs` in kinds.ts).
 */
export type RecordedMessageData = BaseData & { [F in FieldName]?: FieldType<F> };

/** A personal code, what it is worth and until when, wherever the kind's data keeps them. */
export interface Promotion {
  code?: string;
  percent?: number;
  /** ISO date-time. */
  expiresAt?: string;
  conditions?: LocalizedText;
}
