/**
 * The lifecycle's side of lean journeys (those that keep a snapshot of the customer): a new snapshot for
 * each of them whenever consent changes, and the news they send back. Workflow code: deterministic.
 */
import { ApplicationFailure, getExternalWorkflowHandle, workflowInfo } from '@temporalio/workflow';
import { tenantOfWorkflowId } from '../tenant';
import { customerSnapshotSignal, orderJourneyId } from '../order/contract';
import type { Lifecycle } from './context';
import { refundOrder } from './value';
import { snapshotFor, type JourneyNews } from './snapshot';

const MAX_FEEDBACK = 50;
const MAX_OFFERS = 50;

const gone = (err: unknown) => err instanceof ApplicationFailure && err.type === 'ExternalWorkflowExecutionNotFound';

/**
 * What journeys keep of the customer changed: a new version, sent to every lean journey still running
 * (in the background, so signals and permits keep flowing). A journey that has ended is noted, not retried.
 */
export function pushSnapshots(l: Lifecycle): Promise<void> {
  const { state } = l;
  state.snapshotVersion = (state.snapshotVersion ?? 0) + 1;
  const sent: Promise<unknown>[] = [];
  const tenant = tenantOfWorkflowId(workflowInfo().workflowId);
  for (const order of state.orders) {
    if (!order.snapshotted || order.journeyEnded) continue;
    const push = l.sendInBackground(async () => {
      try {
        await getExternalWorkflowHandle(orderJourneyId(order.orderId, tenant)).signal(
          customerSnapshotSignal,
          snapshotFor(state, order.orderId),
        );
      } catch (err) {
        if (!gone(err)) throw err;
        order.journeyEnded = true;
      }
    });
    sent.push(push);
  }
  return Promise.all(sent).then(() => undefined);
}

/** What the consent update answers: the customer's consent as it now stands (the API shows its view). */
export const toConsentAnswer = (state: Lifecycle['state']) => ({
  customerId: state.customerId,
  consent: state.consent,
});

/** The answer a journey got, kept with the customer (the latest per order). */
export function rememberFeedback(
  l: Lifecycle,
  f: { orderId: string; rating: number; comment?: string; at: string },
): void {
  const rest = (l.state.feedback ?? []).filter((x) => x.orderId !== f.orderId);
  l.state.feedback = [...rest, { orderId: f.orderId, rating: f.rating, comment: f.comment, at: f.at }].slice(
    -MAX_FEEDBACK,
  );
}

/** An offer code a journey sent: a later order that carries it is attributed to the offer (and its variant). */
export function rememberOffer(
  l: Lifecycle,
  o: { code: string; orderId: string; expiresAt: string; variant?: string },
): void {
  if (l.state.offersIssued?.some((x) => x.code === o.code)) return;
  l.state.offersIssued = [...(l.state.offersIssued ?? []), o].slice(-MAX_OFFERS);
}

/** Applies a journey's news; `complete` is the lifecycle's own handling of a completed order. */
export function applyJourneyNews(l: Lifecycle, news: JourneyNews, complete: (orderId: string, at: string) => void) {
  const { orderId } = news;
  if (news.completedAt) complete(orderId, news.completedAt);
  if (news.feedback) rememberFeedback(l, { orderId, ...news.feedback });
  if (news.offer) {
    const { code, expiresAt, variant } = news.offer;
    rememberOffer(l, { code, orderId, expiresAt, ...(variant ? { variant } : {}) });
  }
  if (news.cancelledAt) cancelOrder(l, orderId, news.cancelledAt);
  if (news.followUpsDoneAt) {
    const order = l.state.orders.find((o) => o.orderId === orderId);
    if (order && !order.followUpsDoneAt) order.followUpsDoneAt = news.followUpsDoneAt;
  }
  for (const refund of news.refunds ?? []) refundOrder(l, orderId, refund.refundId, refund.amountMinor);
  if (news.ended) {
    const order = l.state.orders.find((o) => o.orderId === orderId);
    if (order) order.journeyEnded = true;
  }
}

/**
 * The business cancelled an order: it is marked (an active one only: a completed order is refunded, not
 * cancelled), and the win-back clock runs from the newest order that was not cancelled (none: no win-back).
 */
export function cancelOrder(l: Lifecycle, orderId: string, at: string): void {
  const order = l.state.orders.find((o) => o.orderId === orderId);
  if (!order || order.status !== 'active') return;
  order.status = 'cancelled';
  order.cancelledAt = at;
  const kept = l.state.orders.filter((o) => o.status !== 'cancelled').map((o) => o.placedAt);
  const newest = kept.sort().at(-1);
  if (newest) l.state.lastOrderAt = newest;
  else delete l.state.lastOrderAt;
}
