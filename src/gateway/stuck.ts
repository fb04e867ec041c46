import type { Client } from '@temporalio/client';
import { ORDER_SA, STUCK_REASONS, type StuckReason } from '../workflows/order/contract';

/** The journey workflow's type, as visibility knows it (its export name in `workflows/index.ts`). */
const JOURNEY_TYPE = 'orderJourney';

/**
 * How many running journeys are stuck, by reason, from Temporal's visibility (the journeys keep their own
 * `AftercareStuck` search attribute; nothing polls them). One count per reason: visibility counts group by
 * execution status only. Scoped to this deployment's task queue, like the stats.
 */
export class StuckGateway {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  async count(): Promise<Record<StuckReason, number>> {
    const counts = await Promise.all(
      STUCK_REASONS.map(
        async (reason) =>
          [reason, (await this.client.workflow.count(stuckQuery(this.taskQueue, reason))).count] as const,
      ),
    );
    return Object.fromEntries(counts) as Record<StuckReason, number>;
  }
}

/** Every running journey that is stuck, whatever the reason: the operators' list, the ops command, the API. */
export const STUCK_JOURNEYS_QUERY = `${ORDER_SA.stuck.name} IS NOT NULL AND WorkflowType = "${JOURNEY_TYPE}" AND ExecutionStatus = "Running"`;

/** The visibility query for running journeys stuck for `reason` (the operators' filter in the Temporal UI too). */
export function stuckQuery(taskQueue: string, reason: StuckReason): string {
  const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return [
    `WorkflowType = ${quote(JOURNEY_TYPE)}`,
    `ExecutionStatus = 'Running'`,
    `TaskQueue = ${quote(taskQueue)}`,
    `${ORDER_SA.stuck.name} = ${quote(reason)}`,
  ].join(' AND ');
}
