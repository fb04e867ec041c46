/**
 * An order as the customer's lifecycle records it, with its contacts keyed (keys need the contact-key
 * secret, which workflow code never holds): the record-order activity of older journeys and the API's
 * lean start build it the same way.
 */
import { addressesOf, contactKey, contactKeysFor, orderTag, telegramLinkKey } from '../channels/contact-keys';
import type { Channel } from '../channels/types';
import type { OrderPlacedSignal } from '../workflows/customer/contract';
import type { Address } from '../workflows/delivery/contract';

export type OrderForCustomer = Omit<OrderPlacedSignal, 'contactKeys' | 'rules' | 'profileKeys'> &
  Partial<Pick<OrderPlacedSignal, 'rules'>>;

export function keyedOrder(
  secret: string,
  input: OrderForCustomer,
  /** The customer's tenant, when it is not the default one: its Telegram link key is its own. */
  tenant?: string,
): { signal: OrderPlacedSignal; addresses: Address[] } {
  const { profile } = input;
  const keyOf = (channel: Channel | 'telegram-link', value: string | undefined) =>
    value ? contactKey(secret, channel, value) : undefined;
  const signal = {
    ...input,
    contactKeys: contactKeysFor(secret, profile, tenant),
    profileKeys: {
      email: keyOf('email', profile.email),
      phone: keyOf('sms', profile.phone),
      telegram: keyOf('telegram', profile.telegramChatId),
      telegramLink: telegramLinkKey(secret, profile.id, tenant),
    },
    order: { ...input.order, telegramTag: orderTag(secret, input.order.orderId) },
  } as OrderPlacedSignal;
  return { signal, addresses: addressesOf(secret, profile) };
}
