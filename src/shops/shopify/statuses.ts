/**
 * Shopify's shipment statuses as its REST webhooks spell them (GraphQL: IN_TRANSIT…), plus `fulfilled`: a
 * fulfillment created (or marked success) before any carrier status. No imports: the playbook schema uses it.
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
