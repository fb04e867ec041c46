import type { Playbook } from '../../playbook/schema';
import type { CustomerEvent } from '../customer/contract';
import type { MessageRecord, SendPermit, SendPermitRequest } from '../delivery/contract';
import type { Outgoing } from '../delivery/deliver';
import type { Answers } from './answers';
import type { Order, OrderJourneyState } from './contract';
import type { OperatorView } from './operator-view';

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
  deliver(message: Outgoing): Promise<MessageRecord>;
  now(): string;
}

/** The journey's line to its customer's lifecycle (./customer-link): a closed lifecycle is handled there. */
export interface CustomerLink {
  /** After a failed call the journey made itself: a closed lifecycle is noted (operator told once), else rethrown. */
  lifecycleClosedOrThrow(err: unknown): Promise<void>;
  /** A permit for a message to this order's own customer (never to whoever last used the same customer id). */
  permit(request: SendPermitRequest): Promise<SendPermit>;
  report(event: CustomerEvent, address?: { channel: SendPermitRequest['channels'][number]; to: string }): Promise<void>;
}
