import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { PURPOSE_OF } from '../../messages/kinds';
import { upgradePlaybook } from '../../playbook/schema';
import { applyCustomerEvent, emptyConsent, marketingAllowed } from './consent';
import { currentContactKeys, linkedChatFor, linkTelegram, mergeProfile, orderKeys } from './contacts';
import { decidePermit } from './permit';
import { bookkeeping } from '../activity-options';
import type { MessageRecord } from '../delivery/contract';
import { deliver, type Deliverer, type Outgoing } from '../delivery/deliver';
import {
  customerEventSignal,
  getCustomerQuery,
  orderCompletedSignal,
  orderPlacedSignal,
  requestSendPermitUpdate,
  updateCustomerUpdate,
  type CustomerLifecycleInput,
  type CustomerLifecycleState,
} from './contract';
import type { Lifecycle } from './context';
import { customerView } from './operator-view';
import { creditCompletedOrder, loyaltyView, refreshValue } from './value';
import { attributeOrder, runWinback, skipWinback, winbackDue } from './winback';
import { summary } from '../../lib/bounded-text';

/** Continue-as-new well before Temporal's own limits; the server may suggest it earlier. */
const DEFAULT_HISTORY_LIMIT = 2_000;
const MAX_MESSAGES = 50;
const MAX_FEEDBACK = 50;
const MAX_OFFERS = 50;

const nowIso = () => new Date().toISOString();

/**
 * One long-lived workflow per customer, signalled (with start) by every order journey. It is the
 * customer's memory across orders and the single owner of the rules that span journeys: consent,
 * suppressions, reachability, quiet hours and the marketing frequency cap. Journeys ask it for a
 * send permit right before each message. It keeps loyalty (tiers, cashback) and value (RFM) current
 * and runs the win-back when no order comes for a while. It never completes: it continues as new
 * with its state whenever its history grows large; every timer is derived from that state, so a
 * win-back keeps its exact due time across the boundary.
 */
export async function customerLifecycle(input: CustomerLifecycleInput): Promise<void> {
  const withConsent = patched('consent');
  const withLoyalty = patched('loyalty');
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
  const describe = customerView(state, { withConsent, withLoyalty });

  const l: Lifecycle = {
    state,
    workflowId,
    withConsent,
    withLoyalty,
    deliver: (message) => deliverOwn(l, message),
    sendInBackground: (work) => {
      pendingSends += 1;
      void work()
        .catch((err: unknown) => {
          if (!isCancellation(err)) log.error('lifecycle message failed', { failure: (err as Error).name });
        })
        .finally(() => {
          pendingSends -= 1;
          describe();
        });
    },
    stats: [],
    ordersArrived: () => orderArrived,
    now: nowIso,
  };

  // --- handlers -----------------------------------------------------------------------------------
  setHandler(getCustomerQuery, () => state);
  setHandler(orderPlacedSignal, (signal) => {
    const { order, rules, contactKeys, playbook } = signal;
    const isNewest = !state.lastOrderAt || order.placedAt >= state.lastOrderAt;
    mergeProfile(state, signal, isNewest);
    // Signals from journeys that predate consent carry neither rules nor contact keys.
    if (rules && (isNewest || !state.rules)) state.rules = rules;
    if (playbook && (isNewest || !state.playbook)) state.playbook = upgradePlaybook(playbook);
    if (!state.profileKeys) state.contactKeys = [...new Set([...state.contactKeys, ...(contactKeys ?? [])])];
    // Activities may deliver the same signal twice (retries): order ids make it idempotent.
    if (!state.orders.some((o) => o.orderId === order.orderId)) {
      const { promoCode, telegramTag: _tag, ...summary } = order;
      state.orders.push({ ...summary, ...orderKeys(signal), status: 'active' });
      state.firstSeenAt ??= order.placedAt;
      if (!state.lastOrderAt || order.placedAt > state.lastOrderAt) state.lastOrderAt = order.placedAt;
      orderArrived += 1;
      if (withLoyalty) attributeOrder(l, order.orderId, order.placedAt, promoCode);
    }
    if (state.profileKeys) state.contactKeys = currentContactKeys(state);
    dirty = true;
    describe();
  });
  setHandler(orderCompletedSignal, ({ orderId, completedAt }) => {
    const order = state.orders.find((o) => o.orderId === orderId);
    if (order && order.status !== 'completed') {
      order.status = 'completed';
      order.completedAt = completedAt;
      creditCompletedOrder(l, orderId);
    }
    dirty = true;
    describe();
  });
  setHandler(customerEventSignal, (event) => {
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
    if (outcome.applied && event.type === 'offer-issued') {
      state.offersIssued = [
        ...(state.offersIssued ?? []),
        { code: event.code, orderId: event.orderId, expiresAt: event.expiresAt },
      ].slice(-MAX_OFFERS);
    }
    if (outcome.applied && event.type === 'feedback') {
      const rest = (state.feedback ?? []).filter((f) => f.orderId !== event.orderId);
      state.feedback = [
        ...rest,
        { orderId: event.orderId, rating: event.rating, comment: event.comment, at: event.at },
      ].slice(-MAX_FEEDBACK);
    }
    describe();
  });
  setHandler(
    requestSendPermitUpdate,
    (request) => {
      const permit = decidePermit(state.consent, state.profile, request, state.rules!, Date.now(), {
        profileKeys: state.profileKeys,
        linkedChat: linkedChatFor(state, request.orderId),
      });
      if (permit.decision === 'send' && state.loyalty && request.kind === 'thank_you') {
        // The thank-you shows the customer's cashback and tier.
        return { ...permit, loyalty: loyaltyView(l) };
      }
      describe();
      return permit;
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

  // --- the main loop: wake for the win-back, a value change, new counts, or continue-as-new -----------
  describe();
  let nextValueChange = refreshValue(l);
  const limit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  const shouldContinueAsNew = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= limit;

  for (;;) {
    const due = winbackDue(l);
    const wakeAt = Math.min(due?.at ?? Infinity, nextValueChange ?? Infinity);
    const woke = () => dirty || l.stats.length > 0 || shouldContinueAsNew();
    if (Number.isFinite(wakeAt)) {
      await condition(woke, Math.max(wakeAt - Date.now(), 1));
    } else {
      await condition(woke);
    }
    dirty = false;
    if (l.stats.length > 0) {
      const batch = l.stats.splice(0, l.stats.length);
      for (const s of batch) await bookkeeping.recordStat(s);
    }
    if (shouldContinueAsNew()) break;
    nextValueChange = refreshValue(l);
    const nowDue = winbackDue(l);
    // Signals are applied before timers in an activation, so an order that raced the timer wins.
    if (nowDue && nowDue.at <= Date.now() && state.profile) {
      if (marketingAllowed(state.consent, state.profile, state.playbook!)) await runWinback(l, nowDue.attempt);
      else skipWinback(l, nowDue.attempt);
    }
    describe();
  }
  // Let handlers and background sends finish so nothing received in this run is lost.
  await condition(() => allHandlersFinished() && pendingSends === 0);
  await continueAsNew<typeof customerLifecycle>({
    customerId: input.customerId,
    carried: { ...state, generation: state.generation + 1 },
    ...(input.historyLimit !== undefined ? { historyLimit: input.historyLimit } : {}),
  });
}

/** The lifecycle's own messages: its consent rules decide locally, no round trip. */
async function deliverOwn(l: Lifecycle, message: Outgoing): Promise<MessageRecord> {
  const { key, kind } = message;
  const { state } = l;
  const playbook = state.playbook;
  const profile = state.profile;
  const rules = state.rules;
  const track = (record: MessageRecord) => {
    state.messages = [...(state.messages ?? []), record].slice(-MAX_MESSAGES);
  };
  if (!playbook || !profile || !rules) {
    const record: MessageRecord = {
      key,
      kind,
      purpose: PURPOSE_OF[kind],
      status: 'skipped',
      reason: 'no playbook yet',
      attempts: [],
      queuedAt: l.now(),
    };
    track(record);
    return record;
  }
  const deliverer: Deliverer = {
    workflowId: l.workflowId,
    customerId: state.customerId,
    playbook,
    track,
    // Quiet hours and the frequency cap defer the message (a win-back due at 22:00 goes at 09:00).
    permit: (request) =>
      decidePermit(state.consent, state.profile!, request, state.rules!, Date.now(), {
        profileKeys: state.profileKeys,
      }),
    waitReason: (permit) => `${permit.reason} until ${permit.until}`,
    waitUntil: async (_waitingFor, what, untilIso) => {
      const ms = Date.parse(untilIso) - Date.now();
      if (ms > 0) await sleep(ms, { summary: summary(what) });
    },
    problemSource: (message) => `lifecycle:${message.key}`,
    reportProblem: (event, address) => {
      applyCustomerEvent(state.consent, address.key ? { ...event, contactKey: address.key } : event, state.profileKeys);
    },
    offersTelegramLink: false,
    now: l.now,
  };
  return deliver(deliverer, message);
}
