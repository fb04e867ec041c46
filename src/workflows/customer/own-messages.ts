/**
 * The lifecycle's own messages (tier news, win-back): its consent rules decide locally, no round trip, and
 * they go through the same delivery loop as a journey's. Workflow code: deterministic.
 */
import { sleep } from '@temporalio/workflow';
import { summary } from '../../lib/bounded-text';
import { PURPOSE_OF } from '../../messages/kinds';
import type { MessageRecord } from '../delivery/contract';
import { deliver, type Deliverer, type Outgoing } from '../delivery/deliver';
import { applyCustomerEvent } from './consent';
import type { Lifecycle } from './context';
import { pushSnapshots } from './journeys';
import { decidePermit } from './permit';
import { withPersonal } from './personal';

const MAX_MESSAGES = 50;

export async function deliverOwn(l: Lifecycle, message: Outgoing): Promise<MessageRecord> {
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
      withPersonal(
        state,
        decidePermit(state.consent, state.profile!, request, state.rules!, Date.now(), {
          profileKeys: state.profileKeys,
        }),
      ),
    waitReason: (permit) => `${permit.reason} until ${permit.until}`,
    waitUntil: async (_waitingFor, what, untilIso) => {
      const ms = Date.parse(untilIso) - Date.now();
      if (ms > 0) await sleep(ms, { summary: summary(what) });
    },
    problemSource: (message) => `lifecycle:${message.key}`,
    reportProblem: (event, address) => {
      applyCustomerEvent(state.consent, address.key ? { ...event, contactKey: address.key } : event, state.profileKeys);
      if (l.lean) void pushSnapshots(l);
    },
    offersTelegramLink: false,
    byProvider: l.lean,
    // Lean lifecycles count their own messages in the batch the main loop sends; others in an activity each.
    ...(l.lean
      ? {
          count: ({ kind, key, variant }: { kind: string; key: string; variant?: string }) =>
            l.stats.push({ kind, metric: 'sent', eventId: key, ...(variant ? { variant } : {}) }),
        }
      : {}),
    now: l.now,
  };
  return deliver(deliverer, message);
}
