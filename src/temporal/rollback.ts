/**
 * Rolling back a Worker Versioning deploy (docs/workflow-versions.md, "Rolling back a deploy"): journeys the newer
 * build started carry its patch markers, and an older build fails their every workflow task (TMPRL1100) once it is
 * current. So they are pinned to the newer build before the older one is promoted, and unpinned once a build that
 * keeps the newer one's patches is current. Used by `npm run ops -- rollback | unpin` and the promote guard.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ORDER_JOURNEY } from '../workflows/order/contract';
import { describeDeployment, promoteBuild, quoted, versionKey, type DeploymentView } from './versioning';

const PINNED = temporal.api.workflow.v1.VersioningOverride.PinnedOverrideBehavior.PINNED_OVERRIDE_BEHAVIOR_PINNED;
const GRPC_NOT_FOUND = 5;
/** Updates in flight at once: a pass over thousands of journeys, without flooding the frontend. */
const CONCURRENCY = 16;

/**
 * The build `current` became current after `buildId`'s (its versions' creation times): making `buildId` current is
 * a rollback. Undefined when either is unknown or they are the same build (a first promotion, a build not polled
 * yet, a repeat): nothing to guard.
 */
export function newerCurrentBuild(view: DeploymentView | undefined, buildId: string): string | undefined {
  const current = view?.versions.find((v) => v.buildId === view.current);
  const target = view?.versions.find((v) => v.buildId === buildId);
  if (!current?.createdAt || !target?.createdAt || current.buildId === buildId) return undefined;
  return target.createdAt.getTime() < current.createdAt.getTime() ? current.buildId : undefined;
}

/** Running journeys whose last workflow task ran on the version, pinned by an override (`pinned`) or not. */
export function journeysOnVersionQuery(deploymentName: string, buildId: string, pinned: boolean): string {
  return [
    `WorkflowType = ${quoted(ORDER_JOURNEY)}`,
    `ExecutionStatus = 'Running'`,
    `TemporalWorkerDeploymentVersion = ${quoted(versionKey(deploymentName, buildId))}`,
    `TemporalWorkflowVersioningBehavior ${pinned ? '=' : '!='} 'Pinned'`,
  ].join(' AND ');
}

export interface PinPass {
  /** Journeys whose override this pass set (pin) or lifted (unpin). */
  changed: number;
  /** Journeys that ended between the list and the update. */
  ended: number;
  /** Pinned, but a workflow task had already gone to another build (`versionTransition`): it fails there. */
  movedElsewhere: string[];
}

/**
 * One pass over the running journeys on `buildId`: `pin` sets a pinned versioning override to it on those not
 * pinned yet (then they run on it whatever is current), `unpin` lifts the override of those pinned (they follow
 * the current build again). One `updateWorkflowExecutionOptions` per journey rather than a batch operation: each
 * result is known at once (a batch runs later, as a server workflow, one at a time per namespace by default, and is
 * polled for), so the passes around a promotion are as close to it as the visibility store allows. With
 * `checkTransitions`, each pinned journey is described: one whose task already went to another build is reported.
 */
export async function pinPass(
  client: Client,
  deploymentName: string,
  buildId: string,
  action: 'pin' | 'unpin',
  opts: { identity?: string; checkTransitions?: boolean } = {},
): Promise<PinPass> {
  const namespace = client.options.namespace;
  const pass: PinPass = { changed: 0, ended: 0, movedElsewhere: [] };
  const override =
    action === 'pin'
      ? { versioningOverride: { pinned: { behavior: PINNED, version: { deploymentName, buildId } } } }
      : {};
  const update = async (workflowId: string, runId: string) => {
    try {
      await client.workflowService.updateWorkflowExecutionOptions({
        namespace,
        workflowExecution: { workflowId, runId },
        workflowExecutionOptions: override,
        // Without the field in the options, the mask clears the override (unpin).
        updateMask: { paths: ['versioning_override'] },
        ...(opts.identity ? { identity: opts.identity } : {}),
      });
    } catch (err) {
      if ((err as { code?: number } | null)?.code !== GRPC_NOT_FOUND) throw err;
      pass.ended += 1;
      return;
    }
    pass.changed += 1;
    if (!opts.checkTransitions) return;
    const { workflowExecutionInfo } = await client.workflowService.describeWorkflowExecution({
      namespace,
      execution: { workflowId, runId },
    });
    const movingTo = workflowExecutionInfo?.versioningInfo?.versionTransition?.deploymentVersion?.buildId;
    if (movingTo && movingTo !== buildId) pass.movedElsewhere.push(workflowId);
  };
  const inFlight = new Set<Promise<void>>();
  const query = journeysOnVersionQuery(deploymentName, buildId, action === 'unpin');
  for await (const run of client.workflow.list({ query })) {
    const p: Promise<void> = update(run.workflowId, run.runId).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= CONCURRENCY) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return pass;
}

export interface RollbackReport {
  /** The build rolled back to, now current. */
  current: string;
  /** The build rolled back from: what is pinned to it needs its workers until they are unpinned. */
  draining: string;
  /** Journeys pinned before the promotion (all passes). */
  pinnedBefore: number;
  /** Journeys pinned after it: started on `draining` just before it. */
  pinnedAfter: number;
  /** Journeys whose task reached `current` before their pin: they fail there until `draining` is current again. */
  failing: string[];
}

/**
 * Makes the older `buildId` current without breaking the journeys the current build started: pins them to it,
 * repeats the pass until one finds (almost) nothing new, so the promotion follows the last pass closely, promotes
 * `buildId`, then pins the journeys that started in between and checks whether any of them was too late.
 */
export async function rollbackTo(
  client: Client,
  deploymentName: string,
  buildId: string,
  opts: {
    identity?: string;
    promoteTimeoutMs?: number;
    /** After each pass (progress; tests start a journey in the gap). */
    onPass?: (what: string, pass: PinPass) => void | Promise<void>;
  } = {},
): Promise<RollbackReport> {
  const namespace = client.options.namespace;
  const view = await describeDeployment(client, namespace, deploymentName);
  const from = view?.current;
  if (!from) throw new Error(`deployment "${deploymentName}" has no current build: nothing to roll back`);
  if (from === buildId) throw new Error(`${buildId} is already the current build of "${deploymentName}"`);
  if (!view.versions.some((v) => v.buildId === buildId)) {
    throw new Error(`no worker of build ${buildId} has polled "${deploymentName}": start its workers first`);
  }
  const pin = async (what: string, checkTransitions = false) => {
    const pass = await pinPass(client, deploymentName, from, 'pin', { ...opts, checkTransitions });
    await opts.onPass?.(what, pass);
    return pass;
  };
  let pinnedBefore = 0;
  // Up to 5 passes: journeys keep starting on `from` while a long first pass runs.
  for (let i = 0; i < 5; i++) {
    const pass = await pin(`pass ${i + 1} before the promotion`);
    pinnedBefore += pass.changed;
    if (pass.changed <= 1 && i > 0) break;
  }
  await promoteBuild(client, namespace, deploymentName, buildId, {
    ...(opts.identity ? { identity: opts.identity } : {}),
    timeoutMs: opts.promoteTimeoutMs ?? 120_000,
  });
  // At once, then again once the visibility store has seen the journeys started last on `from`.
  const after = await pin('pass after the promotion', true);
  await sleep(2000);
  const late = await pin('last pass', true);
  return {
    current: buildId,
    draining: from,
    pinnedBefore,
    pinnedAfter: after.changed + late.changed,
    failing: [...after.movedElsewhere, ...late.movedElsewhere],
  };
}
