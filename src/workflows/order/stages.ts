/**
 * The business moves the order: the advanceStage update, with a validator that rejects unknown,
 * backward and late stages before they touch history. A stage that notifies, or a delay or problem
 * notice, queues a message for the journey to deliver. Workflow code: deterministic.
 */
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import type { Playbook } from '../../playbook/schema';
import { ISSUE_KINDS, type IssueKind } from '../../playbook/issues';
import type { Outgoing } from '../delivery/deliver';
import {
  advanceStageUpdate,
  JourneyErrorType,
  MAX_NOTICES_PER_ORDER,
  type Order,
  type OrderJourneyState,
  type StageUpdate,
  type StageUpdateResult,
} from './contract';

const isIssue = (stage: string): stage is IssueKind => (ISSUE_KINDS as readonly string[]).includes(stage);
const normalized = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase();

/** The status message of a stage (by its index in the playbook). */
export function stageMessage(playbook: Playbook, order: Order, index: number, note?: string, eta?: string): Outgoing {
  const stage = playbook.stages[index]!;
  return {
    key: `status-${stage.id}`,
    kind: 'order_status',
    data: {
      orderId: order.orderId,
      stageLabel: stage.label,
      stageDescription: stage.description,
      note,
      eta,
      isFinal: index === playbook.stages.length - 1,
    },
  };
}

/** A delay or problem notice (the `count`th of the order), told at the order's current stage. */
export function noticeMessage(
  playbook: Playbook,
  order: Order,
  stageIndex: number,
  kind: IssueKind,
  count: number,
  reason: string,
  eta?: string,
): Outgoing {
  return {
    key: `${kind}-${count}`,
    kind: kind === 'delayed' ? 'order_delayed' : 'order_problem',
    data: { orderId: order.orderId, stageLabel: playbook.stages[stageIndex]!.label, reason, eta },
  };
}

export function handleStageUpdates(
  j: {
    order: Order;
    playbook: Playbook;
    state: OrderJourneyState;
    queue: Outgoing[];
    /** Called before an update queues a message (the journey's first message goes first). */
    beforeQueue: () => void;
  },
  now: () => string,
): void {
  const { order, playbook, state, queue, beforeQueue } = j;
  const stageIds = state.stages;
  let issueCount = 0;

  /** A notice tells the customer something new, a bounded number of times (a client retry is no new notice). */
  const checkNotice = (kind: IssueKind, reason: string) => {
    const notices = state.events.filter((e) => isIssue(e.type));
    const said = normalized(reason);
    const earlier = notices.find((e) => e.type === kind && 'reason' in e && normalized(e.reason) === said);
    if (earlier) {
      throw ApplicationFailure.nonRetryable(
        `order ${order.orderId} already had a "${kind}" notice with this reason (at ${earlier.at}); the customer was told, nothing was sent again`,
        JourneyErrorType.noticeRepeated,
      );
    }
    if (notices.length >= MAX_NOTICES_PER_ORDER) {
      throw ApplicationFailure.nonRetryable(
        `order ${order.orderId} already had ${MAX_NOTICES_PER_ORDER} delay or problem notices; no more are sent`,
        JourneyErrorType.noticeLimit,
      );
    }
  };

  /** An update that happened before the order's current stage did (a shop's late or replayed event). */
  const isStale = (update: StageUpdate) => {
    if (!update.occurredAt) return false;
    const current = [...state.events].reverse().find((e) => e.type === 'stage');
    return current !== undefined && Date.parse(update.occurredAt) < Date.parse(current.at);
  };

  setHandler(
    advanceStageUpdate,
    (update): StageUpdateResult => {
      if (isStale(update)) return { stage: state.stage, status: state.status, stale: true };
      const at = update.occurredAt ?? now();
      if (isIssue(update.stage)) {
        const kind = update.stage;
        const reason = (update.reason ?? update.note)!;
        issueCount += 1;
        state.events.push({ type: kind, reason, ...(update.eta ? { eta: update.eta } : {}), at });
        const message = noticeMessage(
          playbook,
          order,
          stageIds.indexOf(state.stage),
          kind,
          issueCount,
          reason,
          update.eta,
        );
        beforeQueue();
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
        const message = stageMessage(playbook, order, index, update.note, update.eta);
        beforeQueue();
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
        // Older than the current stage: acknowledged, and the handler changes nothing.
        if (isStale(update)) return;
        if (state.status === 'completed') {
          throw ApplicationFailure.nonRetryable(
            `order ${order.orderId} is already completed (stage "${state.stage}"); it accepts no more stage events`,
            JourneyErrorType.journeyCompleted,
          );
        }
        if (isIssue(update.stage)) {
          checkNotice(update.stage, (update.reason ?? update.note)!);
          return;
        }
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
}
