/** The order journey's cancellation, as an Update (part of its contract: ./contract re-exports it). No I/O. */
import { defineUpdate } from '@temporalio/workflow';
import type { OrderJourneyState } from './journey-state';

/** The business (or its shop) cancels the order: the customer is told, every remaining follow-up stops. */
export interface CancelOrderInput {
  reason: string;
  /** When it happened at the source (the shop's time); defaults to when Aftercare heard of it. */
  occurredAt?: string;
  /** Where it came from: "api", "shopify", "woocommerce". */
  source?: string;
}
export interface CancelOrderResult {
  orderId: string;
  status: OrderJourneyState['status'];
  /** True when the order was cancelled already: nothing changed, nothing was sent again. */
  alreadyCancelled: boolean;
  messageKey?: string;
}
export const cancelOrderUpdate = defineUpdate<CancelOrderResult, [CancelOrderInput]>('cancelOrder');
