/**
 * Counting what a journey's follow-ups did (sent, answered, converted). Journeys started before lean
 * journeys count each event in its own activity, as they did; lean journeys keep their counts and send
 * them in one batch to a stats shard, before a wait of a day or more and at their end: counts may lag
 * a while, they are never lost or doubled (each event has its id). Workflow code: deterministic.
 */
import { uuid4 } from '@temporalio/workflow';
import { bookkeeping } from '../activity-options';
import { anonymousStatId, type StatEvent } from '../stats/contract';
import { sendCounts } from '../stats/send-counts';

export interface Counter {
  count(event: Omit<StatEvent, 'at' | 'eventId'> & { key: string }): void | Promise<void>;
  flush(): Promise<void>;
}

/** Each event counted in an activity of its own (legacy journeys; the ids name the workflow, hashed on the way). */
export function countEach(workflowId: string): Counter {
  return {
    count: ({ key, ...event }) => bookkeeping.recordStat({ ...event, eventId: `${workflowId}/${key}` }),
    flush: async () => {},
  };
}

/** Counts kept and sent in batches to this journey's shard; a shard not running yet is started by an activity. */
export function countInBatches(now: () => string): Counter {
  // Event ids that name no order: a random id of this journey (deterministic in replay), then the event.
  const anonymous = uuid4();
  let pending: StatEvent[] = [];
  return {
    count: ({ key, ...event }) => {
      pending.push({ ...event, eventId: anonymousStatId(anonymous, key), at: now() });
    },
    flush: async () => {
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      await sendCounts(batch);
    },
  };
}
