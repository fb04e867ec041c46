import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  customerEventSignal,
  getCustomerQuery,
  orderCompletedSignal,
  orderPlacedSignal,
  requestSendPermitUpdate,
  SA,
  type CustomerLifecycleInput,
  type CustomerLifecycleState,
} from '../contract';
import { CHANNELS } from '../playbook/schema';
import { applyCustomerEvent, decidePermit, emptyConsent, marketingAllowed } from '../rules/consent';

/** Continue-as-new well before Temporal's own limits; the server may suggest it earlier. */
const DEFAULT_HISTORY_LIMIT = 2_000;

/**
 * One long-lived workflow per customer, signalled (with start) by every order journey. It is the
 * customer's memory across orders and the single owner of the rules that span journeys: consent,
 * suppressions, reachability, quiet hours and the marketing frequency cap. Journeys ask it for a
 * send permit right before each message. It never completes: it continues as new with its state
 * whenever its history grows large.
 */
export async function customerLifecycle(input: CustomerLifecycleInput): Promise<void> {
  // Lifecycles started before consent existed replay without its search attributes (test/histories).
  const withConsent = patched('consent');
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

  let shown = '';
  const describe = () => {
    const blocked = CHANNELS.filter((c) => state.consent.channels[c]?.blocked);
    const consent =
      state.profile && state.rules
        ? marketingAllowed(state.consent, state.profile, state.rules)
          ? 'granted'
          : 'denied'
        : 'unknown';
    setCurrentDetails(
      [
        `**Customer** ${state.customerId}`,
        `**Orders** ${state.orders.length} (${state.orders.filter((o) => o.status === 'active').length} active)`,
        `**Last order** ${state.lastOrderAt ?? 'none yet'}`,
        `**Marketing** ${consent}${state.consent.marketing.source ? ` (${state.consent.marketing.source})` : ''}`,
        `**Blocked channels** ${blocked.length ? blocked.map((c) => `${c} (${state.consent.channels[c]!.blocked!.reason})`).join(', ') : 'none'}`,
      ].join('\n\n'),
    );
    // Only touch search attributes when they change: each upsert is a billable action.
    const key = JSON.stringify([blocked, consent, state.contactKeys]);
    if (withConsent && key !== shown) {
      upsertSearchAttributes([
        { key: SA.blockedChannels, value: blocked },
        { key: SA.marketingConsent, value: consent },
        { key: SA.contactKeys, value: state.contactKeys },
      ]);
      shown = key;
    }
  };

  setHandler(getCustomerQuery, () => state);
  setHandler(orderPlacedSignal, ({ profile, order, rules, contactKeys }) => {
    // The newest order carries the freshest profile (signals from concurrent journeys may arrive out
    // of order); an older one only fills contacts we did not have. Absent contacts keep their value.
    const isNewest = !state.lastOrderAt || order.placedAt >= state.lastOrderAt;
    state.profile = isNewest
      ? { ...state.profile, ...stripUndefined(profile), id: profile.id, name: profile.name }
      : { ...stripUndefined(profile), ...state.profile, id: profile.id, name: state.profile?.name ?? profile.name };
    // Signals from journeys that predate consent carry neither rules nor contact keys.
    if (rules && (isNewest || !state.rules)) state.rules = rules;
    state.contactKeys = [...new Set([...state.contactKeys, ...(contactKeys ?? [])])];
    // Activities may deliver the same signal twice (retries): order ids make it idempotent.
    if (!state.orders.some((o) => o.orderId === order.orderId)) {
      state.orders.push({ ...order, status: 'active' });
      state.firstSeenAt ??= order.placedAt;
      if (!state.lastOrderAt || order.placedAt > state.lastOrderAt) state.lastOrderAt = order.placedAt;
    }
    describe();
  });
  setHandler(orderCompletedSignal, ({ orderId, completedAt }) => {
    const order = state.orders.find((o) => o.orderId === orderId);
    if (order && order.status !== 'completed') {
      order.status = 'completed';
      order.completedAt = completedAt;
    }
    describe();
  });
  setHandler(customerEventSignal, (event) => {
    const outcome = applyCustomerEvent(state.consent, event);
    if (outcome.ignored)
      log.info('customer event ignored', { type: event.type, eventId: event.eventId, why: outcome.ignored });
    if (outcome.profilePatch && state.profile) state.profile = { ...state.profile, ...outcome.profilePatch };
    if (event.type === 'telegram-linked' && outcome.applied && !state.contactKeys.includes(event.contactKey)) {
      state.contactKeys = [...state.contactKeys, event.contactKey];
    }
    describe();
  });
  setHandler(
    requestSendPermitUpdate,
    (request) => {
      const permit = decidePermit(state.consent, state.profile, request, state.rules!, Date.now());
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
  describe();

  const limit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= limit);
  // Let handlers finish so nothing received in this run is lost across the boundary.
  await condition(allHandlersFinished);
  await continueAsNew<typeof customerLifecycle>({
    customerId: input.customerId,
    carried: { ...state, generation: state.generation + 1 },
    ...(input.historyLimit !== undefined ? { historyLimit: input.historyLimit } : {}),
  });
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
