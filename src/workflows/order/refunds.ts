/**
 * Money back: a refund, or a return of goods, whole or in part. Each is recorded once (by its id), told to the
 * customer, and taken off the customer's spend and cashback by their lifecycle. The message goes out beside the
 * journey's own flow (a refund can come while it sleeps for weeks before a follow-up). Workflow code: deterministic.
 */
import { ApplicationFailure, isCancellation, log, setHandler } from '@temporalio/workflow';
import { summary as bounded } from '../../lib/bounded-text';
import { FollowUpsCancelled, type Outgoing } from '../delivery/deliver';
import type { Journey } from './context';
import { JourneyErrorType, recordRefundUpdate, type RefundResult } from './contract';

export interface Refunds {
  /** Nothing is waiting to be told: the journey may end. */
  idle(): boolean;
}

export function handleRefunds(j: Journey): Refunds {
  const { state, order } = j;
  const pending: { message: Outgoing; refundId: string; amountMinor: number }[] = [];
  let busy = false;
  const refunded = () => (state.refunds ?? []).reduce((sum, r) => sum + r.amountMinor, 0);

  /** Tells the customer and their lifecycle, one refund at a time, beside the journey's own flow. */
  const drain = async () => {
    if (busy) return;
    busy = true;
    try {
      while (pending.length > 0) {
        const next = pending.shift()!;
        try {
          await j.deliver(next.message);
        } catch (err) {
          // Cancelled meanwhile: the record keeps the refund; there is nobody left to tell.
          if (!(err instanceof FollowUpsCancelled) && !isCancellation(err)) throw err;
        }
        if (j.customer.lean) {
          await j.customer.tell({ refunds: [{ refundId: next.refundId, amountMinor: next.amountMinor }] });
          await j.customer.flush();
        }
      }
    } finally {
      busy = false;
    }
  };

  setHandler(
    recordRefundUpdate,
    ({ refundId, kind, amountMinor, reason, occurredAt, source }): RefundResult => {
      if ((state.refunds ?? []).some((r) => r.refundId === refundId)) {
        return { orderId: order.orderId, refundId, applied: false, refundedMinor: refunded() };
      }
      const at = occurredAt ?? j.now();
      (state.refunds ??= []).push({
        refundId,
        kind,
        amountMinor,
        source: source ?? 'api',
        ...(reason ? { reason: bounded(reason) } : {}),
        at,
      });
      const total = refunded();
      const messageKey = `refund-${state.refunds.length}`;
      pending.push({
        refundId,
        amountMinor,
        message: {
          key: messageKey,
          kind: 'refund_issued',
          data: {
            orderId: order.orderId,
            currency: order.currency,
            refund: { kind, amountMinor, full: total >= order.totalMinor },
          },
        },
      });
      log.info('refund recorded', { kind, full: total >= order.totalMinor });
      void drain();
      return { orderId: order.orderId, refundId, applied: true, refundedMinor: total, messageKey };
    },
    {
      description:
        'Money back for the order (a refund, or a return of goods), whole or in part, in minor units; the customer is told, and their spend and cashback go down.',
      validator: ({ refundId, amountMinor, currency }) => {
        if ((state.refunds ?? []).some((r) => r.refundId === refundId)) return;
        if (currency !== order.currency) {
          throw ApplicationFailure.nonRetryable(
            `order ${order.orderId} was paid in ${order.currency}, not ${currency}`,
            JourneyErrorType.refundTooLarge,
          );
        }
        if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) {
          throw ApplicationFailure.nonRetryable(
            'amountMinor must be a positive whole number of minor units',
            JourneyErrorType.refundTooLarge,
          );
        }
        const left = order.totalMinor - refunded();
        if (amountMinor > left) {
          throw ApplicationFailure.nonRetryable(
            `order ${order.orderId} has ${left} minor units left to refund (total ${order.totalMinor}, refunded ${refunded()}); ${amountMinor} is more`,
            JourneyErrorType.refundTooLarge,
          );
        }
      },
    },
  );
  return { idle: () => !busy && pending.length === 0 };
}
