/**
 * Worker Versioning for the customer lifecycle (docs/workflow-versions.md). A lifecycle is pinned to the build
 * that started its run, so a run never meets code it did not start with; it moves to a newer build by continuing
 * as new. The server says when there is one: `targetWorkerDeploymentVersionChanged` is true in the workflow tasks
 * of a pinned run once another version is current (always false for unversioned workers, and in recorded
 * histories). Workflow code: deterministic.
 */
import { continueAsNew, defineSignal, makeContinueAsNewFunc, setHandler, workflowInfo } from '@temporalio/workflow';
import type { CustomerLifecycleInput } from './contract';

/**
 * Wakes an idle lifecycle (`npm run ops -- upgrade-lifecycles`): one workflow task, where the server tells a
 * run pinned to an older build that a newer one is current, and the run continues as new onto it. The handler
 * does nothing, so it adds no command; the signal is the only Action besides the continue-as-new itself.
 */
export const wakeForUpgradeSignal = defineSignal('wakeForUpgrade');

export function handleUpgradeWake(): void {
  setHandler(wakeForUpgradeSignal, () => undefined);
}

/** A newer build is current than the one this run is pinned to: time to continue as new. */
export function newerBuildIsCurrent(): boolean {
  return workflowInfo().targetWorkerDeploymentVersionChanged;
}

/**
 * Continues as new: onto the current build when a newer one is (the new run starts unpinned, then pins itself to
 * that build at its first task), otherwise as always (a versioned run stays on its build).
 */
export function continueLifecycleAsNew(input: CustomerLifecycleInput): Promise<never> {
  if (!newerBuildIsCurrent()) return continueAsNew<(input: CustomerLifecycleInput) => Promise<void>>(input);
  const toCurrentBuild = makeContinueAsNewFunc<(input: CustomerLifecycleInput) => Promise<void>>({
    initialVersioningBehavior: 'AUTO_UPGRADE',
  });
  return toCurrentBuild(input);
}
