/**
 * Where an order's journey is, read from its description (not billed: no query, no update): missing, running at a
 * stage (the journey's AftercareStage search attribute, which it moves with the stage), or closed. The connector
 * acts only on what that leaves to do, so an order seen again (a replayed webhook, every reconciliation) costs
 * nothing in Temporal.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ORDER_SA, orderJourneyId } from '../../workflows/order/contract';

export type JourneyAt =
  | { state: 'missing' }
  /** `stage` is absent for a journey that does not show one (never, today). */
  | { state: 'running'; stage?: string }
  | { state: 'closed'; status: string };

export interface JourneyLookup {
  find(orderId: string): Promise<JourneyAt>;
}

export function journeyLookup(client: Client, tenant?: string): JourneyLookup {
  return {
    async find(orderId) {
      try {
        const d = await client.workflow.getHandle(orderJourneyId(orderId, tenant)).describe();
        if (d.status.name !== 'RUNNING') return { state: 'closed', status: d.status.name };
        const stage = d.typedSearchAttributes.get(ORDER_SA.stage);
        return stage ? { state: 'running', stage } : { state: 'running' };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return { state: 'missing' };
        throw err;
      }
    },
  };
}
