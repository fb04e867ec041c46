import type { Playbook } from '../../playbook/schema';
import type { MessageRecord } from '../delivery/contract';
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
  deliver(message: Outgoing): Promise<MessageRecord>;
  now(): string;
}
