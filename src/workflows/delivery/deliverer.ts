/**
 * What the delivery loop (./deliver) takes: the message a workflow wants sent, and what its caller (the order
 * journey or the customer lifecycle) provides. Types only, so the loop's parts can share them without a cycle.
 */
import type { Channel } from '../../channels/types';
import type { KindAndData } from '../../messages/data';
import type { Playbook } from '../../playbook/schema';
import type { CustomerEvent } from '../customer/contract';
import type { MessageRecord, SendPermit, SendPermitRequest } from './contract';

/** A message a workflow wants sent: a kind with that kind's data, so the compiler checks them where it is built. */
export type Outgoing = Envelope & KindAndData;

interface Envelope {
  /** Unique within the workflow; with the workflow id it forms the idempotency key. */
  key: string;
  /** Until when links in the message work (the survey's answer window). */
  linkExpiresAt?: string;
  /** Only these channels (an answer goes back where the customer wrote); absent: the playbook's for the kind. */
  channels?: Channel[];
}

type Waiting = Extract<SendPermit, { decision: 'wait' }>;

/**
 * What the caller provides. Hooks that may complete synchronously return a plain value: the loop
 * then does not await, so the order of commands in a workflow task stays what it always was.
 */
export interface Deliverer {
  workflowId: string;
  customerId: string;
  playbook: Playbook;
  /** Keeps the record where the caller shows its messages. */
  track(record: MessageRecord): void;
  /** Consent, caps, quiet hours and reachability: the customer's lifecycle decides. */
  permit(request: SendPermitRequest): SendPermit | Promise<SendPermit>;
  /** How a wait reads on the message record. */
  waitReason(permit: Waiting): string;
  /** Sleeps until the given time, saying what for (in the Temporal UI). */
  waitUntil(waitingFor: string, what: string, untilIso: string): Promise<void>;
  /** Right before each attempt (the journey shows it to operators). */
  beforeAttempt?(message: Pick<Outgoing, 'key' | 'kind'>, channel: Channel): void;
  /** Who reports a problem about an address (kept with the customer's consent record). */
  problemSource(message: Pick<Outgoing, 'key' | 'kind'>): string;
  /** A permanent failure said something about the address: no other message should try it. */
  reportProblem(
    event: Extract<CustomerEvent, { type: 'delivery-problem' }>,
    address: { channel: Channel; to: string; key?: string },
  ): void | Promise<void>;
  /** Nobody could be reached, or every channel failed: as visible to operators as a failed send. */
  onUndeliverable?(record: MessageRecord): void;
  /** Offer a "get updates on Telegram" link when the customer has none yet (order messages only). */
  offersTelegramLink: boolean;
  /** Lean: sends go to their provider's rate-limited queue, transactional first. */
  byProvider?: boolean;
  /**
   * Runs one send (all its retries) where an operator can retry it now or skip it; given the first try's time budget
   * when the journey marks itself stuck past one. Absent: the send runs as it is.
   */
  controlledSend?<T>(
    key: string,
    what: string,
    send: (scheduleToCloseMs: number | undefined) => Promise<T>,
  ): Promise<T>;
  /** Counts a sent message (lean journeys keep counts for a batch); absent, an activity counts each. */
  count?(event: { kind: string; key: string; variant?: string }): void;
  now(): string;
}
