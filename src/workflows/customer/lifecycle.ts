import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  isCancellation,
  log,
  patched,
  setHandler,
  setWorkflowOptions,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { upgradePlaybook } from '../../playbook/upgrade';
import { applyCustomerEvent, emptyConsent, marketingAllowed } from './consent';
import { currentContactKeys, linkedChatFor, linkTelegram, mergeProfile, orderKeys } from './contacts';
import { decidePermit } from './permit';
import { bookkeeping } from '../activity-options';
import {
  customerEventSignal,
  getCustomerQuery,
  orderCompletedSignal,
  orderPlacedSignal,
  applyCustomerEventUpdate,
  journeyNewsSignal,
  recordOrderUpdate,
  requestSendPermitUpdate,
  updateCustomerUpdate,
  type CustomerEvent,
  type OrderPlacedSignal,
  type CustomerLifecycleInput,
  type CustomerLifecycleState,
} from './contract';
import type { Lifecycle } from './context';
import { customerView } from './operator-view';
import { creditCompletedOrder, loyaltyView, refreshValue } from './value';
import { attributeOrder, runWinback, skipWinback, winbackDue } from './winback';
import { deliverOwn } from './own-messages';
import { anonymousStatId } from '../stats/contract';
import { sendCounts } from '../stats/send-counts';
import { Alarm } from './alarm';
import { applyJourneyNews, pushSnapshots, rememberFeedback, rememberOffer, toConsentAnswer } from './journeys';
import { snapshotFor } from './snapshot';
import { rememberInbound } from './conversation';
import { handlePreferences } from './preferences';
import { handleQuestionnaire, questionnaireWakeAt, runQuestionnaireDuties } from './questionnaire';
import { clipItemNames, withPersonal } from './personal';
import { continueLifecycleAsNew, handleUpgradeWake, newerBuildIsCurrent } from './upgrade';

/** Events that change what lean journeys keep of the customer. */
const CHANGES_SNAPSHOTS = new Set(['opt-out', 'opt-in', 'delivery-problem', 'telegram-linked', 'inbound']);

/**
 * A reply on SMS or Telegram changes nothing a journey decides by (only WhatsApp's 24-hour window reads when the
 * customer last wrote): no snapshot push, one signal per running journey saved. Replies carry their text; inbound
 * events from before replies were kept carry none, and push as they always did (recorded histories replay).
 */
const replyJourneysNeedNot = (event: CustomerEvent) =>
  event.type === 'inbound' && event.text !== undefined && event.channel !== 'whatsapp';

/** Continue-as-new well before Temporal's own limits; the server may suggest it earlier. */
const DEFAULT_HISTORY_LIMIT = 2_000;

const nowIso = () => new Date().toISOString();

/**
 * One long-lived workflow per customer, signalled (with start) by every order journey. It is the
 * customer's memory across orders and the single owner of the rules that span journeys: consent,
 * suppressions, reachability, quiet hours and the marketing frequency cap. Journeys ask it for a
 * send permit right before each message. It keeps loyalty (tiers, cashback) and value (RFM) current
 * and runs the win-back when no order comes for a while. It never completes: it continues as new
 * with its state whenever its history grows large; every timer is derived from that state, so a
 * win-back keeps its exact due time across the boundary. Under Worker Versioning a run is pinned to its build
 * and continues as new onto a newer one at its next workflow task (./upgrade.ts).
 */
export async function customerLifecycle(input: CustomerLifecycleInput): Promise<void> {
  // Protocol 2 (the lean order path) has every feature on and records no patch markers; runs started before
  // behave as they did, and continue as new into protocol 2.
  const lean = input.protocol === 2 || input.protocol === 3;
  const winbackAfterFollowUps = input.protocol === 3;
  const withConsent = lean || patched('consent');
  const withLoyalty = lean || patched('loyalty');
  const carried: Partial<CustomerLifecycleState> | undefined = input.carried;
  const state: CustomerLifecycleState = {
    customerId: input.customerId,
    profile: null,
    orders: [],
    generation: 0,
    ...carried,
    // State carried from a run that predates these fields starts them empty.
    consent: carried?.consent ?? emptyConsent(),
    rules: carried?.rules ?? null,
    contactKeys: carried?.contactKeys ?? [],
  };
  const { workflowId } = workflowInfo();

  /** Something changed that moves a timer (new order, new playbook): the main loop re-plans. */
  let dirty = false;
  let pendingSends = 0;
  let orderArrived = 0;
  const describe = customerView(state, { withConsent, withLoyalty, lean });

  const l: Lifecycle = {
    state,
    workflowId,
    lean,
    winbackAfterFollowUps,
    withConsent,
    withLoyalty,
    deliver: (message) => deliverOwn(l, message),
    sendInBackground: (work) => {
      pendingSends += 1;
      return work()
        .catch((err: unknown) => {
          if (!isCancellation(err)) log.error('lifecycle message failed', { failure: (err as Error).name });
        })
        .finally(() => {
          pendingSends -= 1;
          describe();
        })
        .then(() => undefined);
    },
    stats: [],
    ordersArrived: () => orderArrived,
    now: nowIso,
  };

  // --- handlers -----------------------------------------------------------------------------------
  setHandler(getCustomerQuery, () => state);
  const recordOrder = (signal: OrderPlacedSignal) => {
    const { order, rules, contactKeys, playbook } = signal;
    const isNewest = !state.lastOrderAt || order.placedAt >= state.lastOrderAt;
    mergeProfile(state, signal, isNewest);
    // Signals from journeys that predate consent carry neither rules nor contact keys.
    if (rules && (isNewest || !state.rules)) state.rules = rules;
    if (playbook && (isNewest || !state.playbook)) state.playbook = upgradePlaybook(playbook);
    if (!state.profileKeys) state.contactKeys = [...new Set([...state.contactKeys, ...(contactKeys ?? [])])];
    // Activities may deliver the same signal twice (retries): order ids make it idempotent.
    if (!state.orders.some((o) => o.orderId === order.orderId)) {
      const { promoCode, telegramTag: _tag, items, ...summary } = order;
      const names = clipItemNames(items);
      state.orders.push({ ...summary, ...(names ? { items: names } : {}), ...orderKeys(signal), status: 'active' });
      state.firstSeenAt ??= order.placedAt;
      if (!state.lastOrderAt || order.placedAt > state.lastOrderAt) state.lastOrderAt = order.placedAt;
      orderArrived += 1;
      if (withLoyalty) attributeOrder(l, order.orderId, order.placedAt, promoCode);
    }
    if (state.profileKeys) state.contactKeys = currentContactKeys(state);
    // Its journey keeps a snapshot of the customer: a consent change sends it a new one.
    const recorded = state.orders.find((o) => o.orderId === order.orderId);
    if (recorded && signal.keepsSnapshot) recorded.snapshotted = true;
    if (recorded && signal.reportsFollowUps) recorded.reportsFollowUps = true;
    dirty = true;
    describe();
  };
  setHandler(orderPlacedSignal, recordOrder);
  setHandler(recordOrderUpdate, (signal) => {
    recordOrder({ ...signal, keepsSnapshot: true });
    return snapshotFor(state, signal.order.orderId);
  });
  const completeOrder = (orderId: string, completedAt: string) => {
    const order = state.orders.find((o) => o.orderId === orderId);
    if (order && order.status !== 'completed') {
      order.status = 'completed';
      order.completedAt = completedAt;
      creditCompletedOrder(l, orderId);
    }
    dirty = true;
    describe();
  };
  setHandler(orderCompletedSignal, ({ orderId, completedAt }) => completeOrder(orderId, completedAt));
  setHandler(journeyNewsSignal, (news) => {
    applyJourneyNews(l, news, completeOrder);
    // A cancelled order, or follow-ups done, move the win-back clock: the main loop computes its next wake-up again.
    if (news.cancelledAt || news.followUpsDoneAt) dirty = true;
    describe();
  });
  /** Applies an event; what lean journeys keep of the customer changed: each gets the new snapshot (awaitable). */
  const applyEvent = (event: CustomerEvent): Promise<void> => {
    const outcome = applyCustomerEvent(state.consent, event, state.profileKeys);
    if (outcome.ignored)
      log.info('customer event ignored', { type: event.type, eventId: event.eventId, why: outcome.ignored });
    if (outcome.profilePatch && state.profile) state.profile = { ...state.profile, ...outcome.profilePatch };
    if (event.type === 'telegram-linked' && outcome.applied) {
      linkTelegram(state, event);
      state.contactKeys = state.profileKeys
        ? currentContactKeys(state)
        : [...new Set([...state.contactKeys, event.contactKey])];
    }
    if (outcome.applied && event.type === 'offer-issued') rememberOffer(l, event);
    if (outcome.applied && event.type === 'feedback') rememberFeedback(l, event);
    if (outcome.applied && event.type === 'inbound') rememberInbound(l, event);
    const pushed =
      outcome.applied && CHANGES_SNAPSHOTS.has(event.type) && !replyJourneysNeedNot(event)
        ? pushSnapshots(l)
        : Promise.resolve();
    describe();
    return pushed;
  };
  setHandler(customerEventSignal, (event) => void applyEvent(event));
  // The business's own consent calls: answered once every lean journey of the customer has the change, so the
  // next call it makes (a stage update) already finds it there.
  setHandler(applyCustomerEventUpdate, async (event) => {
    await applyEvent(event);
    return toConsentAnswer(state);
  });
  setHandler(
    requestSendPermitUpdate,
    (request) => {
      // A lean journey's news rides on its permit request: applied first (an offer, an answer, its completion).
      if (request.news) {
        applyJourneyNews(l, request.news, completeOrder);
        if (request.news.cancelledAt || request.news.followUpsDoneAt) dirty = true;
      }
      const permit = decidePermit(state.consent, state.profile, request, state.rules!, Date.now(), {
        profileKeys: state.profileKeys,
        linkedChat: linkedChatFor(state, request.orderId),
      });
      if (permit.decision === 'send' && state.loyalty && request.kind === 'thank_you') {
        // The thank-you shows the customer's cashback and tier.
        return withPersonal(state, { ...permit, loyalty: loyaltyView(l) });
      }
      describe();
      return withPersonal(state, permit);
    },
    {
      description: 'May this message go out now, and on which channels? (consent, caps, quiet hours, reachability)',
      validator: (_request) => {
        if (!state.rules) throw new Error('no order has reached this customer yet');
      },
    },
  );
  setHandler(
    updateCustomerUpdate,
    (patch) => {
      if (patch.notes !== undefined) state.notes = patch.notes;
      if (state.profile) {
        state.profile = {
          ...state.profile,
          ...(patch.preferredChannels ? { preferredChannels: patch.preferredChannels } : {}),
          ...(patch.locale ? { locale: patch.locale } : {}),
          ...(patch.timeZone ? { timeZone: patch.timeZone } : {}),
        };
      }
      describe();
      return state;
    },
    {
      description: 'Notes and preferences the business keeps about the customer.',
      validator: (_patch) => {
        if (!state.profile) throw ApplicationFailure.nonRetryable('the customer has no order yet', 'CustomerUnknown');
      },
    },
  );

  handlePreferences(l, () => pushSnapshots(l), describe);
  handleUpgradeWake();
  handleQuestionnaire(l, describe, () => (dirty = true));

  // --- the main loop: wake for the win-back, a value change, new counts, or continue-as-new -----------
  describe();
  let nextValueChange = refreshValue(l);
  const limit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  // A newer build being current (never so unversioned, nor in recorded histories) ends the run like a long history.
  const shouldContinueAsNew = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= limit || newerBuildIsCurrent();

  const alarm = new Alarm("the win-back, or a change of the customer's value");
  for (;;) {
    const due = winbackDue(l);
    const wakeAt = Math.min(due?.at ?? Infinity, nextValueChange ?? Infinity, questionnaireWakeAt(l) ?? Infinity);
    const woke = () => dirty || l.stats.length > 0 || shouldContinueAsNew();
    if (lean) {
      // One timer per due time: a wake-up for a new order or a count keeps the running one (each is an Action).
      alarm.set(wakeAt);
      await condition(() => woke() || alarm.rang());
      alarm.ack();
    } else if (Number.isFinite(wakeAt)) {
      await condition(woke, Math.max(wakeAt - Date.now(), 1), {
        summary: "wait for the win-back, or a change of the customer's value",
      });
    } else {
      await condition(woke);
    }
    dirty = false;
    if (l.stats.length > 0) {
      const batch = l.stats.splice(0, l.stats.length);
      if (lean) {
        state.statsId ??= uuid4();
        const statsId = state.statsId;
        const at = nowIso();
        await sendCounts(batch.map((e) => ({ ...e, eventId: anonymousStatId(statsId, e.eventId), at })));
      } else for (const s of batch) await bookkeeping.recordStat(s);
    }
    if (shouldContinueAsNew()) break;
    nextValueChange = refreshValue(l);
    const nowDue = winbackDue(l);
    // Signals are applied before timers in an activation, so an order that raced the timer wins.
    if (nowDue && nowDue.at <= Date.now() && state.profile) {
      if (marketingAllowed(state.consent, state.profile, state.playbook!)) {
        await runWinback(l, nowDue.attempt, nowDue.gap);
      } else skipWinback(l, nowDue.attempt, nowDue.gap);
    }
    runQuestionnaireDuties(l);
    describe();
  }
  // Let handlers and background sends finish so nothing received in this run is lost.
  await condition(() => allHandlersFinished() && pendingSends === 0);
  alarm.clear();
  await continueLifecycleAsNew({
    customerId: input.customerId,
    carried: { ...state, generation: state.generation + 1 },
    ...(input.historyLimit !== undefined ? { historyLimit: input.historyLimit } : {}),
    // A run keeps its protocol: one on 2 may hold orders whose journeys never say their follow-ups are done.
    protocol: winbackAfterFollowUps ? 3 : 2,
  });
}

// Pinned: a run only ever executes the build it started on, so a change to the lifecycle needs no patch for runs
// started under Worker Versioning; it reaches every customer at their next continue-as-new. Only said to a versioned
// worker (the server rejects a behaviour from an unversioned one); runs begun unversioned take the worker's default
// (auto-upgrade) until their next continue-as-new.
setWorkflowOptions(
  () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'PINNED' } : {}),
  customerLifecycle,
);
