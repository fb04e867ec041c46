/**
 * The order journey's contract, shared by the workflow, the client and the API: id, updates,
 * queries, signals, search attributes, its input and the state it shows (./journey-state.ts). Deterministic: no I/O.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Playbook } from '../../playbook/schema';
import { tenantPrefix } from '../tenant';
import { customerRulesOf, type CustomerProfile, type OrderPlacedSignal } from '../customer/contract';
import type { Address } from '../delivery/contract';
import type { CustomerSnapshot } from '../customer/snapshot';
import type { Channel } from '../../channels/types';
import type { FeedbackInput, OrderJourneyState } from './journey-state';

// The contract's other parts, each in its own file; importers keep importing them from here.
export * from './operator-contract';
export * from './journey-state';
export * from './cancellation-contract';
export * from './refund-contract';

/** The order's journey: one per order and tenant (the default tenant's ids have no prefix: ./tenant.ts). */
export const orderJourneyId = (orderId: string, tenant?: string) => `${tenantPrefix(tenant)}order-${orderId}`;

/** Search attributes an operator filters journeys on in the Temporal UI (AftercareCustomerId too). */
export const ORDER_SA = {
  orderId: defineSearchAttributeKey('AftercareOrderId', SearchAttributeType.KEYWORD),
  stage: defineSearchAttributeKey('AftercareStage', SearchAttributeType.KEYWORD),
  waitingFor: defineSearchAttributeKey('AftercareWaitingFor', SearchAttributeType.KEYWORD),
  nextActionAt: defineSearchAttributeKey('AftercareNextActionAt', SearchAttributeType.DATETIME),
  deliveryFailures: defineSearchAttributeKey('AftercareDeliveryFailures', SearchAttributeType.INT),
  /** When the last message nobody could be sent failed ("delivery failures today"). */
  lastFailureAt: defineSearchAttributeKey('AftercareLastFailureAt', SearchAttributeType.DATETIME),
  /** Why the journey is stuck (a StuckReason); absent while it is not. */
  stuck: defineSearchAttributeKey('AftercareStuck', SearchAttributeType.KEYWORD),
  /** Since when it is stuck. */
  stuckSince: defineSearchAttributeKey('AftercareStuckSince', SearchAttributeType.DATETIME),
} as const;

export interface OrderItem {
  sku: string;
  name: string;
  quantity: number;
  unitPrice: number;
  /** unitPrice in the currency's minor units (cents). */
  unitPriceMinor: number;
  warrantyMonths?: number;
}

/** An order as the edge validated it: money in integer minor units. */
export interface Order {
  orderId: string;
  customer: CustomerProfile;
  items: OrderItem[];
  currency: string;
  totalMinor: number;
  placedAt?: string;
  /** A personal offer or win-back code the customer used: attributes this order to that follow-up. */
  promoCode?: string;
}

export interface OrderJourneyInput {
  order: Order;
  /** The playbook the journey runs by, frozen at start so edits never rewrite running journeys. */
  playbook: Playbook;
  /** When Aftercare received the order (ISO); placedAt defaults to it. */
  receivedAt: string;
  /**
   * The lean path (the starter recorded the order with the customer's lifecycle): the order's keyed addresses
   * and the customer's snapshot, so the journey decides its transactional messages itself. Absent in journeys
   * started before it (they ask the lifecycle before every message, as they did).
   */
  customer?: { addresses: Address[]; snapshot: CustomerSnapshot };
  /**
   * 1: the journey keeps its stuck marks (stage deadlines, a send that outlasts `delivery.stuckAfter`). Absent in
   * journeys started before, which replay without them.
   */
  operatorTools?: 1;
}

/** A stage move, or a "delayed" / "problem" notice (which needs a reason or note). */
export interface StageUpdate {
  stage: string;
  note?: string;
  reason?: string;
  eta?: string;
  /** When it happened at the source (the shop's time); an update older than the current stage is ignored. */
  occurredAt?: string;
}

export interface StageUpdateResult {
  stage: string;
  status: OrderJourneyState['status'];
  /** Key of the message this update queued, if any. */
  messageKey?: string;
  /** True when the update happened before the order's current stage did: acknowledged, and nothing changed. */
  stale?: boolean;
}

/** Error types the update validators use; the client maps them to HTTP statuses. */
export const JourneyErrorType = {
  unknownStage: 'UnknownStage',
  stageOutOfOrder: 'StageOutOfOrder',
  journeyCompleted: 'JourneyCompleted',
  feedbackClosed: 'FeedbackClosed',
  /** A delay or problem notice with the same reason as an earlier one: the customer was told already. */
  noticeRepeated: 'NoticeRepeated',
  /** The order had MAX_NOTICES_PER_ORDER notices: more would be noise, or a client in a loop. */
  noticeLimit: 'NoticeLimit',
  /** A refund that would take back more than the order's total. */
  refundTooLarge: 'RefundTooLarge',
  /** An operator action with nothing to act on (no message in flight, no wait, an unknown or unsent message). */
  nothingToDo: 'NothingToDo',
} as const;

/** Delay and problem notices one order may send its customer. */
export const MAX_NOTICES_PER_ORDER = 10;

export const advanceStageUpdate = defineUpdate<StageUpdateResult, [StageUpdate]>('advanceStage');
export const getJourneyQuery = defineQuery<OrderJourneyState>('getJourney');
/** The customer's satisfaction answer; a second answer replaces the first until the journey moves on. */
export const submitFeedbackUpdate = defineUpdate<{ accepted: true; replaced: boolean }, [FeedbackInput]>(
  'submitFeedback',
);
/** A click on the review link (counted for "measure each measure"); ids make repeats harmless. */
export const reviewClickedSignal = defineSignal<[{ eventId: string; at: string }]>('reviewClicked');
/** Sends the counts a lean journey holds now (an erasure is about to delete it; counts must stay). */
export const flushCountsUpdate = defineUpdate<void, []>('flushCounts');
/** The customer's lifecycle: what the journey keeps of the customer changed (an opt-out, a bounce, a link). */
export const customerSnapshotSignal = defineSignal<[CustomerSnapshot]>('customerSnapshot');

/**
 * Something the customer wrote about this order (an SMS, Telegram or WhatsApp reply), handed on by the customer's
 * lifecycle (which got it from the API and is the authority on replays: it hands each provider id on once). A rating
 * while the survey is open is the survey's answer (the same as the rating page); a rating with no survey open is
 * only recorded; anything else goes to the business's operators and the customer hears "we'll get back to you"
 * (within limits: see customer/reply-limits.ts). A signal: durable once sent, nothing waits for the journey.
 */
export interface CustomerReply {
  channel: Channel;
  text: string;
  /** Read from the text or from a button the customer tapped ("reply 1-5"). */
  rating?: number;
  comment?: string;
  eventId: string;
  at: string;
}
export const customerReplySignal = defineSignal<[CustomerReply]>('customerReply');

/** The journey workflow's type and signature, for clients that start it by name. */
export const ORDER_JOURNEY = 'orderJourney';
export type OrderJourneyWorkflow = (input: OrderJourneyInput) => Promise<OrderJourneyState>;

/**
 * An order as its customer's lifecycle records it, before its contacts are keyed (keys need a secret workflow code
 * never holds): the API's lean start and older journeys' record-order activity send the same record.
 */
export function orderForCustomer(
  order: Order,
  playbook: Playbook,
  receivedAt: string,
): Pick<OrderPlacedSignal, 'rules' | 'profile' | 'playbook'> & { order: OrderPlacedSignal['order'] } {
  return {
    rules: customerRulesOf(playbook),
    profile: order.customer,
    order: {
      orderId: order.orderId,
      placedAt: order.placedAt ?? receivedAt,
      currency: order.currency,
      totalMinor: order.totalMinor,
      ...(order.promoCode ? { promoCode: order.promoCode } : {}),
      // For "the last thing they bought" in templates: the lifecycle keeps a few names, clipped.
      ...(order.items.length > 0 ? { items: order.items.slice(0, 3).map((item) => item.name.slice(0, 60)) } : {}),
    },
    playbook,
  };
}
