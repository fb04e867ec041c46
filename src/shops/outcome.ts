/**
 * What a shop's event came to, for every shop (Shopify, WooCommerce): the outcome the webhook answers and logs,
 * and a stage move told the way both read it.
 */
import { ConflictError, NotFoundError } from '../errors';
import type { OrderGateway } from '../gateway/orders';
import type { StageUpdate } from '../workflows/order/contract';

/**
 * What came of an event (all answered 200): applied; already (the journey shows it, or moved past it); stale
 * (older than what the journey shows); ignored (nothing to do: no journey for the order, a topic or status not acted
 * on); invalid (can never succeed: logged, not retried).
 */
export interface ShopOutcome {
  outcome: 'applied' | 'already' | 'stale' | 'ignored' | 'invalid';
  /** For the log: ids, statuses, stages, codes and field names, never customer data. */
  detail: string;
  orderId?: string;
}

/** 409s that mean the journey already has this (or more): answered 200, nothing changes. */
const ALREADY = new Set(['stage_out_of_order', 'journey_completed', 'notice_repeated', 'notice_limit']);

/** Moves the order's journey for a shop's event; a journey that has it already, or no journey, is an outcome. */
export async function advanceForShop(
  orders: Pick<OrderGateway, 'advanceStage'>,
  orderId: string,
  update: StageUpdate,
  requestId: string,
  what: string,
): Promise<ShopOutcome> {
  try {
    const result = await orders.advanceStage(orderId, update, { requestId });
    if (result.stale) return { outcome: 'stale', detail: `${what}: older than stage ${result.stage}`, orderId };
    return { outcome: 'applied', detail: `${what} → ${update.stage} (${result.status})`, orderId };
  } catch (err) {
    if (err instanceof ConflictError && ALREADY.has(err.code)) {
      return { outcome: 'already', detail: `${what}: ${err.code}`, orderId };
    }
    if (err instanceof NotFoundError) return { outcome: 'ignored', detail: 'no journey for this order', orderId };
    throw err;
  }
}
