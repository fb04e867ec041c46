import { z } from 'zod';
import { SHOPIFY_SHIPMENT_STATUSES, WOOCOMMERCE_ACTIONS, WOOCOMMERCE_STATUS_SLUG } from './shop-statuses';
import { duration, stageId } from './fields';
import { ISSUE_KINDS } from './issues';

/** The playbook's shop sections: what a Shopify or WooCommerce shop's events do to the journey (schema.ts). */

export const shopifySchema = z.object({
  paid: stageId.nullable().optional(),
  fulfillment: z
    .partialRecord(
      z.enum(SHOPIFY_SHIPMENT_STATUSES),
      z.union([
        stageId,
        z.object({ notice: z.enum(ISSUE_KINDS), reason: z.string().trim().min(1).max(300).optional() }),
        z.null(),
      ]),
    )
    .default({}),
});

export const woocommerceSchema = z.object({
  statuses: z
    .record(
      z.string().regex(WOOCOMMERCE_STATUS_SLUG, 'must be an order status slug such as "processing" or "on-hold"'),
      z.union([
        z.enum(WOOCOMMERCE_ACTIONS),
        stageId,
        z.object({
          notice: z.enum(ISSUE_KINDS),
          reason: z.string().trim().min(1).max(300).optional(),
          /** Whether this status starts the order's journey when it has none (default true). */
          start: z.boolean().optional(),
        }),
        z.null(),
      ]),
    )
    .default({}),
  /** An order created longer ago than this does not start a journey (an edit of an old order is no new order). */
  startWithin: duration.optional(),
});
