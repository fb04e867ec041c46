import type { Playbook } from '../../playbook/schema';
import type { CustomerEvent } from '../customer/contract';
import type { JourneyNews } from '../customer/snapshot';
import type { MessageRecord, SendPermit, SendPermitRequest } from '../delivery/contract';
import type { Outgoing } from '../delivery/deliver';
import type { Answers } from './answers';
import type { Counter } from './counts';
import type { Order, OrderJourneyState } from './contract';
import type { OperatorView } from './operator-view';
import type { Operations } from './operations';

/** What the parts of a journey share. */
export interface Journey {
  order: Order;
  playbook: Playbook;
  workflowId: string;
  state: OrderJourneyState;
  view: OperatorView;
  answers: Answers;
  /** The customer's lifecycle: orders, permits, events (a closed lifecycle is handled there). */
  customer: CustomerLink;
  /** What the follow-ups did, for the counts. */
  counter: Counter;
  /** Before a wait: a lean journey sends what it holds when the wait is a day or more. */
  beforeWait(ms: number): Promise<void>;
  deliver(message: Outgoing): Promise<MessageRecord>;
  /** Waits an operator can move, sends they can retry or skip, the stuck mark, a cancel (./operations). */
  ops: Operations;
  /** Started with operator tools (input.operatorTools): it also tells its lifecycle when its follow-ups are done. */
  operatorTools: boolean;
  now(): string;
}

/** The journey's line to its customer's lifecycle: ./customer-link (asks before every message) or ./lean-link. */
export interface CustomerLink {
  /** Keeps a snapshot of the customer and decides transactional messages itself. */
  readonly lean: boolean;
  /** After a failed call the journey made itself: a closed lifecycle is noted (operator told once), else rethrown. */
  lifecycleClosedOrThrow(err: unknown): Promise<void>;
  /** A permit for a message to this order's own customer (never to whoever last used the same customer id). */
  permit(request: SendPermitRequest): SendPermit | Promise<SendPermit>;
  report(
    event: CustomerEvent,
    address?: { channel: SendPermitRequest['channels'][number]; to: string; key?: string },
  ): Promise<void>;
  /** Lean: news for the lifecycle, carried by the next marketing permit request or sent by flush(). */
  tell(news: Omit<JourneyNews, 'orderId'>): Promise<void>;
  /** Lean: sends pending news now (at completion, before a long wait, at the end). */
  flush(ended?: boolean): Promise<void>;
}
