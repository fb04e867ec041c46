/**
 * Ready-made Temporal UI list links for operators: a visibility query in the URL. Printed in the `npm start`
 * banner and by `npm run ops -- links`, and kept in docs/operators.md.
 */
import { STUCK_JOURNEYS_QUERY } from '../gateway/stuck';
import { CUSTOMER_LIFECYCLE, CUSTOMER_SA } from '../workflows/customer/contract';
import { ORDER_JOURNEY, ORDER_SA } from '../workflows/order/contract';

const running = (type: string) => `WorkflowType = "${type}" AND ExecutionStatus = "Running"`;

/** The queries, by name; "delivery failures today" takes the start of today (UTC). */
export function listQueries(now: Date): Record<string, { title: string; query: string }> {
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())).toISOString();
  return {
    stuck: {
      title: 'stuck journeys',
      query: STUCK_JOURNEYS_QUERY,
    },
    survey: {
      title: 'waiting for a survey answer',
      query: `${ORDER_SA.waitingFor.name} = "survey-answer" AND ${running(ORDER_JOURNEY)}`,
    },
    vip: {
      title: 'VIP customers',
      query: `${CUSTOMER_SA.segment.name} = "vip" AND ${running(CUSTOMER_LIFECYCLE)}`,
    },
    failures: {
      title: 'delivery failures today',
      query: `WorkflowType = "${ORDER_JOURNEY}" AND ${ORDER_SA.lastFailureAt.name} >= "${today}"`,
    },
  };
}

export const listUrl = (uiBase: string, namespace: string, query: string) =>
  `${uiBase}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}`;

export function listLinks(uiBase: string, namespace: string, now: Date): { title: string; url: string }[] {
  return Object.values(listQueries(now)).map(({ title, query }) => ({ title, url: listUrl(uiBase, namespace, query) }));
}
