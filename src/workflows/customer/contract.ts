/**
 * The customer lifecycle's contract, shared by the workflow, its activities, the client and the API:
 * id, signals, updates, queries, search attributes and the state it keeps. Deterministic: no I/O.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Channel } from '../../channels/types';
import type { Playbook } from '../../playbook/schema';
import { tenantPrefix } from '../tenant';
import type { JourneyNews, MessageRecord, SendPermit, SendPermitRequest } from '../delivery/contract';
import type { PersonalData } from '../../messages/data';
import type { ConversationEntry, QuestionnaireState, ReplyLimits } from './talk-contract';
import type { ConsentState, CustomerEvent } from './consent-contract';

export * from './talk-contract';
export * from './consent-contract';

/** One lifecycle per customer, however often (or concurrently) their orders arrive. */
export const customerLifecycleId = (customerId: string, tenant?: string) =>
  `${tenantPrefix(tenant)}customer-${customerId}`;

/** Search attributes an operator filters customers on in the Temporal UI. */
export const CUSTOMER_SA = {
  /** Also set on every order journey of the customer. */
  customerId: defineSearchAttributeKey('AftercareCustomerId', SearchAttributeType.KEYWORD),
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

/** The part of the playbook a customer's lifecycle needs; refreshed by every order. */
export type CustomerRules = Pick<Playbook, 'consent' | 'quietHours' | 'frequencyCap'>;

/** The playbook's rules that span a customer's journeys. */
export const customerRulesOf = (playbook: Playbook): CustomerRules => ({
  consent: playbook.consent,
  quietHours: playbook.quietHours,
  frequencyCap: playbook.frequencyCap,
});

/** Who the customer is and how to reach them (PII: encrypted in history, never in logs or visibility). */
export interface CustomerProfile {
  id: string;
  name: string;
  email?: string;
  phone?: string;
  telegramChatId?: string;
  locale?: string;
  timeZone?: string;
  /** The customer's own channel order; overrides the playbook's. */
  preferredChannels?: Channel[];
  /** Explicit marketing consent given at checkout (needed where the playbook requires opt-in). */
  marketingConsent?: boolean;
}

export interface CustomerOrderSummary {
  orderId: string;
  placedAt: string;
  currency: string;
  totalMinor: number;
  /** cancelled: by the business; it counts neither toward loyalty nor toward the win-back clock. */
  status: 'active' | 'completed' | 'cancelled';
  completedAt?: string;
  cancelledAt?: string;
  /** Refunded so far (minor units), and the refunds' ids (a repeat changes nothing). */
  refundedMinor?: number;
  refundIds?: string[];
  /** Its journey tells when its follow-ups (survey, review, offer, referral) are done: the win-back waits for it. */
  reportsFollowUps?: boolean;
  followUpsDoneAt?: string;
  /** Keys of the order's own contacts (recent orders' keys stay findable by webhooks). */
  contactKeys?: string[];
  /** The order's tag in Telegram links minted for it, and the chat that opened one. */
  telegramTag?: string;
  telegramChatId?: string;
  telegramChatKey?: string;
  /** Its journey keeps a snapshot of the customer (it was recorded by the recordOrder update): send it news. */
  snapshotted?: boolean;
  /** Its journey is over: no more snapshots. */
  journeyEnded?: boolean;
  /** Names of the order's items (a few), for "the last thing they bought" in templates. */
  items?: string[];
}

export interface OrderPlacedSignal {
  /** The playbook rules the customer's messages obey (the newest order's playbook wins). */
  rules: CustomerRules;
  profile: CustomerProfile;
  /** Keyed hashes of the order's contacts, so webhooks can find the customer without plain PII in visibility. */
  contactKeys: string[];
  /** The same keys by field, to keep the profile's keys current as its contacts change. */
  profileKeys?: ProfileKeys;
  order: Omit<CustomerOrderSummary, 'status' | 'completedAt' | 'contactKeys' | 'telegramChatId'> & {
    promoCode?: string;
  };
  /** The whole playbook of the order (loyalty, value, win-back, message texts); absent from old journeys. */
  playbook?: Playbook;
  /** The order's journey keeps a snapshot of the customer (the lean path): consent changes are sent to it. */
  keepsSnapshot?: boolean;
  /** Its journey will say when its follow-ups are done (protocol 3 holds the win-back until then). */
  reportsFollowUps?: boolean;
}

export interface CustomerLifecycleInput {
  customerId: string;
  /** State carried across continue-as-new; absent on the first run. */
  carried?: CustomerLifecycleState;
  /** Continue-as-new after this many history events (tests set it tiny). */
  historyLimit?: number;
  /**
   * 2: started by the lean order path (no patch markers: every feature on, journeys keep snapshots, counts go
   * to sharded stats, the win-back timer is reused). Carried across continue-as-new; absent, the run behaves
   * as the release that started it did. 3: the same, and the win-back waits until no order is open and every
   * order's follow-ups are done, its clock running from then (new customers; a run keeps its protocol).
   */
  protocol?: 2 | 3;
}

export interface LoyaltyState {
  completedOrders: number;
  spendMinor: number;
  cashbackBalanceMinor: number;
  currency?: string;
  tier?: string;
  tierSince?: string;
}

export interface WinbackAttempt {
  attempt: 1 | 2;
  at: string;
  code: string;
  forLastOrderAt: string;
  // pending: waiting for quiet hours or the frequency cap, or in flight.
  status: 'pending' | 'sent' | 'skipped' | 'failed';
  /** The message's A/B variant: an order it wins back counts for it. */
  variant?: string;
}

export interface CustomerLifecycleState {
  customerId: string;
  profile: CustomerProfile | null;
  orders: CustomerOrderSummary[];
  /** Consent, suppressions and reachability per channel: the rules every journey asks before sending. */
  consent: ConsentState;
  rules: CustomerRules | null;
  contactKeys: string[];
  /** Keys of the profile's current contacts (absent in lifecycles from before addresses were keyed). */
  profileKeys?: ProfileKeys;
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
  /** `variant`: the offer message's A/B variant, which an order carrying the code counts for. */
  offersIssued?: { code: string; orderId: string; expiresAt: string; usedByOrderId?: string; variant?: string }[];
  winback?: { attempts: WinbackAttempt[]; converted: { orderId: string; at: string; attempt: number }[] };
  /** Messages the lifecycle itself sent (tier news, win-back). */
  messages?: MessageRecord[];
  /** Grows whenever what journeys keep of the customer changes (see snapshot.ts). */
  snapshotVersion?: number;
  /** A random id of this customer for counts (names nobody; gone on erasure). */
  statsId?: string;
  /** What the customer wrote (replies on SMS, Telegram, WhatsApp) and where it went; bounded, never logged. */
  conversation?: ConversationEntry[];
  /** When the lifecycle itself last acknowledged and forwarded replies (reply-limits.ts); bounded. */
  replyLimits?: ReplyLimits;
  /** The questionnaire for regulars: when they were invited, and their answers (PII: encrypted like all state). */
  questionnaire?: QuestionnaireState;
}

/**
 * What a journey keeps of its customer, so it decides its own transactional messages without a round trip
 * (see snapshot.ts).
 */
export interface CustomerSnapshot {
  /** Grows with every change; pushes may arrive out of order, the newest wins. */
  version: number;
  consent: Pick<ConsentState, 'marketing' | 'channels' | 'lastInboundAt'> &
    Partial<Pick<ConsentState, 'addresses' | 'stopped' | 'preferences'>>;
  /** What templates may say about the customer (tier, interests, last purchase). */
  personal?: PersonalData;
  /** A Telegram chat linked through this order's message. */
  linkedChat?: { to: string; key: string };
  /** The customer's standing before this order is credited (the thank-you adds the order itself). */
  loyalty?: LoyaltyState;
  /** The lifecycle is closed (terminated or failed): nothing goes to the customer until an operator looks. */
  closed?: boolean;
}

/** The keys of a profile's contacts, and of its Telegram link. */
export interface ProfileKeys {
  email?: string;
  phone?: string;
  telegram?: string;
  telegramLink?: string;
}

/** What the business may change about a customer (PATCH /v1/customers/{id}). */
export interface CustomerPatch {
  notes?: string;
  preferredChannels?: Channel[];
  locale?: string;
  timeZone?: string;
}

export const orderPlacedSignal = defineSignal<[OrderPlacedSignal]>('orderPlaced');
export const orderCompletedSignal = defineSignal<[{ orderId: string; completedAt: string }]>('orderCompleted');
export const customerEventSignal = defineSignal<[CustomerEvent]>('customerEvent');
export const getCustomerQuery = defineQuery<CustomerLifecycleState>('getCustomer');
export const updateCustomerUpdate = defineUpdate<CustomerLifecycleState, [CustomerPatch]>('updateCustomer');
export const requestSendPermitUpdate = defineUpdate<SendPermit, [SendPermitRequest]>('requestSendPermit');
/** A consent event from the business (the API): answered once lean journeys have the change. */
export const applyCustomerEventUpdate = defineUpdate<{ customerId: string; consent: ConsentState }, [CustomerEvent]>(
  'applyCustomerEvent',
);
/** The lean order path: records the order and answers with the snapshot its journey starts from. */
export const recordOrderUpdate = defineUpdate<CustomerSnapshot, [OrderPlacedSignal]>('recordOrder');
/** What a journey tells its lifecycle when no permit request carries it (completion, its end). */
export const journeyNewsSignal = defineSignal<[JourneyNews]>('journeyNews');

/** The lifecycle workflow's type and signature, for clients that start or signal it by name. */
export const CUSTOMER_LIFECYCLE = 'customerLifecycle';
export type CustomerLifecycleWorkflow = (input: CustomerLifecycleInput) => Promise<void>;

/** Failure types of the lifecycle's activities; journeys read them. */
export const CustomerErrorType = {
  /** The lifecycle was terminated or failed: never replaced by an empty one, an operator must look at it. */
  lifecycleClosed: 'CustomerLifecycleClosed',
} as const;
