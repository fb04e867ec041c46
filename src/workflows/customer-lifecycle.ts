import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  getCustomerQuery,
  orderCompletedSignal,
  orderPlacedSignal,
  type CustomerLifecycleInput,
  type CustomerLifecycleState,
} from '../contract';

/** Continue-as-new well before Temporal's own limits; the server may suggest it earlier. */
const DEFAULT_HISTORY_LIMIT = 2_000;

/**
 * One long-lived workflow per customer, signalled (with start) by every order journey. It is the
 * customer's memory across orders; later it owns loyalty, value and win-back. It never completes:
 * it continues as new with its state whenever its history grows large.
 */
export async function customerLifecycle(input: CustomerLifecycleInput): Promise<void> {
  const state: CustomerLifecycleState = input.carried ?? {
    customerId: input.customerId,
    profile: null,
    orders: [],
    generation: 0,
  };

  const describe = () =>
    setCurrentDetails(
      [
        `**Customer** ${state.customerId}`,
        `**Orders** ${state.orders.length} (${state.orders.filter((o) => o.status === 'active').length} active)`,
        `**Last order** ${state.lastOrderAt ?? 'none yet'}`,
      ].join('\n\n'),
    );

  setHandler(getCustomerQuery, () => state);
  setHandler(orderPlacedSignal, ({ profile, order }) => {
    // The newest order carries the freshest profile (signals from concurrent journeys may arrive out
    // of order); an older one only fills contacts we did not have. Absent contacts keep their value.
    const isNewest = !state.lastOrderAt || order.placedAt >= state.lastOrderAt;
    state.profile = isNewest
      ? { ...state.profile, ...stripUndefined(profile), id: profile.id, name: profile.name }
      : { ...stripUndefined(profile), ...state.profile, id: profile.id, name: state.profile?.name ?? profile.name };
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
  describe();

  const limit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= limit);
  // Let signal handlers finish so nothing received in this run is lost across the boundary.
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
