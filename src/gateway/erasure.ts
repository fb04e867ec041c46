import { isGrpcServiceError, type Client } from '@temporalio/client';
import { withinTenant } from '../workflows/tenant';
import { CUSTOMER_SA, customerLifecycleId } from '../workflows/customer/contract';
import { flushCountsUpdate, ORDER_SA } from '../workflows/order/contract';
import type { ErasureView } from '../schemas/views';

/** Where sent messages are kept besides Temporal (the dev outbox): purged for the erased workflows. */
export interface MessageStore {
  purgeWorkflows(workflowIds: ReadonlySet<string>): Promise<number>;
}

/**
 * What an erasure removed (the response schema's type): the orders whose journeys were deleted, the runs of the
 * customer's lifecycle, the outbox messages, and whether visibility no longer lists anything for the customer
 * when it answered. Repeating it removes nothing more and says so.
 */
export type ErasureResult = ErasureView;

/** gRPC's NOT_FOUND (a run already deleted). */
const GRPC_NOT_FOUND = 5;
const ROUNDS = 5;
const VISIBILITY_WAIT_MS = 15_000;

/**
 * The right to erasure (GDPR art. 17): every workflow execution of the customer (their order journeys and
 * every run of their lifecycle) is deleted from Temporal, which stops the running ones first, and their
 * messages leave the outbox. What stays are the follow-up counts, which hold no ids (see recordStatWith).
 */
export class ErasureGateway {
  constructor(
    private readonly client: Client,
    private readonly messages?: MessageStore,
    /** Whose customers these are (undefined: the default tenant): another tenant's same customer id is not touched. */
    private readonly tenant?: string,
    /** Other tenants share the namespace: the default tenant's look-ups keep to its own workflows too. */
    private readonly othersShare = false,
  ) {}

  /**
   * `awaitVisibility: false` answers once every deletion is accepted (durable in Temporal) without waiting up to
   * VISIBILITY_WAIT_MS for search to forget them: for a shop's redact webhook, answered within the shop's 5 s.
   */
  async erase(customerId: string, opts: { awaitVisibility?: boolean } = {}): Promise<ErasureResult> {
    const deleted = new Map<string, { workflowId: string; orderId?: string; lifecycle: boolean }>();
    // A journey mid-step may start the lifecycle again as we delete it: go round until nothing new appears.
    for (let round = 0; round < ROUNDS; round++) {
      const found = (await this.executionsOf(customerId)).filter((e) => !deleted.has(e.runId));
      if (found.length === 0) break;
      // Journeys first: a deleted lifecycle is not asked for a permit by one of its journeys again.
      found.sort((a, b) => Number(a.lifecycle) - Number(b.lifecycle));
      // Counts a journey still holds go to the stats first: they are anonymous, and they stay.
      await Promise.all(found.filter((e) => e.running && !e.lifecycle).map((e) => this.flushCounts(e.workflowId)));
      for (const e of found) {
        await this.deleteRun(e.workflowId, e.runId);
        deleted.set(e.runId, e);
      }
    }
    const workflowIds = new Set([...deleted.values()].map((e) => e.workflowId));
    const outboxRecords = this.messages && workflowIds.size ? await this.messages.purgeWorkflows(workflowIds) : 0;
    return {
      customerId,
      orders: [...new Set([...deleted.values()].flatMap((e) => (e.orderId ? [e.orderId] : [])))].sort(),
      lifecycleRuns: [...deleted.values()].filter((e) => e.lifecycle).length,
      outboxRecords,
      visibilityCleared: opts.awaitVisibility === false ? false : await this.visibilityCleared(customerId),
    };
  }

  /** Every run, open or closed, found by the customer id (journeys carry it too) or the lifecycle's id. */
  private async executionsOf(customerId: string) {
    const quoted = JSON.stringify(customerId);
    const lifecycleId = customerLifecycleId(customerId, this.tenant);
    const query = `(${withinTenant(`${CUSTOMER_SA.customerId.name} = ${quoted}`, this.tenant, this.othersShare)}) OR WorkflowId = ${JSON.stringify(lifecycleId)}`;
    const out: { workflowId: string; runId: string; running: boolean; orderId?: string; lifecycle: boolean }[] = [];
    for await (const wf of this.client.workflow.list({ query, pageSize: 200 })) {
      const orderId = wf.typedSearchAttributes.get(ORDER_SA.orderId);
      out.push({
        workflowId: wf.workflowId,
        runId: wf.runId,
        running: wf.status.name === 'RUNNING',
        ...(orderId ? { orderId } : {}),
        lifecycle: wf.workflowId === lifecycleId,
      });
    }
    return out;
  }

  /** Asks a running journey to send the counts it holds (a journey that cannot, e.g. an older one, is skipped). */
  private async flushCounts(workflowId: string): Promise<void> {
    try {
      await this.client.withDeadline(Date.now() + 5_000, () =>
        this.client.workflow.getHandle(workflowId).executeUpdate(flushCountsUpdate),
      );
    } catch {
      // Nothing to keep, or it cannot tell us: the erasure goes on.
    }
  }

  /** Deletes one run (terminating it first if it runs); one already gone is fine. */
  private async deleteRun(workflowId: string, runId: string): Promise<void> {
    try {
      await this.client.workflowService.deleteWorkflowExecution({
        namespace: this.client.options.namespace,
        workflowExecution: { workflowId, runId },
      });
    } catch (err) {
      if (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND) return;
      throw err;
    }
  }

  /** Deletion is asynchronous in Temporal: waits a little for visibility to forget the customer. */
  private async visibilityCleared(customerId: string): Promise<boolean> {
    const deadline = Date.now() + VISIBILITY_WAIT_MS;
    for (;;) {
      if ((await this.executionsOf(customerId)).length === 0) return true;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
