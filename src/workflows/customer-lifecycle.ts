import {
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  customerEventSignal,
  getCustomerQuery,
  orderCompletedSignal,
  orderPlacedSignal,
  PURPOSE_OF,
  requestSendPermitUpdate,
  SA,
  updateCustomerUpdate,
  type CustomerLifecycleInput,
  type CustomerLifecycleState,
  type MessageKind,
  type MessageRecord,
  type SendPermit,
} from '../contract';
import type { MessageData } from '../messages/types';
import { CHANNELS, upgradePlaybook } from '../playbook/schema';
import { applyCustomerEvent, decidePermit, emptyConsent, marketingAllowed } from '../rules/consent';
import { percentOf, rfm, tierFor, tierRank } from '../rules/loyalty';
import { attemptSend, sendActivityOptions, sendRequest } from './delivery';

/** Continue-as-new well before Temporal's own limits; the server may suggest it earlier. */
const DEFAULT_HISTORY_LIMIT = 2_000;
const MAX_MESSAGES = 50;
const MAX_FEEDBACK = 50;
const MAX_OFFERS = 50;

const nowIso = () => new Date().toISOString();
const codePrefix = (brand: string) =>
  brand
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 5)
    .toUpperCase() || 'CODE';

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
  // Lifecycles started before consent / loyalty existed replay without their search attributes.
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
  const { sendMessage } = proxyActivities<Activities>({
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: '24h',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
  });
  const { recordStat } = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: { maximumInterval: '1m' } });

  /** Something changed that moves a timer (new order, new playbook): the main loop re-plans. */
  let dirty = false;
  let pendingSends = 0;
  let orderArrived = 0;

  // --- value and loyalty --------------------------------------------------------------------------
  const refreshValue = () => {
    if (!withLoyalty || !state.playbook) return undefined;
    const completed = state.orders.filter((o) => o.status === 'completed');
    const result = rfm(
      Date.now(),
      {
        lastOrderAtMs: state.lastOrderAt ? Date.parse(state.lastOrderAt) : undefined,
        orders: state.orders.length,
        spendMinor: completed.reduce((sum, o) => sum + o.totalMinor, 0),
      },
      state.playbook.rfm,
    );
    const { nextChangeAt, ...value } = result;
    state.value = { ...value, at: nowIso() };
    return nextChangeAt;
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
        ...(state.loyalty
          ? [
              `**Loyalty** ${state.loyalty.tier ?? 'no tier yet'} · cashback ${state.loyalty.cashbackBalanceMinor} (minor units ${state.loyalty.currency ?? ''})`,
            ]
          : []),
        ...(state.value ? [`**Value** ${state.value.score} · ${state.value.segment}`] : []),
        `**Marketing** ${consent}${state.consent.marketing.source ? ` (${state.consent.marketing.source})` : ''}`,
        `**Blocked channels** ${blocked.length ? blocked.map((c) => `${c} (${state.consent.channels[c]!.blocked!.reason})`).join(', ') : 'none'}`,
      ].join('\n\n'),
    );
    // Only touch search attributes when they change: each upsert is a billable action.
    const loyaltyKeys = withLoyalty
      ? [
          state.value?.segment ?? null,
          state.loyalty?.tier ?? null,
          state.value?.score ?? null,
          state.loyalty?.spendMinor ?? 0,
        ]
      : [];
    const key = JSON.stringify([blocked, consent, state.contactKeys, ...loyaltyKeys]);
    if (withConsent && key !== shown) {
      upsertSearchAttributes([
        { key: SA.blockedChannels, value: blocked },
        { key: SA.marketingConsent, value: consent },
        { key: SA.contactKeys, value: state.contactKeys },
        ...(withLoyalty
          ? [
              { key: SA.segment, value: state.value?.segment ?? null },
              { key: SA.tier, value: state.loyalty?.tier ?? null },
              { key: SA.rfm, value: state.value?.score ?? null },
              { key: SA.lifetimeValue, value: state.loyalty?.spendMinor ?? 0 },
            ]
          : []),
      ]);
      shown = key;
    }
  };

  // --- messages the lifecycle sends itself (tier news, win-back) ------------------------------------
  const deliver = async (key: string, kind: MessageKind, data: MessageData): Promise<MessageRecord> => {
    const purpose = PURPOSE_OF[kind];
    const record: MessageRecord = { key, kind, purpose, status: 'pending', attempts: [], queuedAt: nowIso() };
    state.messages = [...(state.messages ?? []), record].slice(-MAX_MESSAGES);
    const playbook = state.playbook;
    if (!playbook || !state.profile || !state.rules) {
      record.status = 'skipped';
      record.reason = 'no playbook yet';
      return record;
    }
    // Quiet hours and the frequency cap defer the message (a win-back due at 22:00 goes at 09:00);
    // consent or reachability rule it out. The permit is asked again after each wait.
    let permit: SendPermit;
    for (let round = 0; ; round++) {
      permit = decidePermit(
        state.consent,
        state.profile!,
        {
          permitId: `${workflowId}/${key}/${round}`,
          kind,
          purpose,
          channels: playbook.messages[kind]?.channels ?? playbook.channels,
        },
        state.rules!,
        Date.now(),
      );
      if (permit.decision !== 'wait') break;
      record.status = 'waiting';
      record.reason = `${permit.reason} until ${permit.until}`;
      const ms = Date.parse(permit.until) - Date.now();
      if (ms > 0) await sleep(ms, { summary: `${permit.reason} before ${kind} (${key})` });
    }
    if (permit.decision === 'skip') {
      record.status = 'skipped';
      record.reason = permit.reason;
      return record;
    }
    record.status = 'pending';
    delete record.reason;
    for (const { channel, to } of permit.channels) {
      const request = sendRequest({
        playbook,
        workflowId,
        customerId: state.customerId,
        key,
        kind,
        channel,
        to,
        permit,
        data,
      });
      const outcome = await attemptSend(
        record,
        channel,
        () =>
          sendMessage.executeWithOptions(
            { ...sendActivityOptions(playbook), summary: `${kind} via ${channel} (${key})` },
            [request],
          ),
        nowIso,
      );
      if (outcome.sent) return record;
      if (outcome.problem) {
        applyCustomerEvent(state.consent, {
          type: 'delivery-problem',
          channel,
          problem: outcome.problem,
          source: `lifecycle:${key}`,
          eventId: `${workflowId}/${key}/${channel}/failed`,
          at: nowIso(),
        });
      }
    }
    record.status = 'failed';
    return record;
  };

  /** Runs a send in the background so signals and permits keep flowing while it is in flight. */
  const sendInBackground = (work: () => Promise<unknown>) => {
    pendingSends += 1;
    void work()
      .catch((err: unknown) => {
        if (!isCancellation(err)) log.error('lifecycle message failed', { error: String(err) });
      })
      .finally(() => {
        pendingSends -= 1;
        describe();
      });
  };

  const onOrderCompleted = (orderId: string) => {
    const order = state.orders.find((o) => o.orderId === orderId);
    const playbook = state.playbook;
    if (!withLoyalty || !order || !playbook) return;
    const loyalty = (state.loyalty ??= { completedOrders: 0, spendMinor: 0, cashbackBalanceMinor: 0 });
    loyalty.completedOrders += 1;
    loyalty.spendMinor += order.totalMinor;
    loyalty.currency ??= order.currency;
    // Cashback: a share of each completed order, credited towards the next one (integer minor units).
    loyalty.cashbackBalanceMinor += percentOf(order.totalMinor, playbook.loyalty.cashbackPercent);
    const tiers = playbook.loyalty.tiers;
    const tier = tierFor(loyalty, tiers);
    if (tier && tierRank(tiers, tier.id) > tierRank(tiers, loyalty.tier)) {
      loyalty.tier = tier.id;
      loyalty.tierSince = nowIso();
      // Reward loyalty out loud: a recognition message when the customer reaches a higher tier.
      sendInBackground(() =>
        deliver(`tier-${tier.id}`, 'tier_upgrade', {
          orderId,
          loyalty: {
            tier: tier.id,
            tierLabel: tier.label,
            discountPercent: tier.discountPercent,
            cashbackBalanceMinor: loyalty.cashbackBalanceMinor,
            currency: loyalty.currency,
          },
        }),
      );
    }
  };

  const loyaltyView = () => {
    const tier = state.playbook?.loyalty.tiers.find((t) => t.id === state.loyalty?.tier);
    return {
      ...(tier ? { tier: tier.id, tierLabel: tier.label, discountPercent: tier.discountPercent } : {}),
      cashbackBalanceMinor: state.loyalty?.cashbackBalanceMinor ?? 0,
      ...(state.loyalty?.currency ? { currency: state.loyalty.currency } : {}),
    };
  };

  // --- measure each measure: which follow-up brought this order? ---------------------------------
  const attribute = (orderId: string, placedAt: string, promoCode: string | undefined) => {
    const winback = state.winback;
    const window = state.playbook?.winback?.attributionWindow;
    const lastSent = winback?.attempts.filter((a) => a.status === 'sent').at(-1);
    if (winback && lastSent && window !== undefined) {
      const since = Date.parse(placedAt) - Date.parse(lastSent.at);
      if (since >= 0 && since <= window) {
        winback.converted.push({ orderId, at: placedAt, attempt: lastSent.attempt });
        stats.push({ kind: 'winback', metric: 'converted', eventId: `${workflowId}/winback-converted/${orderId}` });
      }
    }
    if (promoCode) {
      const offer = state.offersIssued?.find((o) => o.code === promoCode.toUpperCase() && !o.usedByOrderId);
      if (offer) {
        offer.usedByOrderId = orderId;
        stats.push({ kind: 'offer', metric: 'converted', eventId: `${workflowId}/offer-converted/${offer.code}` });
      }
      const code = winback?.attempts.find((a) => a.code === promoCode.toUpperCase());
      if (code && !winback!.converted.some((c) => c.orderId === orderId)) {
        winback!.converted.push({ orderId, at: placedAt, attempt: code.attempt });
        stats.push({ kind: 'winback', metric: 'converted', eventId: `${workflowId}/winback-converted/${orderId}` });
      }
    }
  };
  const stats: { kind: string; metric: 'converted'; eventId: string }[] = [];

  // --- handlers -----------------------------------------------------------------------------------
  setHandler(getCustomerQuery, () => state);
  setHandler(orderPlacedSignal, ({ profile, order, rules, contactKeys, playbook }) => {
    // The newest order carries the freshest profile (signals from concurrent journeys may arrive out
    // of order); an older one only fills contacts we did not have. Absent contacts keep their value.
    const isNewest = !state.lastOrderAt || order.placedAt >= state.lastOrderAt;
    state.profile = isNewest
      ? { ...state.profile, ...stripUndefined(profile), id: profile.id, name: profile.name }
      : { ...stripUndefined(profile), ...state.profile, id: profile.id, name: state.profile?.name ?? profile.name };
    // Signals from journeys that predate consent carry neither rules nor contact keys.
    if (rules && (isNewest || !state.rules)) state.rules = rules;
    if (playbook && (isNewest || !state.playbook)) state.playbook = upgradePlaybook(playbook);
    state.contactKeys = [...new Set([...state.contactKeys, ...(contactKeys ?? [])])];
    // Activities may deliver the same signal twice (retries): order ids make it idempotent.
    if (!state.orders.some((o) => o.orderId === order.orderId)) {
      const { promoCode, ...summary } = order;
      state.orders.push({ ...summary, status: 'active' });
      state.firstSeenAt ??= order.placedAt;
      if (!state.lastOrderAt || order.placedAt > state.lastOrderAt) state.lastOrderAt = order.placedAt;
      orderArrived += 1;
      if (withLoyalty) attribute(order.orderId, order.placedAt, promoCode);
    }
    dirty = true;
    describe();
  });
  setHandler(orderCompletedSignal, ({ orderId, completedAt }) => {
    const order = state.orders.find((o) => o.orderId === orderId);
    if (order && order.status !== 'completed') {
      order.status = 'completed';
      order.completedAt = completedAt;
      onOrderCompleted(orderId);
    }
    dirty = true;
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
      const permit = decidePermit(state.consent, state.profile, request, state.rules!, Date.now());
      if (permit.decision === 'send' && state.loyalty && request.kind === 'thank_you') {
        // The thank-you shows the customer's cashback and tier.
        return { ...permit, loyalty: loyaltyView() };
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

  // --- win-back: derived from state, so continue-as-new keeps its exact due time -------------------
  const winbackDue = (): { attempt: 1 | 2; at: number } | undefined => {
    const rules = state.playbook?.winback;
    if (!withLoyalty || !rules || !state.lastOrderAt) return undefined;
    const forThisGap = (state.winback?.attempts ?? []).filter((a) => a.forLastOrderAt === state.lastOrderAt);
    if (forThisGap.length === 0) return { attempt: 1, at: Date.parse(state.lastOrderAt) + rules.after };
    if (forThisGap.length === 1) return { attempt: 2, at: Date.parse(forThisGap[0]!.at) + rules.secondAfter };
    return undefined;
  };

  const runWinback = async (attempt: 1 | 2) => {
    const rules = state.playbook!.winback!;
    const forLastOrderAt = state.lastOrderAt!;
    const ordersBefore = orderArrived;
    const code = `${codePrefix(state.playbook!.brand.name)}-W${uuid4().replace(/-/g, '').slice(0, 7).toUpperCase()}`;
    const entry = {
      attempt,
      at: nowIso(),
      code,
      forLastOrderAt,
      status: 'pending' as 'pending' | 'sent' | 'skipped' | 'failed',
    };
    const winback = (state.winback ??= { attempts: [], converted: [] });
    winback.attempts.push(entry);
    // The moment an order arrives, an in-flight win-back is cancelled: no "we miss you" after a purchase.
    const scope = new CancellationScope();
    const watcher = condition(() => orderArrived !== ordersBefore).then(() => scope.cancel());
    try {
      const record = await scope.run(() =>
        deliver(`winback-${Date.parse(forLastOrderAt)}-${attempt}`, 'winback', {
          orderId: state.orders.at(-1)?.orderId ?? '',
          winback: {
            code,
            discountPercent: rules.discountPercent,
            expiresAt: new Date(Date.now() + rules.validFor).toISOString(),
            attempt,
          },
        }),
      );
      entry.status = record.status === 'sent' ? 'sent' : record.status === 'skipped' ? 'skipped' : 'failed';
    } catch (err) {
      if (!isCancellation(err)) throw err;
      entry.status = 'skipped';
      log.info('win-back cancelled: the customer ordered again', { attempt });
    }
    void watcher;
  };

  describe();
  let nextValueChange = refreshValue();
  const limit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  const shouldContinueAsNew = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= limit;

  for (;;) {
    const due = winbackDue();
    const wakeAt = Math.min(due?.at ?? Infinity, nextValueChange ?? Infinity);
    const woke = () => dirty || stats.length > 0 || shouldContinueAsNew();
    if (Number.isFinite(wakeAt)) {
      await condition(woke, Math.max(wakeAt - Date.now(), 1));
    } else {
      await condition(woke);
    }
    dirty = false;
    if (stats.length > 0) {
      const batch = stats.splice(0, stats.length);
      for (const s of batch) await recordStat(s);
    }
    if (shouldContinueAsNew()) break;
    nextValueChange = refreshValue();
    const nowDue = winbackDue();
    // Signals are applied before timers in an activation, so an order that raced the timer wins.
    if (nowDue && nowDue.at <= Date.now() && state.profile) {
      const playbook = state.playbook!;
      if (marketingAllowed(state.consent, state.profile, playbook)) await runWinback(nowDue.attempt);
      else {
        (state.winback ??= { attempts: [], converted: [] }).attempts.push({
          attempt: nowDue.attempt,
          at: nowIso(),
          code: '',
          forLastOrderAt: state.lastOrderAt!,
          status: 'skipped',
        });
      }
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

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
