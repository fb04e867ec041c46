import {
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
import { emptyConsent, marketingAllowed } from './consent';
import { bookkeeping } from '../activity-options';
import { getCustomerQuery, type CustomerLifecycleInput, type CustomerLifecycleState } from './contract';
import type { Lifecycle } from './context';
import { customerView } from './operator-view';
import { refreshValue } from './value';
import { runWinback, skipWinback, winbackDue } from './winback';
import { deliverOwn } from './own-messages';
import { anonymousStatId } from '../stats/contract';
import { sendCounts } from '../stats/send-counts';
import { Alarm } from './alarm';
import { pushSnapshots } from './journeys';
import { handlePreferences } from './preferences';
import { handleQuestionnaire, questionnaireWakeAt, runQuestionnaireDuties } from './questionnaire';
import { continueLifecycleAsNew, handleUpgradeWake, newerBuildIsCurrent } from './upgrade';
import { handleOrders } from './orders';
import { handleCustomerEvents } from './customer-events';
import { handleRequests } from './requests';

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

  // --- handlers (in this order: orders, customer events, permits and notes, preferences, upgrade, questionnaire) ---
  setHandler(getCustomerQuery, () => state);
  const takeNews = handleOrders(l, {
    replan: () => (dirty = true),
    orderArrived: () => (orderArrived += 1),
    describe,
  });
  handleCustomerEvents(l, describe);
  handleRequests(l, takeNews, describe);
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
