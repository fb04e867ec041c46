/**
 * The contract shared by the client, the HTTP API and the workflows: task queue, workflow ids,
 * signal/query/update definitions, search attribute keys and input schemas. Workflows import this
 * module, so it must stay deterministic: no I/O, no Node builtins, no clocks.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { z } from 'zod';
import type { MessageData } from './messages/types';
import { CHANNELS, ISSUE_KINDS, type Channel, type IssueKind, type Playbook } from './playbook/schema';

/** The part of the playbook a customer's lifecycle needs; refreshed by every order. */
export type CustomerRules = Pick<Playbook, 'consent' | 'quietHours' | 'frequencyCap'>;

export const DEFAULT_TASK_QUEUE = 'aftercare';

// ---------------------------------------------------------------------------------------------
// Workflow ids: derived from business keys, so one order is one journey and one customer is one
// lifecycle, however often (or concurrently) the business repeats a request.
// ---------------------------------------------------------------------------------------------
export const orderJourneyId = (orderId: string) => `order-${orderId}`;
export const customerLifecycleId = (customerId: string) => `customer-${customerId}`;

// ---------------------------------------------------------------------------------------------
// Search attributes: what an operator filters on in the Temporal UI.
// ---------------------------------------------------------------------------------------------
export const SA = {
  customerId: defineSearchAttributeKey('AftercareCustomerId', SearchAttributeType.KEYWORD),
  orderId: defineSearchAttributeKey('AftercareOrderId', SearchAttributeType.KEYWORD),
  stage: defineSearchAttributeKey('AftercareStage', SearchAttributeType.KEYWORD),
  waitingFor: defineSearchAttributeKey('AftercareWaitingFor', SearchAttributeType.KEYWORD),
  nextActionAt: defineSearchAttributeKey('AftercareNextActionAt', SearchAttributeType.DATETIME),
  deliveryFailures: defineSearchAttributeKey('AftercareDeliveryFailures', SearchAttributeType.INT),
  /** Keyed hashes (HMAC) of contacts: lets webhooks find a customer with no plain PII in visibility. */
  contactKeys: defineSearchAttributeKey('AftercareContactKeys', SearchAttributeType.KEYWORD_LIST),
  /** Channels nothing may be sent on (opted out, bounced, blocked), e.g. to list who left SMS. */
  blockedChannels: defineSearchAttributeKey('AftercareBlockedChannels', SearchAttributeType.KEYWORD_LIST),
  /** granted / denied / unknown. */
  marketingConsent: defineSearchAttributeKey('AftercareMarketingConsent', SearchAttributeType.KEYWORD),
  /** Value segment from RFM: vip, loyal, promising, new, at_risk, lapsed, regular. */
  segment: defineSearchAttributeKey('AftercareSegment', SearchAttributeType.KEYWORD),
  /** Loyalty tier id from the playbook (e.g. regular, vip). */
  tier: defineSearchAttributeKey('AftercareTier', SearchAttributeType.KEYWORD),
  /** "R5F3M4": recency, frequency, monetary scores. */
  rfm: defineSearchAttributeKey('AftercareRfm', SearchAttributeType.KEYWORD),
  /** Lifetime spend of completed orders, in minor units. */
  lifetimeValue: defineSearchAttributeKey('AftercareLifetimeValue', SearchAttributeType.INT),
} as const;
export const SEARCH_ATTRIBUTE_KEYS = Object.values(SA);

// ---------------------------------------------------------------------------------------------
// Input schemas (validated at the edge; workflows receive the normalized output).
// ---------------------------------------------------------------------------------------------
const businessKey = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/,
    'use 1-100 letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
  );

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number such as +447700900123');

const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be an IANA time zone such as "Europe/London" or "Asia/Dhaka"' },
);

const localeTag = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as "en" or "bn"');

export const customerInputSchema = z
  .object({
    id: businessKey,
    name: z.string().trim().min(1).max(200),
    email: z.email('must be a valid email address').max(254).optional(),
    phone: e164.optional(),
    telegramChatId: z
      .union([z.string().regex(/^-?\d{1,20}$/, 'must be a numeric Telegram chat id'), z.number().int()])
      .transform(String)
      .optional(),
    locale: localeTag.optional(),
    timeZone: timeZone.optional(),
    /** The customer's own channel order; overrides the playbook's. */
    preferredChannels: z.array(z.enum(CHANNELS)).min(1).max(4).optional(),
    /** Explicit marketing consent given at checkout (needed where the playbook requires opt-in). */
    marketingConsent: z.boolean().optional(),
  })
  .refine((c) => c.email !== undefined || c.phone !== undefined || c.telegramChatId !== undefined, {
    message: 'give at least one contact: email, phone or telegramChatId',
  });

const currencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "EUR"')
  .refine((c) => {
    try {
      new Intl.NumberFormat('en', { style: 'currency', currency: c });
      return true;
    } catch {
      return false;
    }
  }, 'is not a currency this server knows');

/** Number of minor-unit digits of a currency (2 for EUR, 0 for JPY, 3 for KWD). */
export function currencyDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** Converts a decimal amount to integer minor units, or undefined if it has too many decimals. */
export function toMinorUnits(amount: number, currency: string): number | undefined {
  const digits = currencyDigits(currency);
  const scaled = Math.round(amount * 10 ** digits);
  // Reject 9.999 EUR: the amount must be representable exactly in the currency's minor units.
  if (Math.abs(scaled / 10 ** digits - amount) > 1e-9) return undefined;
  return scaled;
}

const money = z.number().nonnegative().max(1e12);

export const orderItemSchema = z.object({
  sku: z.string().trim().min(1).max(100),
  name: z.string().trim().min(1).max(300),
  quantity: z.number().int().min(1).max(1_000_000),
  unitPrice: money,
  warrantyMonths: z.number().int().min(1).max(600).optional(),
});

export const orderInputSchema = z
  .object({
    orderId: businessKey,
    customer: customerInputSchema,
    items: z.array(orderItemSchema).min(1, 'an order needs at least one item').max(500),
    currency: currencyCode,
    total: money,
    placedAt: z.iso.datetime({ offset: true }).optional(),
    /** A personal offer or win-back code the customer used: attributes this order to that follow-up. */
    promoCode: z.string().trim().min(1).max(40).optional(),
  })
  .transform((o, ctx) => {
    const totalMinor = toMinorUnits(o.total, o.currency);
    if (totalMinor === undefined) {
      ctx.addIssue({ code: 'custom', path: ['total'], message: `has more decimals than ${o.currency} allows` });
    }
    const items = o.items.map((item, i) => {
      const unitPriceMinor = toMinorUnits(item.unitPrice, o.currency);
      if (unitPriceMinor === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['items', i, 'unitPrice'],
          message: `has more decimals than ${o.currency} allows`,
        });
      }
      return { ...item, unitPriceMinor: unitPriceMinor ?? 0 };
    });
    const { total: _total, ...rest } = o;
    return { ...rest, items, totalMinor: totalMinor ?? 0 };
  });

export type OrderInput = z.input<typeof orderInputSchema>;
export type Order = z.output<typeof orderInputSchema>;
export type Customer = Order['customer'];

export const stageUpdateSchema = z
  .object({
    stage: z.string().min(1).max(40),
    note: z.string().trim().min(1).max(1000).optional(),
    reason: z.string().trim().min(1).max(1000).optional(),
    eta: z.iso.datetime({ offset: true }).optional(),
  })
  .refine(
    (u) => !(ISSUE_KINDS as readonly string[]).includes(u.stage) || u.reason !== undefined || u.note !== undefined,
    {
      path: ['reason'],
      message: 'a "delayed" or "problem" notice needs a reason the customer can read',
    },
  );
export type StageUpdateInput = z.input<typeof stageUpdateSchema>;

export const feedbackInputSchema = z.object({
  rating: z.number().int().min(1, 'rate from 1 to 5').max(5, 'rate from 1 to 5'),
  comment: z.string().trim().max(2000).optional(),
  /** Where the answer came from: the survey page, or the business's own channel. */
  source: z.string().trim().min(1).max(100).optional(),
});
export type FeedbackInput = z.input<typeof feedbackInputSchema>;
export type Feedback = z.output<typeof feedbackInputSchema> & { at: string };

export const consentInputSchema = z.object({
  /** marketing: offers, reviews, win-back; all: every message on the channel. */
  purpose: z.enum(['marketing', 'all']),
  channel: z.union([z.enum(CHANNELS), z.literal('all')]).default('all'),
  granted: z.boolean(),
  /** Where the customer said so (shown in the customer's record). */
  source: z.string().trim().min(1).max(100).optional(),
  /** Makes a repeated call idempotent. */
  eventId: z.string().trim().min(1).max(200).optional(),
});
export type ConsentInput = z.input<typeof consentInputSchema>;

// ---------------------------------------------------------------------------------------------
// Order journey: input, state, updates and queries.
// ---------------------------------------------------------------------------------------------
export interface OrderJourneyInput {
  order: Order;
  /** The playbook the journey runs by, frozen at start so edits never rewrite running journeys. */
  playbook: Playbook;
  /** When Aftercare received the order (ISO); placedAt defaults to it. */
  receivedAt: string;
}

export type FollowUpStatus = 'scheduled' | 'done' | 'answered' | 'no-answer';

export type JourneyEvent =
  | { type: 'stage'; stage: string; note?: string; eta?: string; at: string }
  | { type: IssueKind; reason: string; eta?: string; at: string };

export type { MessageKind } from './playbook/schema';
import type { MessageKind } from './playbook/schema';

/** Transactional messages inform about an order; marketing ones need consent and obey caps. */
export type Purpose = 'transactional' | 'marketing';
export const PURPOSE_OF: Record<MessageKind, Purpose> = {
  order_status: 'transactional',
  order_delayed: 'transactional',
  order_problem: 'transactional',
  thank_you: 'transactional',
  offer: 'marketing',
  // Asking how it went, caring for the unhappy and the warranty visit are service, not promotion.
  survey: 'transactional',
  survey_reminder: 'transactional',
  care_followup: 'transactional',
  warranty_checkin: 'transactional',
  // Sent to the business's own operator, never to the customer.
  operator_alert: 'transactional',
  review_request: 'marketing',
  referral_request: 'marketing',
  tier_upgrade: 'marketing',
  winback: 'marketing',
};

export interface DeliveryAttempt {
  channel: Channel;
  outcome: 'sent' | 'failed';
  providerMessageId?: string;
  provider?: string;
  error?: string;
  at: string;
}

export interface MessageRecord {
  /** Unique within the journey; with the workflow id it forms the idempotency key. */
  key: string;
  kind: MessageKind;
  purpose: Purpose;
  /** skipped: the customer's consent, caps or reachability ruled it out (see `reason`). */
  status: 'pending' | 'waiting' | 'sent' | 'failed' | 'skipped';
  reason?: string;
  channel?: Channel;
  attempts: DeliveryAttempt[];
  queuedAt: string;
}

export interface OrderJourneyState {
  orderId: string;
  customerId: string;
  status: 'active' | 'completed';
  stage: string;
  stages: string[];
  events: JourneyEvent[];
  messages: MessageRecord[];
  /** What the journey waits for next and, when it is a timer, until when. */
  next: { what: string; until?: string } | null;
  /** The cross-sell offer sent after completion, if any. */
  offer?: { code: string; discountPercent: number; expiresAt: string };
  /** The customer's satisfaction answer (the latest one). */
  feedback?: Feedback;
  /** Follow-ups after completion: what is planned, when, and what became of it. */
  followUps: { key: string; what: string; at: string; status: FollowUpStatus; doneAt?: string }[];
  operatorAlerts: { channel: Channel; outcome: 'sent' | 'failed'; at: string }[];
  reviewClicks: { eventId: string; at: string }[];
  referralCode?: string;
  completedAt?: string;
}

export interface StageUpdateResult {
  stage: string;
  status: OrderJourneyState['status'];
  /** Key of the message this update queued, if any. */
  messageKey?: string;
}

/** Error types the update validator uses; the API maps them to HTTP statuses. */
export const JourneyErrorType = {
  unknownStage: 'UnknownStage',
  stageOutOfOrder: 'StageOutOfOrder',
  journeyCompleted: 'JourneyCompleted',
  feedbackClosed: 'FeedbackClosed',
} as const;

export const advanceStageUpdate = defineUpdate<StageUpdateResult, [z.output<typeof stageUpdateSchema>]>('advanceStage');
export const getJourneyQuery = defineQuery<OrderJourneyState>('getJourney');
/** The customer's satisfaction answer; a second answer replaces the first until the journey moves on. */
export const submitFeedbackUpdate = defineUpdate<
  { accepted: true; replaced: boolean },
  [z.output<typeof feedbackInputSchema>]
>('submitFeedback');
/** A click on the review link (counted for "measure each measure"); ids make repeats harmless. */
export const reviewClickedSignal = defineSignal<[{ eventId: string; at: string }]>('reviewClicked');

// ---------------------------------------------------------------------------------------------
// Customer lifecycle: one per customer, signalled with every order.
// ---------------------------------------------------------------------------------------------
export interface CustomerProfile {
  id: string;
  name: string;
  email?: string;
  phone?: string;
  telegramChatId?: string;
  locale?: string;
  timeZone?: string;
  preferredChannels?: Channel[];
  marketingConsent?: boolean;
}

export interface CustomerOrderSummary {
  orderId: string;
  placedAt: string;
  currency: string;
  totalMinor: number;
  status: 'active' | 'completed';
  completedAt?: string;
}

export interface OrderPlacedSignal {
  /** The playbook rules the customer's messages obey (the newest order's playbook wins). */
  rules: CustomerRules;
  profile: CustomerProfile;
  /** Keyed hashes of the customer's contacts, so webhooks can find the customer without plain PII in visibility. */
  contactKeys: string[];
  order: Omit<CustomerOrderSummary, 'status' | 'completedAt'> & { promoCode?: string };
  /** The whole playbook of the order (loyalty, value, win-back, message texts); absent from old journeys. */
  playbook?: Playbook;
}

export interface CustomerLifecycleInput {
  customerId: string;
  /** State carried across continue-as-new; absent on the first run. */
  carried?: CustomerLifecycleState;
  /** Continue-as-new after this many history events (tests set it tiny). */
  historyLimit?: number;
}

export interface CustomerLifecycleState {
  customerId: string;
  profile: CustomerProfile | null;
  orders: CustomerOrderSummary[];
  /** Consent, suppressions and reachability per channel: the rules every journey asks before sending. */
  consent: ConsentState;
  rules: CustomerRules | null;
  contactKeys: string[];
  firstSeenAt?: string;
  lastOrderAt?: string;
  /** How many times this lifecycle continued as new: proof that state survived it. */
  generation: number;
  /** The newest order's playbook: loyalty, value thresholds, win-back, message texts. */
  playbook?: Playbook;
  /** Free-form notes and preferences the business keeps (PATCH /v1/customers/{id}). */
  notes?: string;
  loyalty?: LoyaltyState;
  value?: { recency: number; frequency: number; monetary: number; score: string; segment: string; at: string };
  feedback?: { orderId: string; rating: number; comment?: string; at: string }[];
  offersIssued?: { code: string; orderId: string; expiresAt: string; usedByOrderId?: string }[];
  winback?: {
    attempts: {
      attempt: 1 | 2;
      at: string;
      code: string;
      forLastOrderAt: string;
      // pending: waiting for quiet hours or the frequency cap, or in flight.
      status: 'pending' | 'sent' | 'skipped' | 'failed';
    }[];
    converted: { orderId: string; at: string; attempt: number }[];
  };
  /** Messages the lifecycle itself sent (tier news, win-back). */
  messages?: MessageRecord[];
}

export interface LoyaltyState {
  completedOrders: number;
  spendMinor: number;
  cashbackBalanceMinor: number;
  currency?: string;
  tier?: string;
  tierSince?: string;
}

export const customerPatchSchema = z
  .object({
    notes: z.string().trim().max(5000).optional(),
    preferredChannels: customerInputSchema.shape.preferredChannels,
    locale: localeTag.optional(),
    timeZone: timeZone.optional(),
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), { message: 'give at least one field to change' });
export type CustomerPatch = z.output<typeof customerPatchSchema>;
export const updateCustomerUpdate = defineUpdate<CustomerLifecycleState, [CustomerPatch]>('updateCustomer');

export const orderPlacedSignal = defineSignal<[OrderPlacedSignal]>('orderPlaced');
export const orderCompletedSignal = defineSignal<[{ orderId: string; completedAt: string }]>('orderCompleted');
export const getCustomerQuery = defineQuery<CustomerLifecycleState>('getCustomer');

// ---------------------------------------------------------------------------------------------
// Message delivery: what the journey hands the send activity.
// ---------------------------------------------------------------------------------------------
/** The customer's address on a channel, or undefined when they cannot be reached there. */
export function contactFor(
  channel: Channel,
  customer: Pick<Customer, 'email' | 'phone' | 'telegramChatId'>,
): string | undefined {
  switch (channel) {
    case 'email':
      return customer.email;
    case 'sms':
    case 'whatsapp':
      return customer.phone;
    case 'telegram':
      return customer.telegramChatId;
  }
}

/** Stable per workflow, message and channel: a retried send can never become a second message. */
export const idempotencyKeyFor = (workflowId: string, messageKey: string, channel: Channel) =>
  `${workflowId}/${messageKey}/${channel}`;

/** Failure types the send activity raises; the journey reads them to decide on the next channel. */
export const DeliveryFailureType = {
  permanent: 'PermanentDeliveryFailure',
  optedOut: 'RecipientOptedOut',
  unreachable: 'ChannelUnreachable',
  invalidAddress: 'InvalidAddress',
  throttled: 'ProviderThrottled',
  transient: 'TransientDeliveryFailure',
  notConfigured: 'ChannelNotConfigured',
} as const;

// ---------------------------------------------------------------------------------------------
// Consent and send permits: the per-customer rules that span journeys (see docs/architecture.md).
// ---------------------------------------------------------------------------------------------
export interface ChannelConsent {
  /** Nothing may be sent on this channel (STOP, hard bounce, blocked bot, invalid address). */
  blocked?: { reason: string; source: string; at: string };
  /** Marketing may not be sent on this channel (complaint, soft suppression). */
  marketingSuppressed?: { reason: string; source: string; at: string };
  /** The last delivery problem reported, blocking or not (e.g. an SMS the carrier did not deliver). */
  lastProblem?: { reason: string; source: string; at: string };
}

export interface ConsentState {
  /** Customer-wide marketing consent: null = never stated (the playbook decides what that means). */
  marketing: { granted: boolean | null; source?: string; at?: string; previous?: boolean | null };
  channels: Partial<Record<Channel, ChannelConsent>>;
  /** Last inbound message per channel (WhatsApp's 24-hour window). */
  lastInboundAt: Partial<Record<Channel, string>>;
  /** When marketing messages were granted a send (ms), for the frequency cap; pruned to the window. */
  marketingSentAt: number[];
  /** Recent webhook/event ids already applied: replays change nothing. Bounded. */
  seenEvents: string[];
  /** Recent permit decisions by permit id, so a retried request gets the same answer. Bounded. */
  permits: { id: string; decision: SendPermit }[];
  /** Telegram link tokens already used (single use). Bounded. */
  usedLinkTokens: string[];
}

export type CustomerEvent =
  | {
      type: 'opt-out';
      channel: Channel | 'all';
      scope: 'all' | 'marketing';
      source: string;
      eventId: string;
      at: string;
    }
  | {
      type: 'opt-in';
      channel: Channel | 'all';
      scope: 'all' | 'marketing';
      source: string;
      eventId: string;
      at: string;
    }
  | {
      type: 'delivery-problem';
      channel: Channel;
      problem:
        'hard-bounce' | 'soft-bounce' | 'complaint' | 'undelivered' | 'blocked' | 'invalid-address' | 'opted-out';
      source: string;
      eventId: string;
      at: string;
    }
  | {
      type: 'telegram-linked';
      chatId: string;
      linkToken: string;
      contactKey: string;
      source: string;
      eventId: string;
      at: string;
    }
  | { type: 'inbound'; channel: Channel; source: string; eventId: string; at: string }
  /** Not consent: follow-up facts the lifecycle remembers (offers for attribution, answers). */
  | {
      type: 'offer-issued';
      code: string;
      orderId: string;
      expiresAt: string;
      source: string;
      eventId: string;
      at: string;
    }
  | {
      type: 'feedback';
      orderId: string;
      rating: number;
      comment?: string;
      source: string;
      eventId: string;
      at: string;
    };

export interface SendPermitRequest {
  /** Idempotency: the same id always gets the same decision. */
  permitId: string;
  kind: MessageKind;
  purpose: Purpose;
  /** The playbook's channel order for this kind; the customer's preference is applied by the lifecycle. */
  channels: Channel[];
}

export type SendPermit =
  | {
      decision: 'send';
      /** Allowed channels in order, with the address to use and, per channel, when it may be used. */
      channels: { channel: Channel; to: string; notBefore?: string }[];
      /** WhatsApp: inside the 24-hour window free-form text is allowed; outside, only templates. */
      whatsappWindowOpen: boolean;
      locale?: string;
      timeZone?: string;
      name: string;
      /** The customer's standing, for messages that show it (the thank-you). */
      loyalty?: MessageData['loyalty'];
    }
  | { decision: 'wait'; until: string; reason: 'quiet-hours' | 'frequency-cap' }
  | { decision: 'skip'; reason: string };

/** Start of a skip reason meaning nobody could be reached at all (not a consent decision). */
export const NO_REACHABLE_CHANNEL = 'no channel can reach the customer';

export const requestSendPermitUpdate = defineUpdate<SendPermit, [SendPermitRequest]>('requestSendPermit');
export const customerEventSignal = defineSignal<[CustomerEvent]>('customerEvent');

/** Failure types the journey reports back to the lifecycle after a permanent delivery failure. */
export const DELIVERY_PROBLEM_OF: Record<string, Extract<CustomerEvent, { type: 'delivery-problem' }>['problem']> = {
  RecipientOptedOut: 'opted-out',
  ChannelUnreachable: 'blocked',
  InvalidAddress: 'invalid-address',
};

// ---------------------------------------------------------------------------------------------
// Measure each measure: durable follow-up counts, kept by one workflow (restarts lose nothing).
// ---------------------------------------------------------------------------------------------
/** One per task queue (deployment), so tests and tenants on one namespace keep their own counts. */
export const statsWorkflowId = (taskQueue: string) => `aftercare-stats-${taskQueue}`;
export const STAT_METRICS = ['sent', 'answered', 'converted'] as const;
export type StatMetric = (typeof STAT_METRICS)[number];

export interface StatEvent {
  kind: string;
  metric: StatMetric;
  /** Counting is idempotent per event id (activity retries, repeated clicks). */
  eventId: string;
  at: string;
}

export interface StatsState {
  /** period ("2026-11") → kind → metric → count. */
  counts: Record<string, Record<string, Partial<Record<StatMetric, number>>>>;
  seen: string[];
  generation: number;
}

export const countSignal = defineSignal<[StatEvent]>('count');
export const getStatsQuery = defineQuery<StatsState>('getStats');
