/** The order journey's refunds and returns, as an Update (part of its contract: ./contract re-exports it). No I/O. */
import { defineUpdate } from '@temporalio/workflow';

/** Money back for the order (a refund), or for goods sent back (a return), whole or in part, in minor units. */
export interface RefundInput {
  /** The business's (or shop's) id for it: the same id again is the same refund. */
  refundId: string;
  kind: 'refund' | 'return';
  amountMinor: number;
  /** Must be the order's currency. */
  currency: string;
  reason?: string;
  occurredAt?: string;
  source?: string;
}
export interface RefundResult {
  orderId: string;
  refundId: string;
  /** False for a repeat of a refund already recorded: nothing changed, nothing was sent again. */
  applied: boolean;
  /** All refunded so far, in minor units. */
  refundedMinor: number;
  messageKey?: string;
}
export const recordRefundUpdate = defineUpdate<RefundResult, [RefundInput]>('recordRefund');
export type RefundRecord = Required<Pick<RefundInput, 'refundId' | 'kind' | 'amountMinor' | 'source'>> & {
  reason?: string;
  at: string;
};
