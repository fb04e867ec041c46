/**
 * WooCommerce's order statuses as its REST API spells them (without the "wc-" prefix of the database), and what a
 * playbook's `woocommerce.statuses` entry may say about one. No imports: the playbook schema uses it.
 */
export const WOOCOMMERCE_ORDER_STATUSES = [
  'pending',
  'processing',
  'on-hold',
  'completed',
  'cancelled',
  'refunded',
  'failed',
] as const;
export type WooCommerceOrderStatus = (typeof WOOCOMMERCE_ORDER_STATUSES)[number];

/** Never an order to act on: the block checkout's unfinished draft, a trashed order, WordPress's own drafts. */
export const WOOCOMMERCE_IGNORED_STATUSES = ['checkout-draft', 'trash', 'draft', 'auto-draft'] as const;

/** A status slug: the seven above, or one a plugin adds ("shipped", "ready-to-pick-up"). */
export const WOOCOMMERCE_STATUS_SLUG = /^[a-z0-9][a-z0-9_-]{0,39}$/;

/** `start`: start the order's journey, nothing more; `cancel`: cancel it (through the journey's cancel path). */
export const WOOCOMMERCE_ACTIONS = ['start', 'cancel'] as const;
export type WooCommerceAction = (typeof WOOCOMMERCE_ACTIONS)[number];
