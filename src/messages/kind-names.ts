/** The names of the kinds of message: the playbook, the data types and the registry (./kinds) all start here. */
export const MESSAGE_KINDS = [
  'order_status',
  'order_delayed',
  'order_problem',
  'thank_you',
  'offer',
  'survey',
  'survey_reminder',
  'review_request',
  'referral_request',
  'care_followup',
  'operator_alert',
  'operator_notice',
  'warranty_checkin',
  'tier_upgrade',
  'winback',
  'operator_digest',
  'order_cancelled',
  'refund_issued',
  /** To the customer who wrote something that is not an answer: "we'll get back to you". */
  'reply_received',
  /** To the business: what a customer wrote, with the order and the journey in the Temporal UI. */
  'operator_message',
  /** To a repeat customer, once: the questionnaire on their own page. */
  'questionnaire_invite',
  /** On a date the customer gave in the questionnaire (a birthday, an anniversary), with the playbook's offer. */
  'occasion_greeting',
] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/** Transactional messages inform about an order; marketing ones need consent and obey caps. */
export type Purpose = 'transactional' | 'marketing';
