/**
 * The win-back ("we miss you", twice, with a code) and attribution (which follow-up brought an
 * order back). Due times are derived from state, so continue-as-new keeps them exact; an order
 * cancels an in-flight win-back. Workflow code: deterministic.
 */
import { CancellationScope, condition, isCancellation, log } from '@temporalio/workflow';
import { CODE_FORMATS, personalCode } from '../codes';
import type { Outgoing } from '../delivery/deliver';
import type { CustomerLifecycleState, WinbackAttempt } from './contract';
import type { Lifecycle } from './context';

/** The next win-back attempt, when it is due, and the quiet gap it is for (the time the gap began), if one is. */
export function winbackDue(l: Lifecycle): { attempt: 1 | 2; at: number; gap: string } | undefined {
  const { state } = l;
  const rules = state.playbook?.winback;
  const gap = l.winbackAfterFollowUps ? quietSince(l) : state.lastOrderAt;
  if (!l.withLoyalty || !rules || !gap) return undefined;
  const forThisGap = (state.winback?.attempts ?? []).filter((a) => a.forLastOrderAt === gap);
  if (forThisGap.length === 0) return { attempt: 1, at: Date.parse(gap) + rules.after, gap };
  if (forThisGap.length === 1) return { attempt: 2, at: Date.parse(forThisGap[0]!.at) + rules.secondAfter, gap };
  return undefined;
}

/**
 * Protocol 3: since when the customer has been quiet. Never while an order is open or its follow-ups are still
 * going ("we miss you" to someone whose survey is pending is wrong); cancelled orders do not count. From the end
 * of the latest order's follow-ups (or its completion, for journeys that do not report them).
 */
function quietSince(l: Lifecycle): string | undefined {
  const counted = l.state.orders.filter((o) => o.status !== 'cancelled');
  if (counted.some((o) => o.status === 'active' || (o.reportsFollowUps && !o.followUpsDoneAt))) return undefined;
  return counted
    .map((o) => o.followUpsDoneAt ?? o.completedAt ?? o.placedAt)
    .sort()
    .at(-1);
}

/** Sends one win-back attempt; an order arriving meanwhile cancels it ("we miss you" after a purchase: never). */
export async function runWinback(l: Lifecycle, attempt: 1 | 2, gap: string): Promise<void> {
  const { state } = l;
  const forLastOrderAt = gap;
  const ordersBefore = l.ordersArrived();
  const code = personalCode(state.playbook!.brand.name, CODE_FORMATS.winback);
  const entry: WinbackAttempt = { attempt, at: l.now(), code, forLastOrderAt, status: 'pending' };
  const winback = (state.winback ??= { attempts: [], converted: [] });
  winback.attempts.push(entry);
  const scope = new CancellationScope();
  const watcher = condition(() => l.ordersArrived() !== ordersBefore).then(() => scope.cancel());
  try {
    const record = await scope.run(() => l.deliver(winbackMessage(state, attempt, gap, code, Date.now())));
    entry.status = record.status === 'sent' ? 'sent' : record.status === 'skipped' ? 'skipped' : 'failed';
    if (record.variant) entry.variant = record.variant;
  } catch (err) {
    if (!isCancellation(err)) throw err;
    entry.status = 'skipped';
    log.info('win-back cancelled: the customer ordered again', { attempt });
  }
  void watcher;
}

/** One win-back attempt for the quiet gap that began at `gap`, its code valid `winback.validFor` from `nowMs`. */
export function winbackMessage(
  state: Pick<CustomerLifecycleState, 'orders' | 'playbook'>,
  attempt: 1 | 2,
  gap: string,
  code: string,
  nowMs: number,
): Outgoing {
  const rules = state.playbook!.winback!;
  return {
    key: `winback-${Date.parse(gap)}-${attempt}`,
    kind: 'winback',
    data: {
      orderId: state.orders.at(-1)?.orderId ?? '',
      winback: {
        code,
        discountPercent: rules.discountPercent,
        expiresAt: new Date(nowMs + rules.validFor).toISOString(),
        attempt,
      },
    },
  };
}

/** Records that marketing is not allowed, so the attempt is not due again for this gap. */
export function skipWinback(l: Lifecycle, attempt: 1 | 2, gap: string): void {
  (l.state.winback ??= { attempts: [], converted: [] }).attempts.push({
    attempt,
    at: l.now(),
    code: '',
    forLastOrderAt: gap,
    status: 'skipped',
  });
}

/** Measure each measure: which follow-up brought this order? Queues the conversion counts. */
export function attributeOrder(l: Lifecycle, orderId: string, placedAt: string, promoCode: string | undefined): void {
  const { state, workflowId } = l;
  const winback = state.winback;
  const window = state.playbook?.winback?.attributionWindow;
  const lastSent = winback?.attempts.filter((a) => a.status === 'sent').at(-1);
  if (winback && lastSent && window !== undefined) {
    const since = Date.parse(placedAt) - Date.parse(lastSent.at);
    if (since >= 0 && since <= window) {
      winback.converted.push({ orderId, at: placedAt, attempt: lastSent.attempt });
      l.stats.push({
        kind: 'winback',
        metric: 'converted',
        eventId: `${workflowId}/winback-converted/${orderId}`,
        ...variantOf(lastSent),
      });
    }
  }
  if (!promoCode) return;
  const offer = state.offersIssued?.find((o) => o.code === promoCode.toUpperCase() && !o.usedByOrderId);
  if (offer) {
    offer.usedByOrderId = orderId;
    l.stats.push({
      kind: 'offer',
      metric: 'converted',
      eventId: `${workflowId}/offer-converted/${offer.code}`,
      ...variantOf(offer),
    });
  }
  const code = winback?.attempts.find((a) => a.code === promoCode.toUpperCase());
  if (code && !winback!.converted.some((c) => c.orderId === orderId)) {
    winback!.converted.push({ orderId, at: placedAt, attempt: code.attempt });
    l.stats.push({
      kind: 'winback',
      metric: 'converted',
      eventId: `${workflowId}/winback-converted/${orderId}`,
      ...variantOf(code),
    });
  }
}

/** The A/B variant a conversion counts for: that of the message that carried the code or came last. */
const variantOf = (sent: { variant?: string }) => (sent.variant ? { variant: sent.variant } : {});
