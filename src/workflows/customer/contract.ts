/**
 * The customer lifecycle's contract, shared by the workflow, its activities, the client and the API:
 * id, signals, updates, queries, search attributes and the state it keeps. Deterministic: no I/O.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Channel } from '../../channels/types';
import type { Playbook } from '../../playbook/schema';
import { tenantPrefix } from '../tenant';
import type { DeliveryProblem, JourneyNews, MessageRecord, SendPermit, SendPermitRequest } from '../delivery/contract';
import type { PersonalData } from '../../messages/data';
import type { SwitchableTopic } from '../../messages/topics';

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

/** One message in the conversation with the customer. */
export interface ConversationEntry {
  at: string;
  channel: Channel;
  direction: 'in' | 'out';
  /** Bounded (MAX_CONVERSATION_TEXT characters). */
  text: string;
  /** The order it was about, when Aftercare could tell. */
  orderId?: string;
  /**
   * What came of it: an answer to the survey, forwarded to the business, an acknowledgement sent, or recorded only
   * (a rating with no survey open, or over the limits of reply-limits.ts). The profile's entry of a reply handed to
   * a running journey has none: that journey's conversation says.
   */
  outcome?: 'answer' | 'forwarded' | 'acknowledged' | 'recorded';
  /** The provider's id of the inbound message (replays change nothing). */
  eventId?: string;
}

/** When replies were last acknowledged per channel, and forwarded to the operators (the last few times). */
export interface ReplyLimits {
  acknowledgedAt?: Partial<Record<Channel, string>>;
  forwardedAt?: string[];
}

/** Conversation entries kept per journey and per customer, and the longest text kept of one. */
export const MAX_CONVERSATION = 50;
export const MAX_CONVERSATION_TEXT = 1000;

/** Answers by question id: one choice id, several, a free text, or a date ("MM-DD" for occasions). */
export type QuestionnaireAnswers = Record<string, string | string[]>;

export interface QuestionnaireState {
  /** When the invitation went out (once per customer). */
  invitedAt?: string;
  /** Why the invitation did not go (marketing not allowed then): the questionnaire stays closed, never retried. */
  inviteSkipped?: string;
  answers?: QuestionnaireAnswers;
  answeredAt?: string;
  /** When each occasion date was given or last changed (by question id): a date needs notice to be greeted. */
  occasionSetAt?: Record<string, string>;
  /** Occasion greetings sent, as "<question id>/<year>": one per occasion and year. */
  greeted?: string[];
  /** Ids of the answers applied (the last few): the same form posted twice is applied once. */
  eventIds?: string[];
}

/** What the customer chose on their preferences page. */
export interface CustomerPreferences {
  /** Channels in the customer's order (those switched on come first, in this order). */
  channels?: Channel[];
  /** Channels the customer switched off: nothing goes there (order news too), until they switch it on. */
  off?: Channel[];
  /** Topics switched off (order news cannot be: it is always on while an order is open). */
  topicsOff?: SwitchableTopic[];
  /** The language they read messages in. */
  locale?: string;
  /** The customer's own marketing pause (30 or 90 days); an operator's pause is consent.marketingPaused. */
  pausedUntil?: string;
  source: string;
  at: string;
}

/** A change from the preferences page; absent fields stay as they are. */
export interface PreferencesChange {
  channels?: Channel[];
  off?: Channel[];
  topicsOff?: SwitchableTopic[];
  locale?: string;
  /** Pause marketing for this many days from now (0 resumes it). */
  pauseMarketingDays?: 0 | 30 | 90;
  /** The same id again is the same change (a form posted twice). */
  eventId: string;
  source: string;
  at: string;
}

/** What the preferences page shows, and what a change answers with. */
export interface PreferencesView {
  customerId: string;
  preferences: CustomerPreferences | null;
  marketingPaused?: ConsentState['marketingPaused'];
  /** Channels the customer has an address for (the page offers those). */
  reachable: Channel[];
  /** Whether an order of theirs is open (order news is then always on). */
  orderOpen: boolean;
  /** The customer stopped every offer (an unsubscribe, a STOP, the page's "Stop all offers"). */
  marketingOff?: boolean;
  /** They were invited to the questionnaire: the page links it (/questionnaire/<the same token>). */
  questionnaireInvited?: boolean;
  locale?: string;
  name: string;
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

// ---------------------------------------------------------------------------------------------
// Consent: the per-customer rules that span journeys (see docs/architecture.md).
// ---------------------------------------------------------------------------------------------
export interface ConsentMark {
  reason: string;
  source: string;
  at: string;
  /** The address it is about, when it came from one (a STOP, a bounce): it goes when that address does. */
  key?: string;
}

export interface ChannelConsent {
  /** Nothing may be sent on this channel (STOP, hard bounce, blocked bot, invalid address). */
  blocked?: ConsentMark;
  /** Marketing may not be sent on this channel (complaint, soft suppression). */
  marketingSuppressed?: ConsentMark;
  /** The last delivery problem reported, blocking or not (e.g. an SMS the carrier did not deliver). */
  lastProblem?: ConsentMark;
}

export interface ConsentState {
  /** Customer-wide marketing consent: null = never stated (the playbook decides what that means). */
  marketing: { granted: boolean | null; source?: string; at?: string; previous?: boolean | null };
  channels: Partial<Record<Channel, ChannelConsent>>;
  /**
   * The same per address ("<channel>/<contact key>"): a STOP from one number, or a bounce of an old address,
   * blocks that address, not every address the customer has on the channel. Bounded.
   */
  addresses?: Record<string, ChannelConsent>;
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
  /** The customer withdrew consent for every message on every channel; only their opt-in undoes it. */
  stopped?: { source: string; at: string };
  /** An operator paused the customer's marketing: nothing marketing goes out until `until` (or a resume). */
  marketingPaused?: { until?: string; reason: string; source: string; at: string };
  /**
   * Opt-in and opt-out event ids, kept far longer than seenEvents (they are rare), so a captured START
   * replayed months later never undoes a STOP. Bounded.
   */
  consentEvents?: string[];
  /** When consent last changed per channel ("all" for every channel): an older event changes nothing. */
  consentChangedAt?: Partial<Record<Channel | 'all', string>>;
  /** The customer's own choices from their preferences page: channels, topics, language. */
  preferences?: CustomerPreferences;
}

interface EventBase {
  source: string;
  /** Replayed ids change nothing. */
  eventId: string;
  at: string;
}

export type CustomerEvent =
  | ({
      type: 'opt-out' | 'opt-in';
      channel: Channel | 'all';
      scope: 'all' | 'marketing';
      /** The address it came from (a channel's own STOP/START): the consent applies to that address. */
      contactKey?: string;
    } & EventBase)
  | ({ type: 'delivery-problem'; channel: Channel; problem: DeliveryProblem; contactKey?: string } & EventBase)
  | ({
      type: 'telegram-linked';
      chatId: string;
      linkToken: string;
      contactKey: string;
      /** The link's id: its last characters name the order whose message carried it. */
      linkId?: string;
    } & EventBase)
  | ({
      type: 'inbound';
      channel: Channel;
      /** What the customer wrote (absent: a message we could not read, or from before replies were kept). */
      text?: string;
      /**
       * The order the API chose (the lifecycle hands the reply to its journey, once per eventId); absent: no journey
       * of theirs is running, the lifecycle handles it itself.
       */
      orderId?: string;
      /** The rating read from the text or the button they tapped, and the comment after it. */
      rating?: number;
      comment?: string;
      /** The rating came from a one-tap button. */
      button?: boolean;
      /** Events from before the lifecycle handed replies on: what the journey's update did with it. */
      outcome?: 'answer' | 'forwarded';
    } & EventBase)
  /** An operator holds the customer's marketing (until a time, or until resumed); order news still goes. */
  | ({ type: 'marketing-paused'; until?: string; reason: string } & EventBase)
  | ({ type: 'marketing-resumed'; reason: string } & EventBase)
  /** Not consent: follow-up facts the lifecycle remembers (offers for attribution, answers). */
  | ({ type: 'offer-issued'; code: string; orderId: string; expiresAt: string; variant?: string } & EventBase)
  | ({ type: 'feedback'; orderId: string; rating: number; comment?: string } & EventBase);

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
/** The customer's preferences page: answered once every running journey of the customer has the change. */
export const setPreferencesUpdate = defineUpdate<PreferencesView, [PreferencesChange]>('setPreferences');
/** What the preferences page reads. */
export const getPreferencesQuery = defineQuery<PreferencesView>('getPreferences');
/** The questionnaire's answers from the customer's page (they replace earlier ones). */
export const answerQuestionnaireUpdate = defineUpdate<
  QuestionnaireState,
  [{ answers: QuestionnaireAnswers; eventId: string; at: string }]
>('answerQuestionnaire');
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
