/**
 * What the customer tells the business, as the lifecycle keeps it: the conversation (replies on SMS, Telegram,
 * WhatsApp), their preferences page and the questionnaire for regulars. Part of the lifecycle's contract
 * (./contract re-exports it). Deterministic: no I/O.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Channel } from '../../channels/types';
import type { SwitchableTopic } from '../../messages/topics';
import type { ConsentState, CustomerPreferences } from './consent-contract';

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

/** The customer's preferences page: answered once every running journey of the customer has the change. */
export const setPreferencesUpdate = defineUpdate<PreferencesView, [PreferencesChange]>('setPreferences');
/** What the preferences page reads. */
export const getPreferencesQuery = defineQuery<PreferencesView>('getPreferences');
/** The questionnaire's answers from the customer's page (they replace earlier ones). */
export const answerQuestionnaireUpdate = defineUpdate<
  QuestionnaireState,
  [{ answers: QuestionnaireAnswers; eventId: string; at: string }]
>('answerQuestionnaire');
