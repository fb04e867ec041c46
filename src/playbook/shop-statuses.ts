/**
 * The shop statuses a playbook's `shopify` and `woocommerce` sections may name, as each shop spells them: the
 * playbook's vocabulary, checked when it is loaded, and what the shop adapters (src/shops) map events by.
 * No imports.
 */

/**
 * Shopify's shipment statuses as its REST webhooks spell them (GraphQL: IN_TRANSIT…), plus `fulfilled`: a
 * fulfillment created (or marked success) before any carrier status.
 */
export const SHOPIFY_SHIPMENT_STATUSES = [
  'fulfilled',
  'label_printed',
  'label_purchased',
  'confirmed',
  'ready_for_pickup',
  'carrier_picked_up',
  'in_transit',
  'out_for_delivery',
  'attempted_delivery',
  'delayed',
  'picked_up',
  'delivered',
  'failure',
] as const;
export type ShopifyShipmentStatus = (typeof SHOPIFY_SHIPMENT_STATUSES)[number];

/** WooCommerce's order statuses as its REST API spells them (without the "wc-" prefix of the database). */
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
