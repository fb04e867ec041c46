import { formatDuration } from '../../playbook/duration';
import type { Playbook } from '../../playbook/schema';
import { contactFor, type SendPermit } from '../delivery/contract';
import type { Deliverer } from '../delivery/deliver';
import type { CustomerLink } from './context';
import type { Order, OrderJourneyState } from './contract';
import type { Counter } from './counts';
import type { Operations } from './operations';
import type { OperatorView } from './operator-view';

const DAY = 86_400_000;

/** What the journey's deliverer is built from (see orderJourney). */
export interface JourneyDelivererParts {
  order: Order;
  playbook: Playbook;
  workflowId: string;
  state: OrderJourneyState;
  view: OperatorView;
  ops: Operations;
  customer: CustomerLink;
  counter: Counter;
  /** Recorded by the journey's 'send-permits' patch (or lean): ask the lifecycle for permits. */
  usePermits: boolean;
  lean: boolean;
  operatorTools: boolean;
  now(): string;
}

/**
 * How the order journey plugs into the shared delivery loop: permits from its customer link, waits shown to
 * operators (and marked held past a day), problems reported to the lifecycle, sends an operator can retry or skip.
 */
export function journeyDeliverer(p: JourneyDelivererParts): Deliverer {
  const { order, playbook, workflowId, state, view, ops, customer, counter, usePermits, lean } = p;
  const tools = p.operatorTools;
  return {
    workflowId,
    customerId: order.customer.id,
    playbook,
    track: (record) => state.messages.push(record),
    // Before send permits existed, the journey used the order's own contacts; old histories replay that way.
    permit: (request) => (usePermits ? customer.permit(request) : localPermit(order, playbook)),
    waitReason: (permit) => permit.reason,
    waitUntil: async (waitingFor, what, untilIso) => {
      const until = new Date(untilIso);
      view.show(waitingFor, what, until);
      const ms = until.getTime() - Date.now();
      // Held for more than a day by quiet hours or the frequency cap: an operator should know.
      const heldAfter = playbook.delivery.heldStuckAfter ?? DAY;
      const held =
        tools && ms > heldAfter
          ? {
              ms: heldAfter,
              mark: () =>
                ops.mark(
                  'held',
                  `${what}: held for ${formatDuration(heldAfter)} so far, until ${untilIso}`,
                  `nothing, if the wait is right; otherwise shorten it: \`npm run ops -- wait ${order.orderId} --until <ISO time> --reason "…"\``,
                ),
            }
          : undefined;
      if (ms > 0) await ops.wait(ms, what, undefined, held);
      if (held) ops.clear('held');
    },
    // An acknowledgement of a reply goes beside the journey's flow: what the journey waits for (the survey's
    // answer, say) stays shown, and no search attribute moves for it.
    beforeAttempt: (message, channel) =>
      message.kind === 'reply_received'
        ? undefined
        : view.show('delivery', `delivery of ${message.kind} (${message.key}) via ${channel}`),
    problemSource: () => `journey:${workflowId}`,
    // Tell the lifecycle, so no other journey of this customer tries this channel again.
    reportProblem: (event, address) => (usePermits ? customer.report(event, address) : undefined),
    onUndeliverable: () => view.countDeliveryFailure(),
    controlledSend: (key, what, send) => ops.controlledSend(key, what, send),
    offersTelegramLink: usePermits,
    byProvider: lean,
    ...(lean
      ? { count: (event: { kind: string; key: string }) => void counter.count({ ...event, metric: 'sent' }) }
      : {}),
    now: p.now,
  };
}

/** The order's own contacts on the playbook's channels: how journeys from before send permits sent. */
function localPermit(order: Order, playbook: Playbook): SendPermit {
  return {
    decision: 'send',
    channels: playbook.channels.flatMap((channel) => {
      const to = contactFor(channel, order.customer);
      return to ? [{ channel, to }] : [];
    }),
    whatsappWindowOpen: false,
    name: order.customer.name,
    ...(order.customer.locale ? { locale: order.customer.locale } : {}),
    ...(order.customer.timeZone ? { timeZone: order.customer.timeZone } : {}),
  };
}
