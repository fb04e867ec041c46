import { readFileSync } from 'node:fs';
import { ScheduleOverlapPolicy, type ScheduleHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parsePlaybook } from '../../src/playbook/load';
import type { Playbook } from '../../src/playbook/schema';
import { ensureStuckDigestSchedule } from '../../src/temporal/schedules';
import {
  STUCK_DIGEST_SETTLE_MS,
  stuckDigestScheduleId,
  type StuckDigestResult,
} from '../../src/workflows/operations/contract';
import { ORDER_JOURNEY, ORDER_SA, type StuckReason } from '../../src/workflows/order/contract';
import { eventually, FAST_PLAYBOOK, startHarness, testLogger, uniqueId, type Harness } from '../support/harness';

const OPERATOR = 'ops@test.example';

function digestPlaybook(operator: Record<string, unknown> = { email: OPERATOR, digestEvery: '15 minutes' }): Playbook {
  return parsePlaybook({ ...(YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as object), operator });
}

let h: Harness;
let schedule: ScheduleHandle;
const journeys: string[] = [];

beforeAll(async () => {
  // As npm start and npm run worker do: the worker's start schedules the digest for the playbook's operators.
  h = await startHarness({ playbook: digestPlaybook(), schedules: true });
  schedule = h.client.schedule.getHandle(stuckDigestScheduleId(h.taskQueue));
});
afterAll(async () => {
  await Promise.all(
    journeys.map((id) =>
      h.client.workflow
        .getHandle(id)
        .terminate('test over')
        .catch(() => {}),
    ),
  );
  await schedule?.delete().catch(() => {});
  await h?.stop();
});

/**
 * A journey with the marks a stuck one keeps: an orderJourney on the harness's queue whose first task is an hour
 * away (no worker runs it during the test), started with AftercareStuck and AftercareStuckSince, so the test does
 * not depend on how and when real journeys mark themselves.
 */
async function stuckJourney(reason: StuckReason, since: Date): Promise<string> {
  const workflowId = `order-${uniqueId('stuck')}`;
  await h.client.workflow.start(ORDER_JOURNEY, {
    taskQueue: h.taskQueue,
    workflowId,
    args: [],
    startDelay: '1h',
    typedSearchAttributes: [
      { key: ORDER_SA.stuck, value: reason },
      { key: ORDER_SA.stuckSince, value: since },
    ],
  });
  journeys.push(workflowId);
  return workflowId;
}

/** Visibility has them (it is eventually consistent). */
async function visible(count: number): Promise<void> {
  await eventually(async () => {
    const { count: n } = await h.client.workflow.count(
      `TaskQueue = "${h.taskQueue}" AND ${ORDER_SA.stuck.name} IS NOT NULL AND ExecutionStatus = "Running"`,
    );
    expect(n).toBe(count);
  });
}

/** Runs the schedule's action now, as an operator's "trigger" does, and waits for that run's result. */
async function triggerOnce(): Promise<StuckDigestResult> {
  const last = async () => (await schedule.describe()).info.recentActions.at(-1)?.action.workflow.workflowId;
  const before = await last();
  // A run per second at most: the run's workflow id ends in its scheduled second.
  await new Promise((r) => setTimeout(r, 1100));
  await schedule.trigger();
  const workflowId = await eventually(async () => {
    const id = await last();
    expect(id).toBeDefined();
    expect(id).not.toBe(before);
    return id!;
  });
  return h.client.workflow.getHandle<() => Promise<StuckDigestResult>>(workflowId).result();
}

const digests = async () => (await h.outbox.list(500)).filter((m) => m.kind === 'operator_digest');

describe('the stuck digest', () => {
  it('is scheduled when the worker starts, every digestEvery, skipping a run while one is still going', async () => {
    const described = await schedule.describe();
    expect(described.spec.intervals).toEqual([{ every: 15 * 60_000 }]);
    expect(described.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(described.action.type).toBe('startWorkflow');
    if (described.action.type === 'startWorkflow') {
      expect(described.action.workflowType).toBe('stuckDigest');
      expect(described.action.taskQueue).toBe(h.taskQueue);
    }
  });

  it('sends one digest for three newly stuck journeys, with the counts by reason and the links', async () => {
    const now = Date.now();
    // Stuck a minute ago (older than the settle time a run leaves visibility), and one stuck for two hours.
    const since = new Date(now - STUCK_DIGEST_SETTLE_MS - 60_000);
    const failing = [
      await stuckJourney('delivery-failing', since),
      await stuckJourney('delivery-failing', new Date(since.getTime() + 1000)),
      await stuckJourney('delivery-failing', new Date(since.getTime() + 2000)),
    ];
    const overdue = await stuckJourney('stage-overdue', new Date(now - 2 * 3_600_000));
    await visible(4);

    const result = await triggerOnce();
    expect(result).toMatchObject({ total: 4, newlyStuck: 3, sent: ['email'], failed: [] });

    const sent = await digests();
    expect(sent).toHaveLength(1);
    const [digest] = sent;
    expect(digest).toMatchObject({ channel: 'email', to: OPERATOR, messageKey: 'stuck-digest' });
    expect(digest!.subject).toContain('4');
    const { text } = digest!;
    expect(text).toContain('Stuck journeys: 4');
    expect(text).toContain('3 delivery-failing');
    expect(text).toContain('1 stage-overdue');
    expect(text).toContain('New since the last digest: 3');
    // The newest by id, the oldest by when; the journey stuck for two hours is not new.
    for (const id of failing) expect(text).toContain(id);
    expect(text).not.toContain(overdue);
    const ui = `http://temporal-ui.test/namespaces/${encodeURIComponent(h.client.options.namespace)}/workflows?query=`;
    const all = `${ORDER_SA.stuck.name} IS NOT NULL AND ExecutionStatus = "Running"`;
    expect(text).toContain(`${ui}${encodeURIComponent(all)}`);
    expect(text).toContain(`${ui}${encodeURIComponent(`${ORDER_SA.stuck.name} = "delivery-failing"`)}`);
    expect(text).toContain(`${ui}${encodeURIComponent(`${ORDER_SA.stuck.name} = "stage-overdue"`)}`);
    expect(digest!.html).toContain('delivery-failing');
    // No customer data: the fake journeys have none, and the message names journeys by workflow id only.
    expect(text).not.toMatch(/@example\.com/);
  });

  it('sends nothing when nothing became stuck since the last run', async () => {
    const result = await triggerOnce();
    expect(result).toMatchObject({ total: 4, newlyStuck: 0, sent: [], failed: [] });
    expect(await digests()).toHaveLength(1);
  });

  it('sends the next digest when another journey becomes stuck, counting only it as new', async () => {
    const last = await triggerOnce();
    expect(last.newlyStuck).toBe(0);
    // Inside the next run's window: after the last one's end, and settled by the time it runs.
    const since = new Date(Date.parse(last.window.to) + 500);
    const held = await stuckJourney('held', since);
    await visible(5);
    // The run's scheduled time is cut to whole seconds: wait past the settle time with more than a second to spare.
    await eventually(async () => expect(Date.now()).toBeGreaterThan(since.getTime() + STUCK_DIGEST_SETTLE_MS + 2500), {
      timeoutMs: STUCK_DIGEST_SETTLE_MS + 6500,
    });

    const result = await triggerOnce();
    expect(result).toMatchObject({ total: 5, newlyStuck: 1, sent: ['email'] });
    const sent = await digests();
    expect(sent).toHaveLength(2);
    const next = sent.find((m) => m.text.includes(held));
    expect(next?.text).toContain('New since the last digest: 1');
    expect(next?.text).toContain('1 held');
  });

  it('follows the playbook: a changed digestEvery updates the schedule, no operator channel removes it', async () => {
    const client = h.client;
    const every5 = digestPlaybook({ email: OPERATOR, digestEvery: '5 minutes' });
    const ensure = (playbook: Playbook) =>
      ensureStuckDigestSchedule(client, { taskQueue: h.taskQueue, playbook, log: testLogger });
    expect(await ensure(every5)).toBe('updated');
    expect((await schedule.describe()).spec.intervals).toEqual([{ every: 5 * 60_000 }]);
    // Another worker starting with the same playbook changes nothing.
    expect(await ensure(every5)).toBe('unchanged');

    expect(await ensure(digestPlaybook({}))).toBe('removed');
    await expect(schedule.describe()).rejects.toThrow(/not found/i);
    // And again: nothing to remove is no error.
    expect(await ensure(digestPlaybook({}))).toBe('none');
  });
});
