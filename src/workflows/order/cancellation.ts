/**
 * The business cancels the order (the API, or its shop): the customer gets one confirmation, every remaining
 * message and follow-up stops, the customer's lifecycle hears of it (a cancelled order counts neither toward
 * loyalty nor toward the win-back clock), and the journey ends keeping its record. An operator's cancel of the
 * follow-ups ends the same way, without telling the customer. Workflow code: deterministic.
 */
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { summary as bounded } from '../../lib/bounded-text';
import type { Journey } from './context';
import { cancelOrderUpdate, JourneyErrorType, type CancelOrderResult } from './contract';

const CONFIRMATION_KEY = 'cancelled';

export function handleCancellation(j: Journey): void {
  const { state, order } = j;
  setHandler(
    cancelOrderUpdate,
    ({ reason, occurredAt, source }): CancelOrderResult => {
      if (state.status === 'cancelled') {
        return { orderId: order.orderId, status: state.status, alreadyCancelled: true };
      }
      const at = j.now();
      const cancellation = { reason: bounded(reason), source: source ?? 'api', at: occurredAt ?? at };
      state.cancellation = cancellation;
      state.events.push({ type: 'cancelled', ...cancellation });
      j.ops.cancel(at);
      return { orderId: order.orderId, status: state.status, alreadyCancelled: false, messageKey: CONFIRMATION_KEY };
    },
    {
      description:
        'The business cancelled the order: the customer gets a cancellation confirmation, and every remaining message and follow-up stops.',
      validator: ({ reason }) => {
        if (!reason?.trim()) {
          throw ApplicationFailure.nonRetryable(
            'say why the order is cancelled (reason)',
            JourneyErrorType.nothingToDo,
          );
        }
        if (state.status === 'completed') {
          throw ApplicationFailure.nonRetryable(
            `order ${order.orderId} is already completed (stage "${state.stage}"): it can be refunded or returned, not cancelled`,
            JourneyErrorType.journeyCompleted,
          );
        }
      },
    },
  );
}

/** The journey's end after a cancel: what was planned is marked, the customer told (a business cancel), news sent. */
export async function endCancelled(j: Journey): Promise<void> {
  const { state, view } = j;
  for (const f of state.followUps)
    if (f.status === 'scheduled') Object.assign(f, { status: 'cancelled', doneAt: j.now() });
  if (state.stuck) j.ops.clear(state.stuck.reason);
  if (state.cancellation) {
    j.ops.finishing();
    view.show('delivery', 'the cancellation confirmation to the customer');
    await j.deliver({
      key: CONFIRMATION_KEY,
      kind: 'order_cancelled',
      data: { orderId: j.order.orderId, totalMinor: j.order.totalMinor, currency: j.order.currency },
    });
  }
  if (j.customer.lean) {
    // A cancelled order does not count; follow-ups an operator cut short are done, for the win-back clock.
    await j.customer.tell(state.cancellation ? { cancelledAt: state.cancellation.at } : { followUpsDoneAt: j.now() });
    await j.counter.flush();
    await j.customer.flush(true);
  }
  view.show(
    'nothing',
    state.cancellation
      ? `nothing: the order was cancelled (${state.cancellation.source})`
      : 'nothing: an operator cancelled the remaining follow-ups',
  );
  state.next = null;
}
