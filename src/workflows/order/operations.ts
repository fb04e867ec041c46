/**
 * What lets an operator find and fix a journey: the stuck mark it keeps itself (search attributes, no poller),
 * timed waits an operator can move, sends an operator can retry now or skip, and cancelling what remains.
 * Workflow code: deterministic.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';
import { summary as bounded } from '../../lib/bounded-text';
import { formatDuration } from '../../playbook/duration';
import type { Playbook } from '../../playbook/schema';
import { FollowUpsCancelled, SkippedByOperator } from '../delivery/deliver';
import { countStuck, countStuckCleared } from '../metrics';
import { customerLifecycleId } from '../customer/contract';
import { tenantOfWorkflowId } from '../tenant';
import { JourneyErrorType, ORDER_SA, type OrderJourneyState, type StuckMark, type StuckReason } from './contract';

const DEFAULT_STUCK_AFTER = 15 * 60_000;
const DEFAULT_LIFECYCLE_STUCK_AFTER = 2 * 60_000;

interface InFlight {
  key: string;
  scope: CancellationScope;
  action?: { type: 'retry' } | { type: 'skip'; reason: string };
}

interface CurrentWait {
  what: string;
  deadline: number;
  changed: boolean;
}

export interface Operations {
  readonly cancelled: boolean;
  /**
   * Waits up to `ms` (or until `done` holds); true when `done` held. An operator may move its end; `markAfter`
   * runs once the wait has lasted that long (a hold turning into a stuck mark). Throws FollowUpsCancelled.
   */
  wait(ms: number, what: string, done?: () => boolean, markAfter?: { ms: number; mark: () => void }): Promise<boolean>;
  /** Waits for `done` with no end; throws FollowUpsCancelled. */
  waitFor(done: () => boolean): Promise<void>;
  /** One send (all its retries) under an operator's hand; marks the journey stuck while it fails too long. */
  controlledSend<T>(key: string, what: string, send: (scheduleToCloseMs: number | undefined) => Promise<T>): Promise<T>;
  /** A call to the customer's lifecycle that marks the journey stuck while it goes unanswered too long. */
  lifecycleCall<T>(what: string, call: (scheduleToCloseMs: number | undefined) => Promise<T>): Promise<T>;
  mark(reason: StuckReason, detail: string, remedy: string, since?: Date): void;
  clear(reason: StuckReason): void;
  /** For the operator updates (./operator-actions). */
  inFlight(): InFlight[];
  currentWait(): CurrentWait | undefined;
  cancel(at: string): void;
  /** After a cancel: the journey's last message (the customer's cancellation confirmation) may still go. */
  finishing(): void;
}

export function nothingToDo(message: string): never {
  throw ApplicationFailure.nonRetryable(message, JourneyErrorType.nothingToDo);
}

/**
 * The first try ran out of time: its schedule-to-close timed out, or the server stopped retrying because the next
 * retry would come after it (then the failure is the last attempt's, with retry state TIMEOUT).
 */
const isTimeout = (err: unknown) =>
  err instanceof ActivityFailure && (err.cause instanceof TimeoutFailure || err.retryState === RetryState.TIMEOUT);

/** The error class of the last attempt behind a timed-out try. */
function lastErrorClass(err: unknown): string {
  let last = err instanceof ActivityFailure ? err.cause : undefined;
  if (last instanceof TimeoutFailure) last = last.cause;
  if (last instanceof ApplicationFailure) return last.type ?? 'Error';
  return last ? last.name : 'no answer';
}

/**
 * `tools` (journeys started with operatorTools): stuck marks and their bounded first tries. Journeys from before
 * still get waits an operator can move and sends an operator can retry or skip (no new commands until they act).
 */
export function operations(
  playbook: Playbook,
  state: OrderJourneyState,
  tools: boolean,
  onChange: () => void,
): Operations {
  let cancelled = false;
  let finishing = false;
  let wait: CurrentWait | undefined;
  const sending = new Map<string, InFlight>();
  const stuckAfter = playbook.delivery.stuckAfter ?? DEFAULT_STUCK_AFTER;
  const lifecycleStuckAfter = playbook.delivery.lifecycleStuckAfter ?? DEFAULT_LIFECYCLE_STUCK_AFTER;

  const ops: Operations = {
    get cancelled() {
      return cancelled && !finishing;
    },

    async wait(ms, what, done, markAfter) {
      const started = Date.now();
      const current: CurrentWait = { what, deadline: started + ms, changed: false };
      wait = current;
      let marked = false;
      try {
        for (;;) {
          if (ops.cancelled) throw new FollowUpsCancelled();
          if (done?.()) return true;
          const markAt = markAfter && !marked ? started + markAfter.ms : Infinity;
          const until = Math.min(current.deadline, markAt);
          const remaining = until - Date.now();
          if (remaining > 0) {
            current.changed = false;
            const woke = await condition(() => ops.cancelled || current.changed || !!done?.(), remaining, {
              summary: bounded(until === markAt ? `${what} (then marked held, if it lasts)` : what),
            });
            if (woke) continue;
          }
          if (markAfter && !marked && Date.now() >= markAt) {
            marked = true;
            markAfter.mark();
            continue;
          }
          if (Date.now() >= current.deadline) return !!done?.();
        }
      } finally {
        if (wait === current) wait = undefined;
      }
    },

    async waitFor(done) {
      await condition(() => ops.cancelled || done());
      if (ops.cancelled) throw new FollowUpsCancelled();
    },

    async controlledSend(key, what, send) {
      let startedAt = Date.now();
      let stuck = false;
      for (;;) {
        if (ops.cancelled) throw new FollowUpsCancelled();
        const flight: InFlight = { key, scope: new CancellationScope() };
        sending.set(key, flight);
        const firstTry = tools && !stuck;
        try {
          const elapsed = Date.now() - startedAt;
          // The first try until the stuck mark, the second until the playbook gives up (counted from the start).
          const budget = !tools
            ? undefined
            : firstTry
              ? Math.max(stuckAfter - elapsed, 1000)
              : Math.max(playbook.delivery.giveUpAfter - elapsed, 60_000);
          const result = await flight.scope.run(() => send(budget));
          ops.clear('delivery-failing');
          return result;
        } catch (err) {
          const action = flight.action;
          if (action?.type === 'retry') {
            // A fresh start: the playbook's give-up time counts from now (the provider may have been down for hours).
            startedAt = Date.now();
            stuck = false;
            continue;
          }
          if (action?.type === 'skip') {
            ops.clear('delivery-failing');
            throw new SkippedByOperator(action.reason);
          }
          if (ops.cancelled) throw new FollowUpsCancelled();
          if (firstTry && isTimeout(err) && !isCancellation(err)) {
            stuck = true;
            ops.mark(
              'delivery-failing',
              `${what}: still failing after ${formatDuration(stuckAfter)} (last error: ${lastErrorClass(err)}); retrying until the playbook gives up`,
              `once the provider recovers: \`npm run ops -- retry ${state.orderId}\`; or skip the message: \`npm run ops -- skip ${state.orderId} --reason "…"\``,
              new Date(startedAt + stuckAfter),
            );
            continue;
          }
          ops.clear('delivery-failing');
          throw err;
        } finally {
          if (sending.get(key) === flight) sending.delete(key);
        }
      }
    },

    async lifecycleCall(what, call) {
      if (!tools) return call(undefined);
      try {
        return await call(lifecycleStuckAfter);
      } catch (err) {
        if (!isTimeout(err) || isCancellation(err)) throw err;
      }
      ops.mark(
        'waiting-on-lifecycle',
        `${what}: the customer's lifecycle has not answered for ${formatDuration(lifecycleStuckAfter)}`,
        `look at the customer's lifecycle (workflow \`${customerLifecycleId(state.customerId, tenantOfWorkflowId(workflowInfo().workflowId))}\`) in the Temporal UI: a failing workflow task, or no worker running`,
        new Date(Date.now()),
      );
      try {
        return await call(undefined);
      } finally {
        ops.clear('waiting-on-lifecycle');
      }
    },

    mark(reason, detail, remedy, since = new Date(Date.now())) {
      const mark: StuckMark = { reason, since: since.toISOString(), detail, remedy };
      const same = state.stuck?.reason === reason;
      state.stuck = mark;
      if (!same) {
        countStuck(reason);
        upsertSearchAttributes([
          { key: ORDER_SA.stuck, value: reason },
          { key: ORDER_SA.stuckSince, value: since },
        ]);
      }
      onChange();
    },

    clear(reason) {
      if (state.stuck?.reason !== reason) return;
      delete state.stuck;
      countStuckCleared(reason);
      upsertSearchAttributes([
        { key: ORDER_SA.stuck, value: null },
        { key: ORDER_SA.stuckSince, value: null },
      ]);
      onChange();
    },

    inFlight: () => [...sending.values()],
    currentWait: () => wait,

    finishing() {
      finishing = true;
    },

    cancel(at) {
      cancelled = true;
      state.status = 'cancelled';
      state.cancelledAt = at;
      for (const flight of sending.values()) flight.scope.cancel();
    },
  };
  return ops;
}
