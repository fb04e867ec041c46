/**
 * What the customer can switch on and off on their preferences page: each kind of message belongs to one topic
 * (messages to the business belong to none). Order news is always on while an order is open. Pure: workflows
 * import it.
 */
import type { MessageKind } from './kind-names';

export const TOPICS = ['order', 'reviews', 'offers', 'winback'] as const;
export type Topic = (typeof TOPICS)[number];

/** Topics the customer may switch off (order news stays on while an order is open). */
export const SWITCHABLE_TOPICS = ['reviews', 'offers', 'winback'] as const satisfies readonly Topic[];
export type SwitchableTopic = (typeof SWITCHABLE_TOPICS)[number];

export const TOPIC_OF: Record<MessageKind, Topic | undefined> = {
  order_status: 'order',
  order_delayed: 'order',
  order_problem: 'order',
  thank_you: 'order',
  order_cancelled: 'order',
  refund_issued: 'order',
  // An answer to the customer's own complaint, and the warranty visit, are service about the order.
  care_followup: 'order',
  warranty_checkin: 'order',
  reply_received: 'order',
  survey: 'reviews',
  survey_reminder: 'reviews',
  review_request: 'reviews',
  referral_request: 'reviews',
  questionnaire_invite: 'reviews',
  offer: 'offers',
  tier_upgrade: 'offers',
  occasion_greeting: 'offers',
  winback: 'winback',
  operator_alert: undefined,
  operator_notice: undefined,
  operator_digest: undefined,
  operator_message: undefined,
};
