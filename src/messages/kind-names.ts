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
] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/** Transactional messages inform about an order; marketing ones need consent and obey caps. */
export type Purpose = 'transactional' | 'marketing';
