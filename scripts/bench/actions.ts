/**
 * Billable Temporal Actions read from a workflow's history, by Temporal Cloud's rules
 * (docs.temporal.io/evaluate/cloud/actions): a start (a signal-with-start or a continue-as-new is
 * one), each activity scheduled plus each retry, each timer, each signal and each accepted update
 * received, each search-attribute upsert (but those that only set TemporalChangeVersion, i.e.
 * patch markers), a child start counts two, and every workflow task that records markers (a patch's
 * marker: the server counts `command_BatchMarkers`) one. What history cannot show is left out and said so:
 * rejected updates, queries and heartbeats (the bench sends no queries while it counts).
 */
import { temporal } from '@temporalio/proto';

const T = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface ActionCount {
  total: number;
  byKind: Record<string, number>;
  events: number;
}

export function countActions(events: HistoryEvent[]): ActionCount {
  const byKind: Record<string, number> = {};
  const add = (kind: string, n = 1) => (byKind[kind] = (byKind[kind] ?? 0) + n);
  const markerTasks = new Set<string>();
  for (const [i, e] of events.entries()) {
    switch (e.eventType) {
      case T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        // A run continued as new was paid for by the continue-as-new of the run before.
        if (!e.workflowExecutionStartedEventAttributes?.continuedExecutionRunId) add('start');
        break;
      case T.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        add('continue-as-new');
        break;
      case T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        add(`activity:${e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?'}`);
        break;
      case T.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const retries = (e.activityTaskStartedEventAttributes?.attempt ?? 1) - 1;
        if (retries > 0) add('activity retry', retries);
        break;
      }
      case T.EVENT_TYPE_TIMER_STARTED:
        add('timer');
        break;
      case T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
        // Signal-with-start writes Started then Signaled: one Action for both.
        const withStart = i === 1 && events[0]?.eventType === T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED;
        if (!withStart) add(`signal:${e.workflowExecutionSignaledEventAttributes?.signalName ?? '?'}`);
        break;
      }
      case T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        add(`update:${e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ?? '?'}`);
        break;
      case T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const fields = Object.keys(
          e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {},
        );
        if (fields.some((f) => f !== 'TemporalChangeVersion')) add('search-attribute upsert');
        break;
      }
      case T.EVENT_TYPE_MARKER_RECORDED: {
        const task = String(e.markerRecordedEventAttributes?.workflowTaskCompletedEventId ?? i);
        if (!markerTasks.has(task)) {
          markerTasks.add(task);
          add('marker batch (patches)');
        }
        break;
      }
      case T.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        add('child start', 2);
        break;
      default:
        break;
    }
  }
  const total = Object.values(byKind).reduce((a, b) => a + b, 0);
  return { total, byKind, events: events.length };
}

/** Adds counts (a customer's lifecycle over its runs, or several orders). */
export function sumCounts(counts: ActionCount[]): ActionCount {
  const byKind: Record<string, number> = {};
  for (const c of counts) for (const [k, n] of Object.entries(c.byKind)) byKind[k] = (byKind[k] ?? 0) + n;
  return {
    total: counts.reduce((a, c) => a + c.total, 0),
    byKind,
    events: counts.reduce((a, c) => a + c.events, 0),
  };
}
