/**
 * The reconciliation's read: WooCommerce never retries a webhook (and disables one after five failed deliveries),
 * so every interval the orders modified since the last run are read from the REST API, oldest change first, and
 * each goes through the webhook's own handler. What the webhook already did costs nothing again (see events.ts);
 * what it missed is done now.
 *
 * The watermark is the newest modification time read (the store's clock, so no skew between the two machines);
 * the next run reads from it less an overlap, for orders saved in the same second or committed late, and skips the
 * versions it fed already (`seen`). Pages are numbered, so an order modified while several pages are read moves to
 * the end and shifts the rest up by one: the first order of each later page slips onto a page already read. Every
 * order that can slip so is newer than the last one of page 1, so then the watermark goes no further than that, and
 * the next run reads the rest again (at least a page further on each time).
 */
import { handleWooCommerceOrder, type WooCommerceDeps, type WooCommerceOutcome } from './events';
import { isRecord } from '../../lib/http';
import { modifiedAtOf, statusOf, versionKeyOf, wooIdOf, wooOrderId } from './mapping';
import type { WooCommerceRestClient } from './rest';
import type { ReconcileRequest, ReconcileResult } from '../../workflows/woocommerce/contract';

export type { ReconcileRequest, ReconcileResult };

const DEFAULT_MAX_PAGES = 10;

export async function reconcileOrders(
  rest: Pick<WooCommerceRestClient, 'ordersModifiedAfter'>,
  deps: WooCommerceDeps,
  req: ReconcileRequest,
  opts: { now?: () => number; onInvalid?: (outcome: WooCommerceOutcome) => void } = {},
): Promise<ReconcileResult> {
  const now = opts.now ?? Date.now;
  const started = now();
  const previous = Date.parse(req.watermark);
  const since = new Date(previous - req.overlapMs);
  const seen = new Set(req.seen);
  const maxPages = req.maxPages ?? DEFAULT_MAX_PAGES;
  const fedVersions: { version: string; modifiedAt: number }[] = [];
  const outcomes: ReconcileResult['outcomes'] = {};
  let newest = previous;
  let read = 0;
  let pages = 0;
  let totalPages = 1;
  let firstPageTime: number | undefined;
  let lastOfFirstPage = previous;
  let modifiedMidRead = false;

  for (let page = 1; page <= totalPages; page++) {
    if (pages >= maxPages || (req.budgetMs !== undefined && now() - started > req.budgetMs)) break;
    const answer = await rest.ordersModifiedAfter(since, page);
    pages += 1;
    totalPages = answer.totalPages;
    firstPageTime ??= answer.storeTime ?? now();
    for (const order of answer.orders) {
      read += 1;
      if (!isRecord(order)) continue;
      const id = wooIdOf(order);
      const status = statusOf(order);
      const modifiedAt = modifiedAtOf(order);
      if (id === undefined || !status || modifiedAt === undefined) continue;
      // Whole seconds on both sides: the same second as the first page counts as during the read.
      if (modifiedAt >= firstPageTime) modifiedMidRead = true;
      newest = Math.max(newest, modifiedAt);
      if (page === 1) lastOfFirstPage = Math.max(lastOfFirstPage, modifiedAt);
      const version = versionKeyOf(wooOrderId(req.tenant, id), status, String(order.date_modified_gmt));
      if (seen.has(version)) continue;
      const result = await handleWooCommerceOrder(deps, { tenant: req.tenant, topic: 'order.updated', body: order });
      outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
      if (result.outcome === 'invalid') opts.onInvalid?.(result);
      fedVersions.push({ version, modifiedAt });
    }
  }
  const complete = pages >= totalPages;
  // Several pages and an order changed meanwhile: a later page may have shifted under the read.
  const unsettled = pages > 1 && modifiedMidRead;
  const watermark = unsettled ? lastOfFirstPage : newest;
  // What the next run reads again (its overlap) and need not feed again; the rest of `seen` has aged out.
  const overlapFrom = watermark - req.overlapMs;
  const nextSeen = [
    ...req.seen.filter((v) => versionTime(v) > overlapFrom),
    ...fedVersions.filter((f) => f.modifiedAt > overlapFrom).map((f) => f.version),
  ];
  return {
    watermark: new Date(watermark).toISOString(),
    seen: [...new Set(nextSeen)].slice(-MAX_SEEN),
    read,
    fed: fedVersions.length,
    outcomes,
    pages,
    complete: complete && !unsettled,
  };
}

/** Enough for a busy minute; beyond it an order is only described again (not billed). */
const MAX_SEEN = 500;

/** The modification time a version key ends with ("wc-12:processing:2026-12-06T10:00:00"). */
function versionTime(version: string): number {
  const at = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.exec(version)?.[0];
  const t = at ? Date.parse(`${at}Z`) : NaN;
  return Number.isFinite(t) ? t : 0;
}
