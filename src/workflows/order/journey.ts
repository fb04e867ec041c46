import {
  allHandlersFinished,
  condition,
  patched,
  setHandler,
  setWorkflowOptions,
  workflowInfo,
} from '@temporalio/workflow';
import { formatDuration } from '../../playbook/duration';
import { upgradePlaybook } from '../../playbook/upgrade';
import { bookkeeping } from '../activity-options';
import { deliver, FollowUpsCancelled, type Outgoing } from '../delivery/deliver';
import { handleAnswers } from './answers';
import type { Journey } from './context';
import { countEach, countInBatches } from './counts';
import { linkToCustomer } from './customer-link';
import { leanLinkToCustomer } from './lean-link';
import {
  flushCountsUpdate,
  orderForCustomer,
  getJourneyQuery,
  type OrderJourneyInput,
  type OrderJourneyState,
} from './contract';
import { journeyDeliverer } from './deliverer';
import { thankYouMessage } from './follow-up-plan';
import { runFollowUps } from './follow-ups';
import { operatorView } from './operator-view';
import { handleOperatorActions } from './operator-actions';
import { operations } from './operations';
import { endCancelled, handleCancellation } from './cancellation';
import { handleRefunds } from './refunds';
import { handleReplies } from './replies';
import { awaitStageDue, settleBurst } from './stage-waits';
import { handleStageUpdates, stageMessage } from './stages';

const nowIso = () => new Date().toISOString();
const DAY = 86_400_000;

/**
 * One journey per order: a status message at every notifying stage, honest notices for delays and
 * problems, and after the final stage the follow-ups (thank-you, survey, review or care, offer,
 * referral, warranty check-in). The business drives it with the advanceStage update; the journey
 * decides what to say and when, and hands each message to the shared delivery loop.
 */
export async function orderJourney(input: OrderJourneyInput): Promise<OrderJourneyState> {
  const { order } = input;
  const playbook = upgradePlaybook(input.playbook);
  const { workflowId } = workflowInfo();
  const firstStage = playbook.stages[0]!;

  // Lean journeys (started with a customer snapshot) decide transactional messages themselves; the input says
  // so, not a patch marker, so they record none. Journeys started before replay as they ran (test/histories),
  // and those from before send permits existed without them.
  const lean = input.customer !== undefined;
  const usePermits = lean || patched('send-permits');
  // Stuck marks and bounded first tries: journeys started with them (the input says so), never older ones.
  const tools = input.operatorTools === 1;

  const state: OrderJourneyState = {
    orderId: order.orderId,
    customerId: order.customer.id,
    status: 'active',
    stage: firstStage.id,
    stages: playbook.stages.map((s) => s.id),
    events: [{ type: 'stage', stage: firstStage.id, at: order.placedAt ?? input.receivedAt }],
    messages: [],
    next: null,
    followUps: [],
    operatorAlerts: [],
    reviewClicks: [],
  };
  const queue: Outgoing[] = [];
  /** Messages handed to delivery, by key: what an operator's re-send sends again. */
  const sent = new Map<string, Outgoing>();
  // The first stage's message goes first, even when a stage update came with the start: its handler runs as soon
  // as it is registered, before the code below. Journeys that ran the other way replay without the patch.
  let firstQueued = false;
  const queueFirstStage = () => {
    if (firstQueued) return;
    firstQueued = true;
    if (firstStage.notify) queue.push(stageMessage(playbook, order, 0));
  };
  const beforeUpdateQueues = () => {
    if (!firstQueued && patched('first-stage-first')) queueFirstStage();
  };
  const view = operatorView(order, state, () => queue.length, lean, tools);
  const ops = operations(playbook, state, tools, () => view.refresh());
  const customer = input.customer
    ? leanLinkToCustomer({ order, playbook, state, workflowId, now: nowIso }, input.customer, ops.lifecycleCall)
    : linkToCustomer({ order, playbook, state, workflowId, now: nowIso });
  const counter = lean ? countInBatches(nowIso) : countEach(workflowId);
  setHandler(flushCountsUpdate, () => counter.flush());

  setHandler(getJourneyQuery, () => state);
  handleStageUpdates({ order, playbook, state, queue, beforeQueue: beforeUpdateQueues }, nowIso);
  const answers = handleAnswers(order, state, nowIso);

  const deliverer = journeyDeliverer({
    order,
    playbook,
    workflowId,
    state,
    view,
    ops,
    customer,
    counter,
    usePermits,
    lean,
    operatorTools: tools,
    now: nowIso,
  });
  const journey: Journey = {
    order,
    playbook,
    workflowId,
    state,
    view,
    answers,
    customer,
    counter,
    beforeWait: async (ms) => {
      if (ms < DAY) return;
      await counter.flush();
      await customer.flush();
    },
    deliver: (message) => {
      sent.set(message.key, message);
      return deliver(deliverer, message);
    },
    ops,
    operatorTools: tools,
    now: nowIso,
  };
  handleOperatorActions({ orderId: order.orderId, state, ops, sent, deliver: journey.deliver, now: nowIso });
  handleCancellation(journey);
  const refunds = handleRefunds(journey);
  const replies = handleReplies(journey);

  try {
    // Queued before anything awaits, so an update that arrives meanwhile is told after "placed" (unless it came
    // with the start: then its handler queued this already).
    queueFirstStage();
    // Awaited here, not through a helper: an extra await would reorder commands against an update arriving in the
    // same workflow task, and recorded histories would no longer replay. (A lean journey's starter recorded it.)
    if (!lean) {
      try {
        await bookkeeping.recordOrderWithCustomer(orderForCustomer(order, playbook, input.receivedAt));
      } catch (err) {
        await customer.lifecycleClosedOrThrow(err);
      }
    }

    for (;;) {
      while (queue.length > 0) {
        if ((playbook.delays.stageBurstWindow ?? 0) > 0) await settleBurst(journey, queue);
        await journey.deliver(queue.shift()!);
      }
      if (state.status === 'completed') break;
      const next = playbook.stages[state.stages.indexOf(state.stage) + 1]!;
      const moved = () => queue.length > 0 || state.status === 'completed';
      if (tools && next.expectedWithin) await awaitStageDue(journey, next.id, next.expectedWithin, moved);
      else {
        view.show('stage-update', `the next stage update from the business (${next.id})`);
        await ops.waitFor(moved);
      }
    }
    if (lean) {
      // At once: the lifecycle credits the order, and may tell the customer of a new tier.
      await customer.tell({ completedAt: state.completedAt! });
      await customer.flush();
    } else {
      try {
        await bookkeeping.recordOrderCompleted({
          customerId: order.customer.id,
          orderId: order.orderId,
          completedAt: state.completedAt!,
        });
      } catch (err) {
        await customer.lifecycleClosedOrThrow(err);
      }
    }

    const thankYouAt = new Date(Date.now() + playbook.delays.thankYou);
    view.show('thank-you', `the thank-you (${formatDuration(playbook.delays.thankYou)} after completion)`, thankYouAt);
    if (lean) await journey.beforeWait(playbook.delays.thankYou);
    await ops.wait(playbook.delays.thankYou, 'wait before the thank-you');
    await journey.deliver(thankYouMessage(order));

    await runFollowUps(journey);
    if (lean) {
      await counter.flush();
      await customer.flush();
    }
  } catch (err) {
    if (!(err instanceof FollowUpsCancelled)) throw err;
    await endCancelled(journey);
    await condition(() => allHandlersFinished() && refunds.idle() && replies.idle());
    return state;
  }

  view.show('nothing', 'nothing: the journey is done');
  state.next = null;
  await condition(() => allHandlersFinished() && refunds.idle() && replies.idle());
  return state;
}

// Auto-upgrade under Worker Versioning: a journey lives as long as its last follow-up (years), so it moves to the
// current build at its next task and old builds' workers can go; its changes keep going through patched(). Only
// said to a versioned worker: the server rejects a behaviour from an unversioned one.
setWorkflowOptions(
  () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'AUTO_UPGRADE' } : {}),
  orderJourney,
);
