/**
 * The state an order journey shows (getJourney) and the stuck marks it keeps: part of its contract (./contract
 * re-exports it). Deterministic: no I/O.
 */
import type { IssueKind } from '../../playbook/schema';
import type { ConversationEntry } from '../customer/contract';
import type { MessageRecord } from '../delivery/contract';
import type { OperatorAction } from './operator-contract';
import type { RefundRecord } from './refund-contract';

/**
 * Why a journey needs a person, kept by the journey itself (no poller):
 * - delivery-failing: a send still retrying transient provider errors after the playbook's `delivery.stuckAfter`;
 * - stage-overdue: no update for the next stage within that stage's `expectedWithin`;
 * - waiting-on-lifecycle: the customer's lifecycle has not answered a permit request for longer than expected;
 * - held: quiet hours or the frequency cap have held a message for more than a day.
 */
export const STUCK_REASONS = ['delivery-failing', 'stage-overdue', 'waiting-on-lifecycle', 'held'] as const;
export type StuckReason = (typeof STUCK_REASONS)[number];

/** The journey's stuck mark as it shows it (state and search attributes). */
export interface StuckMark {
  reason: StuckReason;
  since: string;
  /** What is wrong, with the last error class where there is one (no customer data). */
  detail: string;
  /** What an operator can do about it. */
  remedy: string;
}

/** The customer's satisfaction answer, as submitted. */
export interface FeedbackInput {
  rating: number;
  comment?: string;
  /** Where the answer came from: the survey page, or the business's own channel. */
  source?: string;
}
export type Feedback = FeedbackInput & { at: string };

export type FollowUpStatus = 'scheduled' | 'done' | 'answered' | 'no-answer' | 'cancelled';

export type JourneyEvent =
  | { type: 'stage'; stage: string; note?: string; eta?: string; at: string }
  | { type: IssueKind; reason: string; eta?: string; at: string }
  | { type: 'cancelled'; reason: string; source: string; at: string }
  | OperatorEvent;

/** An operator's action, as the journey's record keeps it (its audit trail). */
export interface OperatorEvent {
  type: 'operator';
  action: OperatorAction;
  reason: string;
  /** Who acted, as they named themselves (`--by`, the API's `by`; the command defaults to the login name). */
  by?: string;
  messageKey?: string;
  /** What came of it, e.g. "the offer's wait ends at …" or "re-sent as offer~resend-1". */
  outcome: string;
  at: string;
}

export interface OrderJourneyState {
  orderId: string;
  customerId: string;
  /** cancelled: an operator cancelled what remained; the record stays. */
  status: 'active' | 'completed' | 'cancelled';
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
  operatorAlerts: { channel: 'email' | 'telegram'; outcome: 'sent' | 'failed'; at: string }[];
  reviewClicks: { eventId: string; at: string }[];
  referralCode?: string;
  completedAt?: string;
  /** What the journey knows of its customer's consent (lean path): the snapshot's version and what it rules out. */
  customer?: { version: number; stopped: boolean; blocked: string[] };
  /** Why it needs a person, while it does. */
  stuck?: StuckMark;
  cancelledAt?: string;
  /** Set when the business cancelled the order (an operator's cancel of the follow-ups leaves it unset). */
  cancellation?: { reason: string; source: string; at: string };
  /** Refunds and returns, in the order they came. */
  refunds?: RefundRecord[];
  /** What the customer wrote about this order, and what went back; bounded, never logged. */
  conversation?: ConversationEntry[];
}
