/** Who the previewed journey's messages go to: the customer at the order's own contacts, the business on its own. */
import type { Playbook } from '../playbook/schema';
import type { SendPermitRequest } from '../workflows/delivery/contract';
import type { Order } from '../workflows/order/contract';
import type { operatorAlert } from '../workflows/order/follow-up-plan';
import type { PlannedMessage } from './delivery';
import type { VirtualTime } from './virtual-time';

/** The order's own contacts, as a lean journey addresses its customer. */
export function recipientOf(order: Order): SendPermitRequest['recipient'] {
  const { name, locale, timeZone, preferredChannels, email, phone, telegramChatId } = order.customer;
  const addresses = (
    [
      ['email', email],
      ['sms', phone],
      ['whatsapp', phone],
      ['telegram', telegramChatId],
    ] as const
  ).flatMap(([channel, to]) => (to ? [{ channel, to, key: '' }] : []));
  return {
    name,
    ...(locale ? { locale } : {}),
    ...(timeZone ? { timeZone } : {}),
    ...(preferredChannels ? { preferredChannels } : {}),
    addresses,
  };
}

/** notifyOperator: an unhappy customer's alert on each of the business's own channels, at once. */
export function toTheBusiness(
  time: VirtualTime,
  playbook: Playbook,
  message: ReturnType<typeof operatorAlert>,
  out: PlannedMessage[],
) {
  const channels = [
    ...(playbook.operator.email ? ['email' as const] : []),
    ...(playbook.operator.telegramChatId ? ['telegram' as const] : []),
  ];
  for (const channel of channels) {
    out.push({
      key: 'operator-alert',
      kind: message.kind,
      purpose: 'transactional',
      to: 'business',
      from: 'order journey',
      at: time.now,
      dueAt: time.now,
      held: [],
      passedOver: [],
      channel,
      data: message.data,
    });
  }
}
