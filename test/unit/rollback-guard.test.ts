import { describe, expect, it } from 'vitest';
import { journeysOnVersionQuery, newerCurrentBuild } from '../../src/temporal/rollback';
import type { DeploymentView } from '../../src/temporal/versioning';

const at = (iso: string) => new Date(iso);

const view = (current: string | undefined): DeploymentView => ({
  deploymentName: 'aftercare',
  ...(current ? { current } : {}),
  versions: [
    { buildId: 'build-a', status: 'draining', createdAt: at('2026-12-01T10:00:00.000Z') },
    // 1 ms later: creation times keep the milliseconds.
    { buildId: 'build-b', status: 'current', createdAt: at('2026-12-01T10:00:00.001Z') },
    { buildId: 'no-time', status: 'inactive' },
  ],
});

describe("ops promote's rollback guard (newerCurrentBuild)", () => {
  it('names the current build when the one to promote was created before it', () => {
    expect(newerCurrentBuild(view('build-b'), 'build-a')).toBe('build-b');
  });

  it('lets a newer build, the current one again, and a first promotion through', () => {
    expect(newerCurrentBuild(view('build-a'), 'build-b')).toBeUndefined();
    expect(newerCurrentBuild(view('build-b'), 'build-b')).toBeUndefined();
    expect(newerCurrentBuild(view(undefined), 'build-a')).toBeUndefined();
    expect(newerCurrentBuild(undefined, 'build-a')).toBeUndefined();
  });

  it('lets a build through that has not polled yet or whose creation time is unknown (a deploy waits for it)', () => {
    expect(newerCurrentBuild(view('build-b'), 'build-new')).toBeUndefined();
    expect(newerCurrentBuild(view('build-b'), 'no-time')).toBeUndefined();
  });
});

describe('journeysOnVersionQuery', () => {
  it('selects running journeys whose last task ran on the version, by their pin', () => {
    expect(journeysOnVersionQuery('aftercare', 'build-b', false)).toBe(
      "WorkflowType = 'orderJourney' AND ExecutionStatus = 'Running' AND " +
        "TemporalWorkerDeploymentVersion = 'aftercare:build-b' AND TemporalWorkflowVersioningBehavior != 'Pinned'",
    );
    expect(journeysOnVersionQuery('aftercare', 'build-b', true)).toMatch(
      / AND TemporalWorkflowVersioningBehavior = 'Pinned'$/,
    );
  });
});
