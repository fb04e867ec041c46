/**
 * What an operator sees of a journey in the Temporal UI: current details that lead with what it
 * waits for, and the search attributes they filter on (upserted only when they change: each upsert
 * is a billed action). Workflow code: deterministic.
 */
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { ORDER_SA, type Order, type OrderJourneyState } from './contract';
import { DETAILS_MAX_BYTES, fitBytes } from '../../lib/bounded-text';

export interface OperatorView {
  /** Shows what the journey waits for (`waitingFor` is the search attribute value) and until when. */
  show(waitingFor: string, what: string, until?: Date): void;
  /** Shows the current details again (the stuck mark changed); no search attribute moves. */
  refresh(): void;
  /** Counts a message nobody could be sent (AftercareDeliveryFailures). */
  countDeliveryFailure(): void;
}

/** Timed waits an operator filters lean journeys on; other waits (a delivery, a timer) show in the details only. */
const FILTERED_WAITS = new Set(['survey-answer', 'warranty', 'quiet-hours', 'frequency-cap']);

/**
 * `lean`: search attributes move only when the stage does or a wait an operator filters on begins (the starter
 * set them for the first stage, for free). Journeys started before keep upserting on every change.
 */
export function operatorView(
  order: Order,
  state: OrderJourneyState,
  queued: () => number,
  lean = false,
  /** Journeys with operator tools also stamp when a message last failed ("delivery failures today"). */
  tools = false,
): OperatorView {
  let shownStage = lean ? state.stage : '';
  let shownWaiting = lean ? 'stage-update' : '';
  let shownUntil: string | undefined;
  let deliveryFailures = 0;
  let lastShown: { what: string; until?: Date } = { what: 'its first step' };

  const details = () => {
    const { what, until } = lastShown;
    const sent = state.messages.filter((m) => m.status === 'sent').length;
    const failed = state.messages.filter((m) => m.status === 'failed').length;
    const skipped = state.messages.filter((m) => m.status === 'skipped');
    const position = state.stages.indexOf(state.stage) + 1;
    const queue = queued();
    const { stuck } = state;
    const statusNote = state.status === 'active' ? '' : ` · ${state.status}`;
    setCurrentDetails(
      fitBytes(
        [
          // What it waits for, and until when, first: that is what an operator opens a journey to learn.
          `**Waiting for** ${what}${until ? ` until ${until.toISOString()}` : ''}`,
          ...(stuck
            ? [`**Stuck** (${stuck.reason}) since ${stuck.since}: ${stuck.detail}`, `**What to do** ${stuck.remedy}`]
            : []),
          `**Order** ${order.orderId} · **customer** ${order.customer.id}`,
          `**Stage** ${state.stage} (${position}/${state.stages.length})${statusNote}`,
          `**Messages** ${sent} sent, ${failed} failed${queue ? `, ${queue} queued` : ''}`,
          ...(skipped.length ? [`**Not sent** ${skipped.map((m) => `${m.key}: ${m.reason ?? ''}`).join('; ')}`] : []),
        ].join('\n\n'),
        DETAILS_MAX_BYTES,
      ),
    );
  };

  return {
    refresh: details,
    show(waitingFor, what, until) {
      state.next = { what, ...(until ? { until: until.toISOString() } : {}) };
      lastShown = { what, ...(until ? { until } : {}) };
      details();
      const untilIso = until?.toISOString();
      if (lean) {
        // The stage moved (the wait is then the next stage, or the follow-ups), a filtered wait began, or one ended.
        let phase: string;
        if (state.stage !== shownStage) phase = state.status === 'completed' ? 'follow-ups' : 'stage-update';
        else if (FILTERED_WAITS.has(waitingFor) && until && until.getTime() > Date.now()) phase = waitingFor;
        else if (FILTERED_WAITS.has(shownWaiting)) phase = 'follow-ups';
        else return;
        if (phase === shownWaiting && state.stage === shownStage) return;
        upsertSearchAttributes([
          { key: ORDER_SA.stage, value: state.stage },
          { key: ORDER_SA.waitingFor, value: phase },
          { key: ORDER_SA.nextActionAt, value: phase === waitingFor ? (until ?? null) : null },
        ]);
        shownStage = state.stage;
        shownWaiting = phase;
        return;
      }
      if (shownStage !== state.stage || shownWaiting !== waitingFor || shownUntil !== untilIso) {
        upsertSearchAttributes([
          { key: ORDER_SA.stage, value: state.stage },
          { key: ORDER_SA.waitingFor, value: waitingFor },
          { key: ORDER_SA.nextActionAt, value: until ?? null },
        ]);
        shownStage = state.stage;
        shownWaiting = waitingFor;
        shownUntil = untilIso;
      }
    },
    countDeliveryFailure() {
      deliveryFailures += 1;
      upsertSearchAttributes([
        { key: ORDER_SA.deliveryFailures, value: deliveryFailures },
        ...(tools ? [{ key: ORDER_SA.lastFailureAt, value: new Date(Date.now()) }] : []),
      ]);
    },
  };
}
