/**
 * `npm run ops -- versions | promote <buildId> | upgrade-lifecycles`: Worker Versioning for operators
 * (docs/workflow-versions.md, "Worker Versioning: deploying a new build").
 */
import type { Client } from '@temporalio/client';
import {
  countPinned,
  describeDeployment,
  promoteBuild,
  upgradeLifecycles,
  type DeploymentView,
} from '../temporal/versioning';
import { localBuildId } from '../temporal/workflow-build';

export const VERSION_COMMANDS = ['versions', 'promote', 'upgrade-lifecycles'] as const;
export type VersionCommand = (typeof VERSION_COMMANDS)[number];

export const isVersionCommand = (command: string): command is VersionCommand =>
  (VERSION_COMMANDS as readonly string[]).includes(command);

export interface VersionCommandContext {
  client: Client;
  namespace: string;
  /** AFTERCARE_DEPLOYMENT_NAME, or --deployment. */
  deploymentName: string;
  /** The build id to promote (the positional argument); absent: this checkout's (AFTERCARE_BUILD_ID or its bundle's). */
  buildId: string | undefined;
  /** AFTERCARE_BUILD_ID. */
  configuredBuildId: string | undefined;
  perSecond: number | undefined;
  dryRun: boolean;
  identity: string;
  print: (value: unknown, text: () => string) => void;
}

export async function runVersionCommand(command: VersionCommand, ctx: VersionCommandContext): Promise<number> {
  const { client, namespace, print } = ctx;
  const deploymentName = ctx.deploymentName;
  if (command === 'versions') {
    const view = await describeDeployment(client, namespace, deploymentName);
    if (!view) {
      print(null, () => `No worker of deployment "${deploymentName}" has polled yet.`);
      return 1;
    }
    // What keeps each older version's workers needed: its running pinned workflows (lifecycles).
    const pinned: Record<string, number> = {};
    for (const v of view.versions) {
      if (v.buildId !== view.current) pinned[v.buildId] = await countPinned(client, deploymentName, v.buildId);
    }
    print({ ...view, pinned }, () => describeVersions(view, pinned));
    return 0;
  }
  if (command === 'promote') {
    // Bundling takes seconds: only when no build id is given (the workers of this checkout are promoted).
    const buildId = ctx.buildId ?? (await localBuildId(ctx.configuredBuildId));
    // New workers bundle and connect before they poll: up to two minutes for the version to appear.
    const { previousBuildId } = await promoteBuild(client, namespace, deploymentName, buildId, {
      identity: ctx.identity,
      timeoutMs: 120_000,
    });
    print({ current: buildId, previousBuildId }, () =>
      [
        `${buildId} is the current build of "${deploymentName}"${previousBuildId ? ` (was ${previousBuildId})` : ''}.`,
        'New journeys and lifecycles start on it; running journeys move to it at their next task; lifecycles move at',
        'their next task too, or now with `npm run ops -- upgrade-lifecycles`.',
      ].join('\n'),
    );
    return 0;
  }
  const report = await upgradeLifecycles(client, deploymentName, {
    ...(ctx.perSecond ? { perSecond: ctx.perSecond } : {}),
    dryRun: ctx.dryRun,
  });
  print(report, () =>
    ctx.dryRun
      ? `${report.pending} lifecycle(s) pinned to an older build than ${report.current}; up to ${4 * (report.pending ?? 0)} Actions to move them now (4 each).`
      : `Woke ${report.woken} lifecycle(s) pinned to an older build: each continues as new onto ${report.current}` +
        `${report.alreadyMoved ? ` (${report.alreadyMoved} had moved already)` : ''}. ` +
        '`npm run ops -- versions` shows the older builds drain (the server rechecks every few minutes).',
  );
  return 0;
}

function describeVersions(view: DeploymentView, pinned: Record<string, number>): string {
  const day = (d: Date | undefined) => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : '');
  return [
    `Deployment ${view.deploymentName}: current ${view.current ?? 'none (promote a build)'}` +
      `${view.ramping ? `, ramping ${view.ramping.buildId} at ${view.ramping.percentage}%` : ''}`,
    ...view.versions.map((v) => {
      const since = v.currentSince ? `current since ${day(v.currentSince)}` : `first polled ${day(v.createdAt)}`;
      const holds =
        v.buildId in pinned
          ? `  ${pinned[v.buildId]} pinned workflow(s) running${v.drainage === 'drained' ? ': its workers can stop' : ''}`
          : '';
      return `  ${v.buildId.padEnd(24)} ${v.status.padEnd(9)} ${since}${holds}`;
    }),
  ].join('\n');
}
