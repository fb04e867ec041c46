import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
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
  advanceStageUpdate,
  contactFor,
  reviewClickedSignal,
  submitFeedbackUpdate,
  type Feedback,
  type FollowUpStatus,
  NO_REACHABLE_CHANNEL,
  PURPOSE_OF,
  type SendPermit,
  getJourneyQuery,
  idempotencyKeyFor,
  JourneyErrorType,
  SA,
  type MessageKind,
  type MessageRecord,
  type OrderJourneyInput,
  type OrderJourneyState,
  type StageUpdateResult,
} from '../contract';
import type { MessageData } from '../messages/types';
import { formatDuration } from '../playbook/duration';
import { warrantyGroups } from '../rules/calendar';
import { attemptSend, sendActivityOptions, sendRequest } from './delivery';
import { ISSUE_KINDS, upgradePlaybook, type IssueKind } from '../playbook/schema';

interface QueuedMessage {
  key: string;
  kind: MessageKind;
  data: MessageData;
  /** Until when links in the message work (the survey's answer window). */
  linkExpiresAt?: string;
}

const nowIso = () => new Date().toISOString();
const message = (state: OrderJourneyState, key: string) => state.messages.find((m) => m.key === key);

/** "Dana's Shop" → "DANAS": readable codes that say whose they are. */
const offerCodePrefix = (brand: string) =>
  brand
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 5)
    .toUpperCase() || 'OFFER';

/**
 * One journey per order: a status message at every notifying stage, honest notices for delays and
 * problems, and a thank-you after the final stage. The business drives it with the advanceStage
 * update; the journey only decides *what* to say and hands delivery to the sendMessage activity.
 */
export async function orderJourney(input: OrderJourneyInput): Promise<OrderJourneyState> {
  const { order } = input;
  const playbook = upgradePlaybook(input.playbook);
  const { workflowId } = workflowInfo();
  const stageIds = playbook.stages.map((s) => s.id);
  const firstStage = playbook.stages[0]!;

  // Journeys started before send permits existed replay without them (see test/histories).
  const usePermits = patched('send-permits');

  const state: OrderJourneyState = {
    orderId: order.orderId,
    customerId: order.customer.id,
    status: 'active',
    stage: firstStage.id,
    stages: stageIds,
    events: [{ type: 'stage', stage: firstStage.id, at: order.placedAt ?? input.receivedAt }],
    messages: [],
    next: null,
    followUps: [],
    operatorAlerts: [],
    reviewClicks: [],
  };
  const queue: QueuedMessage[] = [];
  let issueCount = 0;
  let deliveryFailures = 0;

  const sendOptions = sendActivityOptions(playbook);
  const { sendMessage } = proxyActivities<Activities>(sendOptions);
  const { recordOrderWithCustomer, recordOrderCompleted, requestSendPermit, reportCustomerEvent, recordStat } =
    proxyActivities<Activities>({
      startToCloseTimeout: '30s',
      retry: { initialInterval: '1s', maximumInterval: '1m' },
    });

  const stageMessage = (stageIndex: number, note?: string, eta?: string): QueuedMessage => {
    const stage = playbook.stages[stageIndex]!;
    return {
      key: `status-${stage.id}`,
      kind: 'order_status',
      data: {
        orderId: order.orderId,
        stageLabel: stage.label,
        stageDescription: stage.description,
        note,
        eta,
        isFinal: stageIndex === stageIds.length - 1,
      },
    };
  };

  // --- what the operator sees ------------------------------------------------------------------
  let shownStage = '';
  let shownWaiting = '';
  let shownUntil: string | undefined;
  const show = (waitingFor: string, what: string, until?: Date) => {
    state.next = { what, ...(until ? { until: until.toISOString() } : {}) };
    const sent = state.messages.filter((m) => m.status === 'sent').length;
    const failed = state.messages.filter((m) => m.status === 'failed').length;
    const skipped = state.messages.filter((m) => m.status === 'skipped');
    setCurrentDetails(
      [
        `**Order** ${order.orderId} · **customer** ${order.customer.id}`,
        `**Stage** ${state.stage} (${stageIds.indexOf(state.stage) + 1}/${stageIds.length})${state.status === 'completed' ? ' · completed' : ''}`,
        `**Waiting for** ${what}${until ? ` until ${until.toISOString()}` : ''}`,
        `**Messages** ${sent} sent, ${failed} failed${queue.length ? `, ${queue.length} queued` : ''}`,
        ...(skipped.length ? [`**Not sent** ${skipped.map((m) => `${m.key}: ${m.reason ?? ''}`).join('; ')}`] : []),
      ].join('\n\n'),
    );
    const untilIso = until?.toISOString();
    if (shownStage !== state.stage || shownWaiting !== waitingFor || shownUntil !== untilIso) {
      upsertSearchAttributes([
        { key: SA.stage, value: state.stage },
        { key: SA.waitingFor, value: waitingFor },
        { key: SA.nextActionAt, value: until ?? null },
      ]);
      shownStage = state.stage;
      shownWaiting = waitingFor;
      shownUntil = untilIso;
    }
  };

  // --- the business moves the order -------------------------------------------------------------
  setHandler(getJourneyQuery, () => state);
  setHandler(
    advanceStageUpdate,
    (update): StageUpdateResult => {
      const at = nowIso();
      if ((ISSUE_KINDS as readonly string[]).includes(update.stage)) {
        const kind = update.stage as IssueKind;
        const reason = (update.reason ?? update.note)!;
        issueCount += 1;
        state.events.push({ type: kind, reason, ...(update.eta ? { eta: update.eta } : {}), at });
        const message: QueuedMessage = {
          key: `${kind}-${issueCount}`,
          kind: kind === 'delayed' ? 'order_delayed' : 'order_problem',
          data: {
            orderId: order.orderId,
            stageLabel: playbook.stages[stageIds.indexOf(state.stage)]!.label,
            reason,
            eta: update.eta,
          },
        };
        queue.push(message);
        return { stage: state.stage, status: state.status, messageKey: message.key };
      }
      const index = stageIds.indexOf(update.stage);
      const stage = playbook.stages[index]!;
      state.stage = stage.id;
      state.events.push({
        type: 'stage',
        stage: stage.id,
        ...(update.note ? { note: update.note } : {}),
        ...(update.eta ? { eta: update.eta } : {}),
        at,
      });
      let messageKey: string | undefined;
      if (stage.notify) {
        const message = stageMessage(index, update.note, update.eta);
        queue.push(message);
        messageKey = message.key;
      }
      if (index === stageIds.length - 1) {
        state.status = 'completed';
        state.completedAt = at;
      }
      return { stage: state.stage, status: state.status, ...(messageKey ? { messageKey } : {}) };
    },
    {
      description: 'Move the order to a later stage, or report a delay or problem without moving it.',
      // Rejected updates never reach history: a bad request changes nothing.
      validator: (update) => {
        if (state.status === 'completed') {
          throw ApplicationFailure.nonRetryable(
            `order ${order.orderId} is already completed (stage "${state.stage}"); it accepts no more stage events`,
            JourneyErrorType.journeyCompleted,
          );
        }
        if ((ISSUE_KINDS as readonly string[]).includes(update.stage)) return;
        const index = stageIds.indexOf(update.stage);
        if (index < 0) {
          throw ApplicationFailure.nonRetryable(
            `unknown stage "${update.stage}"; this order's stages are: ${stageIds.join(', ')} (or "delayed" / "problem" for a notice)`,
            JourneyErrorType.unknownStage,
          );
        }
        const current = stageIds.indexOf(state.stage);
        if (index <= current) {
          throw ApplicationFailure.nonRetryable(
            `order ${order.orderId} is already at stage "${state.stage}"; stages only move forward (next: ${stageIds.slice(current + 1).join(', ')})`,
            JourneyErrorType.stageOutOfOrder,
          );
        }
      },
    },
  );

  // --- delivery: the lifecycle permits, the workflow picks the channel, the activity sends -------
  /** Before send permits existed, the journey used the order's own contacts; old histories replay that way. */
  const localPermit = (): SendPermit => ({
    decision: 'send',
    channels: playbook.channels.flatMap((channel) => {
      const to = contactFor(channel, order.customer);
      return to ? [{ channel, to }] : [];
    }),
    whatsappWindowOpen: false,
    name: order.customer.name,
    ...(order.customer.locale ? { locale: order.customer.locale } : {}),
    ...(order.customer.timeZone ? { timeZone: order.customer.timeZone } : {}),
  });

  const waitUntil = async (waitingFor: string, what: string, untilIso: string) => {
    const until = new Date(untilIso);
    show(waitingFor, what, until);
    const ms = until.getTime() - Date.now();
    if (ms > 0) await sleep(ms, { summary: what });
  };

  const deliver = async (message: QueuedMessage): Promise<void> => {
    const purpose = PURPOSE_OF[message.kind];
    const record: MessageRecord = {
      key: message.key,
      kind: message.kind,
      purpose,
      status: 'pending',
      attempts: [],
      queuedAt: nowIso(),
    };
    state.messages.push(record);

    // Ask the customer's lifecycle right before sending: consent, caps and quiet hours are its call,
    // and an opt-out that arrived a second ago already counts.
    let permit: SendPermit;
    for (let round = 0; ; round++) {
      permit = usePermits
        ? await requestSendPermit(order.customer.id, {
            permitId: `${workflowId}/${message.key}/${round}`,
            kind: message.kind,
            purpose,
            channels: playbook.messages[message.kind]?.channels ?? playbook.channels,
          })
        : localPermit();
      if (permit.decision !== 'wait') break;
      record.status = 'waiting';
      record.reason = permit.reason;
      await waitUntil(permit.reason, `${permit.reason} before ${message.kind} (${message.key})`, permit.until);
    }
    if (permit.decision === 'skip') {
      record.status = 'skipped';
      record.reason = permit.reason;
      log.info('message skipped', { messageKey: message.key, reason: permit.reason });
      if (permit.reason.startsWith(NO_REACHABLE_CHANNEL)) {
        // Not the customer's choice but nobody reachable: as visible to operators as a failed send.
        deliveryFailures += 1;
        upsertSearchAttributes([{ key: SA.deliveryFailures, value: deliveryFailures }]);
      }
      return;
    }
    record.status = 'pending';
    delete record.reason;

    for (const { channel, to, notBefore } of permit.channels) {
      if (notBefore) await waitUntil('quiet-hours', `quiet hours before ${message.kind} via ${channel}`, notBefore);
      show('delivery', `delivery of ${message.kind} (${message.key}) via ${channel}`);
      const base = sendRequest({
        playbook,
        workflowId,
        customerId: order.customer.id,
        key: message.key,
        kind: message.kind,
        channel,
        to,
        permit,
        data:
          permit.loyalty && message.kind === 'thank_you' ? { ...message.data, loyalty: permit.loyalty } : message.data,
      });
      const outcome = await attemptSend(
        record,
        channel,
        () =>
          sendMessage.executeWithOptions(
            { ...sendOptions, summary: `${message.kind} via ${channel} (${message.key})` },
            [
              {
                ...base,
                ...(message.linkExpiresAt ? { linkExpiresAt: message.linkExpiresAt } : {}),
                offerTelegramLink:
                  usePermits &&
                  playbook.channels.includes('telegram') &&
                  !permit.channels.some((c) => c.channel === 'telegram'),
              },
            ],
          ),
        nowIso,
      );
      if (outcome.sent) return;
      log.warn('delivery attempt failed', { messageKey: message.key, channel, error: outcome.error });
      if (usePermits && outcome.problem) {
        // Tell the lifecycle, so no other journey of this customer tries this channel again.
        await reportCustomerEvent(order.customer.id, {
          type: 'delivery-problem',
          channel,
          problem: outcome.problem,
          source: `journey:${workflowId}`,
          eventId: `${workflowId}/${message.key}/${channel}/failed`,
          at: nowIso(),
        });
      }
    }
    record.status = 'failed';
    deliveryFailures += 1;
    upsertSearchAttributes([{ key: SA.deliveryFailures, value: deliveryFailures }]);
    log.error('message could not be delivered on any channel', {
      messageKey: message.key,
      tried: permit.channels.map((c) => c.channel),
    });
  };

  /** The business's operator hears about an unhappy customer at once, on every operator channel. */
  const alertOperator = async (feedback: Feedback) => {
    const targets = [
      ...(playbook.operator.email ? [{ channel: 'email' as const, to: playbook.operator.email }] : []),
      ...(playbook.operator.telegramChatId
        ? [{ channel: 'telegram' as const, to: playbook.operator.telegramChatId }]
        : []),
    ];
    for (const target of targets) {
      try {
        await sendMessage.executeWithOptions({ ...sendOptions, summary: `operator alert via ${target.channel}` }, [
          {
            idempotencyKey: idempotencyKeyFor(workflowId, 'operator-alert', target.channel),
            workflowId,
            messageKey: 'operator-alert',
            kind: 'operator_alert',
            purpose: 'transactional',
            channel: target.channel,
            to: target.to,
            recipientName: playbook.brand.name,
            fallbackLocale: playbook.defaultLocale,
            brand: playbook.brand,
            data: {
              orderId: order.orderId,
              feedback: { rating: feedback.rating, comment: feedback.comment },
              operator: { customerId: order.customer.id, customerName: order.customer.name },
            },
          },
        ]);
        state.operatorAlerts.push({ channel: target.channel, outcome: 'sent', at: nowIso() });
      } catch (err) {
        state.operatorAlerts.push({ channel: target.channel, outcome: 'failed', at: nowIso() });
        log.error('operator alert failed', { channel: target.channel, error: String(err) });
      }
    }
  };

  // --- the customer's answer (survey page, or the business's own channel) ---------------------
  let feedbackOpen = true;
  let feedbackVersion = 0;
  setHandler(
    submitFeedbackUpdate,
    (input) => {
      const replaced = state.feedback !== undefined;
      state.feedback = { ...input, at: nowIso() };
      feedbackVersion += 1;
      log.info('feedback received', { rating: input.rating, replaced });
      return { accepted: true as const, replaced };
    },
    {
      description:
        "The customer's satisfaction answer (1-5 and a comment); replaces an earlier one until the journey acts.",
      validator: (_input) => {
        if (state.status !== 'completed' || !feedbackOpen) {
          throw ApplicationFailure.nonRetryable(
            state.status !== 'completed'
              ? `order ${order.orderId} is not completed yet; ask for feedback once it is`
              : `the survey for order ${order.orderId} is closed; the journey has acted on the answer`,
            JourneyErrorType.feedbackClosed,
          );
        }
      },
    },
  );
  setHandler(reviewClickedSignal, ({ eventId, at }) => {
    if (!state.reviewClicks.some((c) => c.eventId === eventId)) state.reviewClicks.push({ eventId, at });
  });

  // --- the journey ------------------------------------------------------------------------------
  // Queued before anything awaits, so an update that arrives meanwhile is told after "placed".
  if (firstStage.notify) queue.push(stageMessage(0));
  await recordOrderWithCustomer({
    rules: { consent: playbook.consent, quietHours: playbook.quietHours, frequencyCap: playbook.frequencyCap },
    profile: order.customer,
    order: {
      orderId: order.orderId,
      placedAt: order.placedAt ?? input.receivedAt,
      currency: order.currency,
      totalMinor: order.totalMinor,
      ...(order.promoCode ? { promoCode: order.promoCode } : {}),
    },
    playbook,
  });

  for (;;) {
    while (queue.length > 0) await deliver(queue.shift()!);
    if (state.status === 'completed') break;
    show('stage-update', `the next stage update from the business (${stageIds[stageIds.indexOf(state.stage) + 1]})`);
    await condition(() => queue.length > 0 || state.status === 'completed');
  }
  await recordOrderCompleted({
    customerId: order.customer.id,
    orderId: order.orderId,
    completedAt: state.completedAt!,
  });

  const thankYouAt = new Date(Date.now() + playbook.delays.thankYou);
  show('thank-you', `the thank-you (${formatDuration(playbook.delays.thankYou)} after completion)`, thankYouAt);
  await sleep(playbook.delays.thankYou, { summary: 'wait before the thank-you' });
  await deliver({
    key: 'thank-you',
    kind: 'thank_you',
    data: { orderId: order.orderId, totalMinor: order.totalMinor, currency: order.currency },
  });

  // --- follow-ups after the thank-you: each one only when the journey's playbook has it, so the
  // frozen playbook is what decides (journeys from before a follow-up existed replay unchanged) ----
  const { survey, review, offer, warranty } = playbook.followUps;
  const plan = (key: string, what: string, at: Date) => {
    state.followUps.push({ key, what, at: at.toISOString(), status: 'scheduled' });
  };
  const mark = (key: string, status: FollowUpStatus) => {
    const entry = state.followUps.find((f) => f.key === key);
    if (entry) Object.assign(entry, { status, doneAt: nowIso() });
  };

  if (survey) {
    plan('survey', 'satisfaction survey', new Date(Date.now() + survey.after));
    show(
      'survey',
      `the satisfaction survey (${formatDuration(survey.after)} after the thank-you)`,
      new Date(Date.now() + survey.after),
    );
    // The business may already have sent the customer's answer itself: then no survey is needed.
    if (!(await condition(() => state.feedback !== undefined, survey.after))) {
      const linkExpiresAt = new Date(Date.now() + survey.window + survey.changeWindow).toISOString();
      await deliver({ key: 'survey', kind: 'survey', data: { orderId: order.orderId }, linkExpiresAt });
      show('survey-answer', "the customer's answer to the survey", new Date(Date.now() + survey.reminderAfter));
      if (!(await condition(() => state.feedback !== undefined, survey.reminderAfter))) {
        await deliver({
          key: 'survey-reminder',
          kind: 'survey_reminder',
          data: { orderId: order.orderId },
          linkExpiresAt,
        });
        const rest = Math.max(survey.window - survey.reminderAfter, 1000);
        show('survey-answer', "the customer's answer after the reminder", new Date(Date.now() + rest));
        await condition(() => state.feedback !== undefined, rest);
      }
    }
    // A changed answer replaces the first until the journey acts on it.
    while (state.feedback) {
      const seen = feedbackVersion;
      show('survey-answer', 'a changed answer, if any', new Date(Date.now() + survey.changeWindow));
      if (!(await condition(() => feedbackVersion !== seen, survey.changeWindow))) break;
    }
    feedbackOpen = false;
    mark('survey', state.feedback ? 'answered' : 'no-answer');
    if (state.feedback) {
      // Remember the answer with the customer, and count it.
      await reportCustomerEvent(order.customer.id, {
        type: 'feedback',
        orderId: order.orderId,
        rating: state.feedback.rating,
        ...(state.feedback.comment ? { comment: state.feedback.comment } : {}),
        source: state.feedback.source ?? 'survey',
        eventId: `${workflowId}/feedback`,
        at: state.feedback.at,
      });
      await recordStat({ kind: 'survey', metric: 'answered', eventId: `${workflowId}/survey-answered` });
    }

    const feedback = state.feedback;
    if (feedback && feedback.rating >= survey.satisfiedAt) {
      if (review) {
        await deliver({
          key: 'review',
          kind: 'review_request',
          data: { orderId: order.orderId, feedback: { rating: feedback.rating }, reviewUrl: review.url },
        });
      }
    } else if (feedback) {
      // Care for the unhappy first: a personal note to them, and a person at the business alerted.
      await deliver({
        key: 'care',
        kind: 'care_followup',
        data: { orderId: order.orderId, feedback: { rating: feedback.rating, comment: feedback.comment } },
      });
      await alertOperator(feedback);
    }
  }

  if (offer) {
    // Customers rarely know everything a business does: after the thank-you, the rest of the
    // catalogue with a personal code (unique per offer, so a later order can be attributed to it).
    plan('offer', 'cross-sell offer', new Date(Date.now() + offer.after));
    show(
      'offer',
      `the cross-sell offer (${formatDuration(offer.after)} after the thank-you)`,
      new Date(Date.now() + offer.after),
    );
    await sleep(offer.after, { summary: 'wait before the cross-sell offer' });
    const code = `${offerCodePrefix(playbook.brand.name)}-${uuid4().replace(/-/g, '').slice(0, 8).toUpperCase()}`;
    const expiresAt = new Date(Date.now() + offer.validFor).toISOString();
    state.offer = { code, discountPercent: offer.discountPercent, expiresAt };
    await deliver({
      key: 'offer',
      kind: 'offer',
      data: {
        orderId: order.orderId,
        offer: {
          code,
          discountPercent: offer.discountPercent,
          expiresAt,
          conditions: offer.conditions,
          services: offer.services,
        },
      },
    });
    if (message(state, 'offer')?.status === 'sent') {
      // The lifecycle attributes a later order that carries this code to the offer.
      await reportCustomerEvent(order.customer.id, {
        type: 'offer-issued',
        code,
        orderId: order.orderId,
        expiresAt,
        source: `journey:${workflowId}`,
        eventId: `${workflowId}/offer-issued`,
        at: nowIso(),
      });
    }
    mark('offer', 'done');
  }

  if (review?.referralAfter && state.feedback && survey && state.feedback.rating >= survey.satisfiedAt) {
    plan('referral', 'referral ask', new Date(Date.now() + review.referralAfter));
    show('referral', 'the referral ask', new Date(Date.now() + review.referralAfter));
    await sleep(review.referralAfter, { summary: 'wait before the referral ask' });
    const code = `${offerCodePrefix(playbook.brand.name)}-R${uuid4().replace(/-/g, '').slice(0, 7).toUpperCase()}`;
    state.referralCode = code;
    await deliver({
      key: 'referral',
      kind: 'referral_request',
      data: { orderId: order.orderId, referral: { code, rewardPercent: review.referralRewardPercent } },
    });
    mark('referral', 'done');
  }

  if (warranty) {
    // Come back when the warranty ends: one timer per distinct end date, months or years long.
    // A sleeping journey costs one timer and no history growth.
    const groups = warrantyGroups(Date.parse(state.completedAt!), order.items);
    groups.forEach((g, i) =>
      plan(
        `warranty-${i + 1}`,
        `warranty check-in: ${g.items.join(', ')}`,
        new Date(Date.parse(g.endsAt) - warranty.leadTime),
      ),
    );
    for (const [i, group] of groups.entries()) {
      const due = Date.parse(group.endsAt) - warranty.leadTime;
      show('warranty', `the warranty check-in for ${group.items.join(', ')}`, new Date(Math.max(due, Date.now())));
      if (due > Date.now())
        await sleep(due - Date.now(), { summary: `wait for the warranty check-in (${group.items.join(', ')})` });
      await deliver({
        key: `warranty-${i + 1}`,
        kind: 'warranty_checkin',
        data: {
          orderId: order.orderId,
          warranty: {
            items: group.items,
            endsAt: group.endsAt,
            yearsOwned: Math.max(1, Math.round(group.months / 12)),
            inspectionOffer: warranty.inspectionOffer,
          },
          ...(review ? { reviewUrl: review.url } : {}),
        },
      });
      mark(`warranty-${i + 1}`, 'done');
    }
  }

  show('nothing', 'nothing: the journey is done');
  state.next = null;
  await condition(allHandlersFinished);
  return state;
}
