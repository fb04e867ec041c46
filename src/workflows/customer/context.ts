import type { MessageRecord } from '../delivery/contract';
import type { Outgoing } from '../delivery/deliver';
import type { StatEvent } from '../stats/contract';
import type { CustomerLifecycleState } from './contract';

/** What the parts of a lifecycle share. */
export interface Lifecycle {
  state: CustomerLifecycleState;
  workflowId: string;
  /** Protocol 2 (the lean order path): journeys keep snapshots, counts go in batches to a shard. */
  lean: boolean;
  /** Protocol 3: the win-back waits for every open order and its follow-ups, and counts from their end. */
  winbackAfterFollowUps: boolean;
  /** Patch gates: lifecycles started before consent / loyalty existed replay without them. */
  withConsent: boolean;
  withLoyalty: boolean;
  /** Sends a message of the lifecycle's own (tier news, win-back) to the customer. */
  deliver(message: Outgoing): Promise<MessageRecord>;
  /** Runs work in the background so signals and permits keep flowing while it is in flight; settles after it. */
  sendInBackground(work: () => Promise<unknown>): Promise<void>;
  /** Counts waiting to be recorded by the main loop (conversions). */
  stats: Omit<StatEvent, 'at'>[];
  /** Grows with every new order: an in-flight win-back watches it. */
  ordersArrived(): number;
  now(): string;
}
