/**
 * What a WooCommerce order does to its journey, for a verified webhook and for the reconciliation's poll alike (one
 * handler, so both are deduplicated the same way). WooCommerce has no event id: an order's version is its
 * (id, status, date_modified_gmt), which names every update sent for it, so a replay or a poll of the same version
 * is one Temporal update at most (the same update id). The journey's description comes first (not billed): an
 * order whose journey is at or past its status's stage, or has ended, costs nothing more. Stale versions (older
 * than what the journey saw) are dropped by the journey against `occurredAt`, the shop's time.
 */
import { ConflictError, NotFoundError, UnprocessableError } from '../../errors';
import { advanceForShop, type ShopOutcome } from '../outcome';
import { isRecord } from '../../lib/http';
import type { OrderGateway } from '../../gateway/orders';
import type { Playbook } from '../../playbook/schema';
import { cancelOrderSchema, stageUpdateSchema } from '../../schemas/orders';
import type { StageUpdate } from '../../workflows/order/contract';
import type { JourneyAt, JourneyLookup } from './journeys';
import {
  effectOfStatus,
  gmtTime,
  isIgnoredStatus,
  modifiedAtOf,
  orderFromWooCommerce,
  refundsOf,
  startsJourney,
  startWithinOf,
  statusOf,
  versionKeyOf,
  wooIdOf,
  wooOrderId,
  type WooCommerceEffect,
} from './mapping';

export interface WooCommerceDeps {
  orders: Pick<OrderGateway, 'start' | 'advanceStage' | 'cancel' | 'refund'>;
  journeys: JourneyLookup;
  /** The playbook new journeys run by: its `woocommerce` section maps statuses, its stages order them. */
  playbook: Pick<Playbook, 'woocommerce' | 'stages'>;
  /** The keyed id of a guest's email or phone (no contact in ids). */
  guestKey: (contact: string) => string;
  now?: () => number;
}

export interface WooCommerceOrderIn {
  /** From the URL (webhook) or the schedule (reconciliation); never from the shop's headers. */
  tenant: string;
  /** order.created, order.updated, order.restored or order.deleted; the reconciliation's poll is order.updated. */
  topic: string;
  body: unknown;
}

/**
 * What came of an order: the shops' common outcome (src/shops/outcome.ts). A version sent again while its update is
 * still the journey's latest may say applied: Temporal answers a repeated update id with the first one's result, and
 * nothing is done twice.
 */
export type WooCommerceOutcome = ShopOutcome;

const HANDLED_EVENTS = new Set(['created', 'updated', 'restored']);

export async function handleWooCommerceOrder(
  deps: WooCommerceDeps,
  d: WooCommerceOrderIn,
): Promise<WooCommerceOutcome> {
  const [resource, event] = d.topic.split('.');
  if (resource !== 'order') return { outcome: 'ignored', detail: `topic ${d.topic} is not handled` };
  if (!isRecord(d.body)) return { outcome: 'invalid', detail: 'body is not an order object' };
  const body = d.body;
  const id = wooIdOf(body);
  if (id === undefined) return { outcome: 'invalid', detail: 'no order id' };
  const orderId = wooOrderId(d.tenant, id);
  // Trashed (WooCommerce sends only the id): it may be restored, and the customer is told nothing.
  if (event === 'deleted') return { outcome: 'ignored', detail: 'order trashed: left alone', orderId };
  if (!event || !HANDLED_EVENTS.has(event)) return { outcome: 'ignored', detail: `topic ${d.topic} is not handled` };
  const status = statusOf(body);
  const modifiedAt = modifiedAtOf(body);
  if (!status || modifiedAt === undefined) {
    return { outcome: 'invalid', detail: 'no status or date_modified_gmt', orderId };
  }
  if (isIgnoredStatus(status)) return { outcome: 'ignored', detail: `status ${status} is never acted on`, orderId };

  const version = versionKeyOf(orderId, status, String(body.date_modified_gmt));
  const ctx: Ctx = { deps, orderId, status, requestId: `woocommerce:${version}`, occurredAt: isoIfValid(modifiedAt) };
  const effect = effectOfStatus(deps.playbook, status);
  let journey = await deps.journeys.find(orderId);
  const steps: WooCommerceOutcome[] = [];
  if (journey.state === 'missing') {
    const started = await startJourney(ctx, d.tenant, body, effect);
    if (started.outcome !== 'applied' && started.outcome !== 'already') return started;
    steps.push(started);
    journey = { state: 'running', ...(started.outcome === 'applied' ? { stage: deps.playbook.stages[0]?.id } : {}) };
  }
  if (journey.state === 'closed') return { outcome: 'already', detail: `journey ${journey.status}`, orderId };
  steps.push(...(await recordRefunds(ctx, body)));
  if (effect) steps.push(await apply(ctx, journey, effect));
  else if (steps.length === 0) steps.push({ outcome: 'ignored', detail: `status ${status} does nothing`, orderId });
  return combine(orderId, steps);
}

interface Ctx {
  deps: WooCommerceDeps;
  orderId: string;
  status: string;
  /** The order version's request id: a replay or a poll of it is the same Temporal update. */
  requestId: string;
  occurredAt: string | undefined;
}

/** The shop's time, when the journey can take it (not over 5 minutes ahead of this clock). */
function isoIfValid(ms: number): string | undefined {
  const iso = new Date(ms).toISOString();
  return stageUpdateSchema.safeParse({ stage: 'x', occurredAt: iso }).success ? iso : undefined;
}

async function startJourney(
  ctx: Ctx,
  tenant: string,
  body: Record<string, unknown>,
  effect: WooCommerceEffect | undefined,
): Promise<WooCommerceOutcome> {
  const { deps, orderId, status } = ctx;
  if (!effect || !startsJourney(effect)) {
    return { outcome: 'ignored', detail: `no journey for this order, and status ${status} starts none`, orderId };
  }
  const created = gmtTime(body.date_created_gmt);
  const within = startWithinOf(deps.playbook);
  if (created !== undefined && (deps.now ?? Date.now)() - created > within) {
    return { outcome: 'ignored', detail: `created over ${Math.round(within / 3_600_000)} h ago: no journey`, orderId };
  }
  const mapped = orderFromWooCommerce(tenant, body, deps.guestKey);
  if (!mapped.ok) return { outcome: 'invalid', detail: mapped.problems.join('; '), orderId };
  try {
    const started = await deps.orders.start(mapped.order);
    return { outcome: started.created ? 'applied' : 'already', detail: 'journey started', orderId };
  } catch (err) {
    // Edited since its journey started (seen first by a webhook, now by the poll): the journey is the order's.
    if (err instanceof ConflictError && err.code === 'order_exists_with_different_content') {
      return { outcome: 'already', detail: 'journey exists (started with earlier content)', orderId };
    }
    throw err;
  }
}

/** Every refund the order lists, once each by its id (a repeat is deduplicated by Temporal, or answered already). */
async function recordRefunds(ctx: Ctx, body: Record<string, unknown>): Promise<WooCommerceOutcome[]> {
  const { deps, orderId } = ctx;
  const out: WooCommerceOutcome[] = [];
  for (const refund of refundsOf(body)) {
    const what = `refund ${refund.refundId}`;
    try {
      const result = await deps.orders.refund(
        orderId,
        { ...refund, source: 'woocommerce' },
        { requestId: `woocommerce:${orderId}:${refund.refundId}` },
      );
      out.push({ outcome: result.applied ? 'applied' : 'already', detail: `${what} recorded`, orderId });
    } catch (err) {
      if (err instanceof NotFoundError) out.push({ outcome: 'ignored', detail: `${what}: no journey`, orderId });
      else if (err instanceof UnprocessableError)
        out.push({ outcome: 'invalid', detail: `${what}: ${err.code}`, orderId });
      else if (err instanceof ConflictError) out.push({ outcome: 'already', detail: `${what}: ${err.code}`, orderId });
      else throw err;
    }
  }
  return out;
}

async function apply(
  ctx: Ctx,
  journey: Extract<JourneyAt, { state: 'running' }>,
  effect: WooCommerceEffect,
): Promise<WooCommerceOutcome> {
  const { deps, orderId, status } = ctx;
  const what = `status ${status}`;
  if ('action' in effect) {
    if (effect.action === 'start') return { outcome: 'already', detail: `${what}: journey placed`, orderId };
    return cancel(ctx);
  }
  if ('stage' in effect) {
    const stages = deps.playbook.stages.map((s) => s.id);
    const at = journey.stage === undefined ? -1 : stages.indexOf(journey.stage);
    const target = stages.indexOf(effect.stage);
    if (at >= 0 && target <= at) {
      return {
        outcome: target < at ? 'stale' : 'already',
        detail: `${what} → ${effect.stage}, journey at ${journey.stage}`,
        orderId,
      };
    }
    return advance(ctx, { stage: effect.stage }, what);
  }
  return advance(ctx, { stage: effect.notice, reason: effect.reason }, what);
}

async function advance(ctx: Ctx, update: StageUpdate, what: string): Promise<WooCommerceOutcome> {
  const { deps, orderId, requestId, occurredAt } = ctx;
  try {
    return await advanceForShop(
      deps.orders,
      orderId,
      { ...update, ...(occurredAt ? { occurredAt } : {}) },
      requestId,
      what,
    );
  } catch (err) {
    // A journey started with an older playbook, without this stage.
    if (err instanceof UnprocessableError) return { outcome: 'ignored', detail: `${what}: ${err.code}`, orderId };
    throw err;
  }
}

async function cancel(ctx: Ctx): Promise<WooCommerceOutcome> {
  const { deps, orderId, requestId, occurredAt } = ctx;
  const input = cancelOrderSchema.parse({ reason: 'cancelled in WooCommerce', ...(occurredAt ? { occurredAt } : {}) });
  try {
    const result = await deps.orders.cancel(orderId, { ...input, source: 'woocommerce' }, { requestId });
    return { outcome: result.alreadyCancelled ? 'already' : 'applied', detail: 'order cancelled', orderId };
  } catch (err) {
    if (err instanceof NotFoundError) return { outcome: 'ignored', detail: 'no journey for this order', orderId };
    // A completed order is not cancelled (refund it): WooCommerce cannot be told otherwise.
    if (err instanceof ConflictError) return { outcome: 'already', detail: `cancel: ${err.code}`, orderId };
    throw err;
  }
}

/** One outcome for the order: applied when any step changed something, else the status's own. */
function combine(orderId: string, steps: WooCommerceOutcome[]): WooCommerceOutcome {
  const last = steps.at(-1)!;
  const outcome = steps.some((s) => s.outcome === 'applied') ? 'applied' : last.outcome;
  return { outcome, detail: steps.map((s) => s.detail).join('; '), orderId };
}
