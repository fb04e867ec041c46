/**
 * The operator's actions on one journey, as Updates with descriptions (the Temporal UI offers them with their
 * input; the API and `npm run ops` call the same ones). Validators reject an action with nothing to act on before it
 * reaches history; each accepted action is kept in the journey's events. Workflow code: deterministic.
 */
import { setHandler } from '@temporalio/workflow';
import { summary as bounded } from '../../lib/bounded-text';
import type { MessageRecord } from '../delivery/contract';
import { FollowUpsCancelled, type Outgoing } from '../delivery/deliver';
import {
  cancelFollowUpsUpdate,
  changeWaitUpdate,
  resendMessageUpdate,
  retryMessageUpdate,
  skipMessageUpdate,
  type OperatorAction,
  type OperatorActionResult,
  type OrderJourneyState,
} from './contract';
import { countOperatorAction } from '../metrics';
import { nothingToDo, type Operations } from './operations';

const REASON_MAX = 300;

interface Deps {
  orderId: string;
  state: OrderJourneyState;
  ops: Operations;
  /** Messages the journey handed to delivery, by key: what a re-send sends again. */
  sent: Map<string, Outgoing>;
  deliver(message: Outgoing): Promise<MessageRecord>;
  now(): string;
}

export function handleOperatorActions(d: Deps): void {
  const { state, ops, orderId } = d;
  const audit = (
    action: OperatorAction,
    reason: string,
    outcome: string,
    messageKey?: string,
    by?: string,
  ): OperatorActionResult => {
    countOperatorAction(action);
    state.events.push({
      type: 'operator',
      action,
      reason: bounded(reason).slice(0, REASON_MAX),
      ...(by?.trim() ? { by: bounded(by).slice(0, 100) } : {}),
      ...(messageKey ? { messageKey } : {}),
      outcome,
      at: d.now(),
    });
    return { action, outcome, ...(messageKey ? { messageKey } : {}) };
  };
  const requireOpen = () => {
    if (state.status === 'cancelled')
      nothingToDo(`order ${orderId}'s follow-ups were cancelled at ${state.cancelledAt}`);
  };
  const requireSending = () => {
    requireOpen();
    const flight = ops.inFlight()[0];
    if (!flight) {
      nothingToDo(
        `order ${orderId} is sending nothing now (${state.next ? `it waits for ${state.next.what}` : 'it is done'}); nothing to retry or skip`,
      );
    }
    return flight;
  };

  setHandler(
    retryMessageUpdate,
    ({ reason, by }) => {
      const flight = requireSending();
      flight.action = { type: 'retry' };
      flight.scope.cancel();
      return audit(
        'retry',
        reason ?? 'retry now',
        `${flight.key}: tried again now, with the same idempotency key`,
        flight.key,
        by,
      );
    },
    {
      description:
        'Retry the message being sent now, instead of waiting for the next retry (after a provider outage). Same idempotency key: never a second copy.',
      validator: (_input) => {
        requireSending();
      },
    },
  );

  setHandler(
    skipMessageUpdate,
    ({ reason, by }) => {
      const flight = requireSending();
      flight.action = { type: 'skip', reason: `skipped by an operator: ${reason}` };
      flight.scope.cancel();
      return audit('skip', reason, `${flight.key}: skipped; the journey goes on`, flight.key, by);
    },
    {
      description:
        'Skip the message being sent (recorded as skipped by an operator, with the reason); the journey goes on.',
      validator: ({ reason }) => {
        requireSending();
        if (!reason?.trim()) nothingToDo('say why the message is skipped (reason)');
      },
    },
  );

  setHandler(
    resendMessageUpdate,
    async ({ messageKey, reason, by }) => {
      const original = d.sent.get(messageKey)!;
      const copies = state.messages.filter((m) => m.key.startsWith(`${messageKey}~resend-`)).length;
      const key = `${messageKey}~resend-${copies + 1}`;
      const entry = audit('resend', reason, `re-sending as ${key} (a new idempotency key)`, messageKey, by);
      try {
        const record = await d.deliver({ ...original, key } as Outgoing);
        return {
          ...entry,
          outcome: `re-sent as ${key}: ${record.status}${record.reason ? ` (${record.reason})` : ''}`,
        };
      } catch (err) {
        // An error escaping an update handler would fail the workflow task; the cancel that caused it is recorded.
        if (err instanceof FollowUpsCancelled)
          return { ...entry, outcome: `${key}: not sent, the follow-ups were cancelled` };
        throw err;
      }
    },
    {
      description:
        "Send a message again, deliberately, under a new idempotency key (the customer's consent still applies). Give the message's key, e.g. status-shipped.",
      validator: ({ messageKey, reason }) => {
        requireOpen();
        if (!reason?.trim()) nothingToDo('say why the message is sent again (reason)');
        const record = state.messages.find((m) => m.key === messageKey);
        if (!record || !d.sent.has(messageKey)) {
          const keys = state.messages.filter((m) => m.status === 'sent').map((m) => m.key);
          nothingToDo(`order ${orderId} has no message "${messageKey}"; sent ones: ${keys.join(', ') || 'none'}`);
        }
        if (record.status !== 'sent' && record.status !== 'failed') {
          nothingToDo(`message "${messageKey}" is ${record.status}, not sent or failed; retry or skip it instead`);
        }
      },
    },
  );

  setHandler(
    changeWaitUpdate,
    ({ until, byMs, reason, by }) => {
      const wait = ops.currentWait()!;
      wait.deadline = until ? Date.parse(until) : wait.deadline + byMs!;
      wait.changed = true;
      const when = new Date(Math.max(wait.deadline, Date.now())).toISOString();
      return audit('change-wait', reason, `${wait.what}: now ends at ${when}`, undefined, by);
    },
    {
      description:
        'Move the end of the current timed wait (the thank-you, survey, offer, warranty check-in, a hold): to a time (until, ISO 8601), or by a number of milliseconds (byMs, negative to shorten). A time already past ends it now.',
      validator: ({ until, byMs, reason }) => {
        requireOpen();
        if (!reason?.trim()) nothingToDo('say why the wait changes (reason)');
        if ((until === undefined) === (byMs === undefined)) nothingToDo('give either until (ISO 8601) or byMs');
        if (until !== undefined && Number.isNaN(Date.parse(until))) nothingToDo(`until "${until}" is not a date`);
        if (byMs !== undefined && !Number.isFinite(byMs)) nothingToDo('byMs must be a number of milliseconds');
        if (!ops.currentWait()) {
          nothingToDo(
            `order ${orderId} is in no timed wait now (${state.next ? `it waits for ${state.next.what}` : 'it is done'})`,
          );
        }
      },
    },
  );

  setHandler(
    cancelFollowUpsUpdate,
    ({ reason, by }) => {
      const remaining = state.followUps.filter((f) => f.status === 'scheduled').map((f) => f.key);
      ops.cancel(d.now());
      return audit(
        'cancel',
        reason,
        `cancelled: nothing more is sent for this order${remaining.length ? ` (not sent: ${remaining.join(', ')})` : ''}; the record stays`,
        undefined,
        by,
      );
    },
    {
      description:
        "Cancel the order's remaining messages and follow-ups (an order that will never move, a customer who asked); the journey ends and keeps its record.",
      validator: ({ reason }) => {
        requireOpen();
        if (!reason?.trim()) nothingToDo('say why the follow-ups are cancelled (reason)');
        if (state.next === null && state.status === 'completed')
          nothingToDo(`order ${orderId}'s journey is already done`);
      },
    },
  );
}
