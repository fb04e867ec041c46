/**
 * `npm run ops -- versions | promote <buildId> | rollback <buildId> | unpin <buildId> | upgrade-lifecycles`: Worker
 * Versioning for operators (docs/workflow-versions.md, "Worker Versioning: deploying a new build" and "Rolling back a
 * deploy").
 */
import type { Client } from '@temporalio/client';
import {
  countPinned,
  describeDeployment,
  promoteBuild,
  upgradeLifecycles,
  type DeploymentView,
} from '../temporal/versioning';
import { newerCurrentBuild, pinPass, rollbackTo, type RollbackReport } from '../temporal/rollback';
import { localBuildId } from '../temporal/workflow-build';

export const VERSION_COMMANDS = ['versions', 'promote', 'rollback', 'unpin', 'upgrade-lifecycles'] as const;
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
  /** --force: promote an older build, or unpin while an older build is current. */
  force: boolean;
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
  if (command === 'rollback' || command === 'unpin') {
    if (!ctx.buildId) throw new Error(`${command} needs a build id`);
    return command === 'rollback' ? rollback(ctx, ctx.buildId) : unpin(ctx, ctx.buildId);
  }
  if (command === 'promote') {
    // Bundling takes seconds: only when no build id is given (the workers of this checkout are promoted).
    const buildId = ctx.buildId ?? (await localBuildId(ctx.configuredBuildId));
    const newer = newerCurrentBuild(await describeDeployment(client, namespace, deploymentName), buildId);
    if (newer && !ctx.force) {
      print({ refused: buildId, current: newer }, () =>
        [
          `Not promoted: ${buildId} is older than the current build ${newer}. Journeys ${newer} started carry its`,
          `patch markers, and ${buildId} would fail their every task (TMPRL1100). Roll back with`,
          `\`npm run ops -- rollback ${buildId}\`, which pins them to ${newer} first; or add --force if ${newer}`,
          `added no patch (its journeys replay on ${buildId}).`,
        ].join('\n'),
      );
      return 1;
    }
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

async function rollback(ctx: VersionCommandContext, buildId: string): Promise<number> {
  const report = await rollbackTo(ctx.client, ctx.deploymentName, buildId, { identity: ctx.identity });
  ctx.print(report, () => describeRollback(report));
  return report.failing.length ? 1 : 0;
}

function describeRollback(r: RollbackReport): string {
  return [
    `${r.current} is the current build again (was ${r.draining}).`,
    `Pinned to ${r.draining}: ${r.pinnedBefore} running journey(s) before the promotion, ${r.pinnedAfter} after it ` +
      '(started just before it).',
    ...(r.failing.length
      ? [
          `${r.failing.length} journey(s) started on ${r.draining} had a task sent to ${r.current} before their pin and ` +
            `fail there (TMPRL1100) until ${r.draining} is current again: ${r.failing.join(', ')}.`,
          `Promote ${r.draining} again (\`npm run ops -- promote ${r.draining}\`: they recover, nothing is lost), then ` +
            `roll back again at a quieter moment.`,
        ]
      : []),
    `Keep the workers of ${r.draining} running: its pinned journeys and lifecycles run there (\`npm run ops -- ` +
      'versions` shows it draining). `npm run ops -- upgrade-lifecycles` moves its lifecycles now.',
    `Next: deploy and promote a fix that keeps ${r.draining}'s patched() calls, then \`npm run ops -- unpin ` +
      `${r.draining}\`. Never unpin while ${r.current} is current.`,
  ].join('\n');
}

async function unpin(ctx: VersionCommandContext, buildId: string): Promise<number> {
  const view = await describeDeployment(ctx.client, ctx.namespace, ctx.deploymentName);
  const current = view?.current;
  // The current build is older than the pinned one: unpinned, its journeys would fail on it.
  if (view && current && newerCurrentBuild({ ...view, current: buildId }, current) && !ctx.force) {
    ctx.print({ refused: buildId, current }, () =>
      [
        `Not unpinned: the current build ${current} is older than ${buildId}, and the journeys pinned to ${buildId}`,
        `would fail on it. Deploy and promote a build that keeps ${buildId}'s patches first (or --force if ${current}`,
        'knows them).',
      ].join('\n'),
    );
    return 1;
  }
  const pass = await pinPass(ctx.client, ctx.deploymentName, buildId, 'unpin', { identity: ctx.identity });
  ctx.print(
    { unpinned: pass.changed, ended: pass.ended, current },
    () =>
      `Unpinned ${pass.changed} journey(s) from ${buildId}: they move to the current build ${current ?? '(none)'} at ` +
      'their next task. `npm run ops -- versions` shows when it has drained.',
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
