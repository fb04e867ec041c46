/**
 * What a verified Shopify delivery does. Every call into Aftercare is idempotent by itself, so a redelivery (same
 * X-Shopify-Webhook-Id), a restart between two deliveries or two workers racing change nothing twice: a journey
 * starts once per order id, stage moves and notices are Temporal updates whose id comes from the webhook id, a
 * cancellation too, and an erasure removes nothing more the second time. Stale events (a tracking event older
 * than what the journey already shows) are dropped against the journey's own state.
 */
import { ConflictError, NotFoundError, UnprocessableError } from '../../errors';
import { advanceForShop, type ShopOutcome } from '../outcome';
import { toMinorUnits } from '../../lib/money';
import type { ErasureGateway } from '../../gateway/erasure';
import type { OrderGateway } from '../../gateway/orders';
import { isRecord } from '../../lib/http';
import type { Playbook } from '../../playbook/schema';
import { cancelOrderSchema, stageUpdateSchema } from '../../schemas/orders';
import type { OrderJourneyState, StageUpdate } from '../../workflows/order/contract';
import {
  effectOfStatus,
  eventTimeOf,
  fulfillmentOrderIdOf,
  orderFromShopify,
  paidStageOf,
  shipmentStatusOf,
  shopifyIdOf,
  trackingNoteOf,
} from './mapping';

export interface ShopifyDeps {
  orders: Pick<OrderGateway, 'start' | 'get' | 'advanceStage' | 'cancel' | 'refund'>;
  erasure: Pick<ErasureGateway, 'erase'>;
  /** The playbook new journeys run by: its `shopify` section maps statuses (stages come from each journey). */
  playbook: Pick<Playbook, 'shopify'>;
}

export interface ShopifyDeliveryIn {
  topic: string;
  webhookId: string;
  triggeredAt?: string;
  body: unknown;
}

/** What came of a delivery: the shops' common outcome (src/shops/outcome.ts). */
export type ShopifyOutcome = ShopOutcome;

export async function handleShopifyDelivery(deps: ShopifyDeps, d: ShopifyDeliveryIn): Promise<ShopifyOutcome> {
  if (!isRecord(d.body)) return { outcome: 'invalid', detail: 'body is not a JSON object' };
  const body = d.body;
  switch (d.topic) {
    case 'orders/create':
      return startOrder(deps, body);
    case 'orders/paid': {
      const started = await startOrder(deps, body);
      if (started.outcome === 'invalid' || !started.orderId) return started;
      const paid = (stages: readonly string[]) => paidStageOf(deps.playbook, stages);
      const moved = await toStage(deps, d, started.orderId, paid, 'paid', occurredAtOf(d, body));
      // A journey it started is what it did, whatever the paid stage came to (no such stage, or past it).
      if (started.outcome !== 'applied') return moved;
      return { ...moved, outcome: 'applied', detail: `journey started; ${moved.detail}` };
    }
    case 'fulfillments/create':
    case 'fulfillments/update':
    case 'fulfillment_events/create':
      return fulfillment(deps, d, body);
    case 'orders/cancelled':
      return cancel(deps, d, body);
    case 'refunds/create':
      return refund(deps, d, body);
    case 'customers/redact':
      return redact(deps, body);
    default:
      return { outcome: 'ignored', detail: `topic ${d.topic} is not handled` };
  }
}

const orderIdField = (orderId: string | undefined) => (orderId ? { orderId } : {});

async function startOrder(deps: ShopifyDeps, body: Record<string, unknown>): Promise<ShopifyOutcome> {
  const mapped = orderFromShopify(body);
  if (!mapped.ok) {
    return { outcome: 'invalid', detail: mapped.problems.join('; '), ...orderIdField(mapped.orderId) };
  }
  const orderId = mapped.order.orderId;
  try {
    const started = await deps.orders.start(mapped.order);
    return { outcome: started.created ? 'applied' : 'already', detail: 'journey started', orderId };
  } catch (err) {
    // Edited since the journey started (orders/paid after an edit): the journey is the order's; go on with it.
    if (err instanceof ConflictError && err.code === 'order_exists_with_different_content') {
      return { outcome: 'already', detail: 'journey exists (started with earlier content)', orderId };
    }
    throw err;
  }
}

/** The journey's state, or why there is nothing to do. */
async function journeyOf(deps: ShopifyDeps, orderId: string): Promise<OrderJourneyState | ShopifyOutcome> {
  try {
    const state = await deps.orders.get(orderId);
    if (state.status !== 'active') return { outcome: 'already', detail: `journey ${state.status}`, orderId };
    return state;
  } catch (err) {
    if (err instanceof NotFoundError) return { outcome: 'ignored', detail: 'no journey for this order', orderId };
    throw err;
  }
}

const isOutcome = (v: OrderJourneyState | ShopifyOutcome): v is ShopifyOutcome => 'outcome' in v;

async function advance(
  deps: ShopifyDeps,
  d: ShopifyDeliveryIn,
  orderId: string,
  update: StageUpdate,
  what: string,
): Promise<ShopifyOutcome> {
  // A field Shopify filled oddly (an estimate or a time the schema refuses) is left out rather than losing the event.
  const parsed = stageUpdateSchema.safeParse(update);
  const { eta: _eta, occurredAt: _occurredAt, ...plain } = update;
  const valid = parsed.success ? parsed.data : plain;
  return advanceForShop(deps.orders, orderId, valid, `shopify:${d.webhookId}`, what);
}

/** When it happened at Shopify, for the journey: an update older than its current stage changes nothing. */
function occurredAtOf(d: ShopifyDeliveryIn, body: Record<string, unknown>): { occurredAt?: string } {
  const t = eventTimeOf(body, d.triggeredAt);
  return t === undefined ? {} : { occurredAt: new Date(t).toISOString() };
}

/** Moves the journey forward to the stage `pick` names, unless it is there or past it already. */
async function toStage(
  deps: ShopifyDeps,
  d: ShopifyDeliveryIn,
  orderId: string,
  pick: (stages: readonly string[]) => string | undefined,
  what: string,
  extra: Omit<StageUpdate, 'stage'> = {},
): Promise<ShopifyOutcome> {
  const state = await journeyOf(deps, orderId);
  if (isOutcome(state)) return state;
  const stage = pick(state.stages);
  if (!stage) return { outcome: 'ignored', detail: `${what} maps to no stage of this journey`, orderId };
  if (state.stages.indexOf(stage) <= state.stages.indexOf(state.stage)) {
    return { outcome: 'stale', detail: `${what} → ${stage}, journey at ${state.stage}`, orderId };
  }
  return advance(deps, d, orderId, { stage, ...extra }, what);
}

async function fulfillment(
  deps: ShopifyDeps,
  d: ShopifyDeliveryIn,
  body: Record<string, unknown>,
): Promise<ShopifyOutcome> {
  const orderId = fulfillmentOrderIdOf(body);
  if (!orderId) return { outcome: 'invalid', detail: 'no order_id' };
  const status = shipmentStatusOf(d.topic, body);
  if (!status) return { outcome: 'ignored', detail: 'no shipment status to act on', orderId };
  const state = await journeyOf(deps, orderId);
  if (isOutcome(state)) return state;
  const effect = effectOfStatus(deps.playbook, status, state.stages);
  if (!effect) return { outcome: 'ignored', detail: `shipment status ${status} maps to nothing`, orderId };
  if ('stage' in effect) {
    const note = d.topic === 'fulfillment_events/create' ? undefined : trackingNoteOf(body);
    const extra = { ...occurredAtOf(d, body), ...(note ? { note } : {}) };
    return toStage(deps, d, orderId, () => effect.stage, `shipment ${status}`, extra);
  }
  // The journey drops a notice from before its current stage (the shop's times on both sides).
  const eta = typeof body.estimated_delivery_at === 'string' ? body.estimated_delivery_at : undefined;
  const notice = { stage: effect.notice, reason: effect.reason, ...(eta ? { eta } : {}), ...occurredAtOf(d, body) };
  return advance(deps, d, orderId, notice, `shipment ${status}`);
}

async function cancel(deps: ShopifyDeps, d: ShopifyDeliveryIn, body: Record<string, unknown>): Promise<ShopifyOutcome> {
  const orderId = shopifyIdOf(body);
  if (!orderId) return { outcome: 'invalid', detail: 'no order id' };
  const reason =
    typeof body.cancel_reason === 'string' && body.cancel_reason ? body.cancel_reason : 'cancelled in Shopify';
  const parsed = cancelOrderSchema.safeParse({ reason, occurredAt: body.cancelled_at ?? undefined });
  const input = parsed.success ? parsed.data : { reason };
  try {
    const result = await deps.orders.cancel(
      orderId,
      { ...input, source: 'shopify' },
      { requestId: `shopify:${d.webhookId}` },
    );
    return { outcome: result.alreadyCancelled ? 'already' : 'applied', detail: 'order cancelled', orderId };
  } catch (err) {
    if (err instanceof NotFoundError) return { outcome: 'ignored', detail: 'no journey for this order', orderId };
    // A completed order is not cancelled (refund or return it): Shopify cannot be told otherwise, so no retry.
    if (err instanceof ConflictError) return { outcome: 'already', detail: `cancel: ${err.code}`, orderId };
    throw err;
  }
}

/**
 * Money back: the refund's successful `refund` transactions, summed in minor units; a return when any refunded line
 * was restocked as a return. The refund's own id makes a redelivery (or Shopify's second copy) change nothing.
 */
async function refund(deps: ShopifyDeps, d: ShopifyDeliveryIn, body: Record<string, unknown>): Promise<ShopifyOutcome> {
  const orderId = fulfillmentOrderIdOf(body);
  const refundId = shopifyIdOf(body);
  if (!orderId || !refundId) return { outcome: 'invalid', detail: 'no order or refund id' };
  const paidBack = (Array.isArray(body.transactions) ? body.transactions : []).filter(
    (t): t is Record<string, unknown> => isRecord(t) && t.kind === 'refund' && t.status === 'success',
  );
  const currency = typeof paidBack[0]?.currency === 'string' ? paidBack[0].currency : undefined;
  if (!currency) return { outcome: 'ignored', detail: 'no successful refund transaction', orderId };
  let amountMinor = 0;
  for (const t of paidBack) {
    const minor = t.currency === currency ? toMinorUnits(Number(t.amount), currency) : undefined;
    if (minor === undefined || !(minor > 0))
      return { outcome: 'invalid', detail: 'a refund amount is not money', orderId };
    amountMinor += minor;
  }
  const lines = Array.isArray(body.refund_line_items) ? body.refund_line_items : [];
  const isReturn = lines.some((l) => isRecord(l) && l.restock_type === 'return');
  const at =
    typeof body.created_at === 'string' && !Number.isNaN(Date.parse(body.created_at)) ? body.created_at : undefined;
  try {
    const result = await deps.orders.refund(
      orderId,
      {
        refundId,
        kind: isReturn ? 'return' : 'refund',
        amountMinor,
        currency,
        source: 'shopify',
        ...(typeof body.note === 'string' && body.note.trim() ? { reason: body.note.trim().slice(0, 300) } : {}),
        ...(at ? { occurredAt: new Date(Date.parse(at)).toISOString() } : {}),
      },
      { requestId: `shopify:${d.webhookId}` },
    );
    return {
      outcome: result.applied ? 'applied' : 'already',
      detail: `refund recorded (${result.refundedMinor} minor units refunded in all)`,
      orderId,
    };
  } catch (err) {
    if (err instanceof NotFoundError) return { outcome: 'ignored', detail: 'no journey for this order', orderId };
    if (err instanceof UnprocessableError) return { outcome: 'invalid', detail: `refund: ${err.code}`, orderId };
    if (err instanceof ConflictError) return { outcome: 'already', detail: `refund: ${err.code}`, orderId };
    throw err;
  }
}

async function redact(deps: ShopifyDeps, body: Record<string, unknown>): Promise<ShopifyOutcome> {
  const customerId = shopifyIdOf(body.customer);
  if (!customerId) return { outcome: 'invalid', detail: 'no customer id' };
  // Shopify waits 5 s and retries anything slower: the deletions are durable once accepted, so no waiting for
  // search to forget them (under load that wait alone answered 503: the fuzz drill).
  const erased = await deps.erasure.erase(customerId, { awaitVisibility: false });
  return {
    outcome: erased.orders.length || erased.lifecycleRuns ? 'applied' : 'already',
    detail: `customer erased: ${erased.orders.length} order(s), ${erased.lifecycleRuns} lifecycle run(s)`,
  };
}
