import { formatDuration } from '../../playbook/duration';
import type { Outgoing } from '../delivery/deliver';
import type { Journey } from './context';

// How the journey waits between stage updates: the burst window before a status message, the next stage's due time.

/**
 * The playbook's burst window: before a status message goes, wait until no newer stage update has come for the
 * window; then only the latest status is sent, the ones it superseded are recorded as not sent.
 */
export async function settleBurst(j: Journey, queue: Outgoing[]): Promise<void> {
  const window = j.playbook.delays.stageBurstWindow ?? 0;
  const statuses = () => queue.filter((m) => m.kind === 'order_status');
  if (queue[0]?.kind !== 'order_status') return;
  for (let seen = statuses().length; ; seen = statuses().length) {
    const more = await j.ops.wait(window, 'more stage updates within the burst window', () => statuses().length > seen);
    if (!more) break;
  }
  const all = statuses();
  const latest = all.at(-1)!;
  for (const superseded of all.slice(0, -1)) {
    queue.splice(queue.indexOf(superseded), 1);
    j.state.messages.push({
      key: superseded.key,
      kind: superseded.kind,
      purpose: 'transactional',
      status: 'skipped',
      reason: `superseded by ${latest.key} within the burst window`,
      attempts: [],
      queuedAt: j.now(),
    });
  }
}

/** Waits for the next stage's update; past the stage's expected time the journey marks itself stuck until it comes. */
export async function awaitStageDue(
  j: Journey,
  next: string,
  expectedWithin: number,
  moved: () => boolean,
): Promise<void> {
  const { state, view, ops } = j;
  const last = [...state.events].reverse().find((e) => e.type === 'stage');
  const due = new Date(Date.parse(last?.at ?? j.now()) + expectedWithin);
  const what = `the "${next}" update from the business (expected within ${formatDuration(expectedWithin)})`;
  view.show('stage-update', what, due);
  if (await ops.wait(due.getTime() - Date.now(), what, moved)) return;
  ops.mark(
    'stage-overdue',
    `no "${next}" update since "${state.stage}" (${last?.at ?? 'the start'}); expected within ${formatDuration(expectedWithin)}`,
    `send the stage update (\`POST /v1/orders/${j.order.orderId}/stage\`); if the order will never move: \`npm run ops -- cancel ${j.order.orderId} --reason "…"\``,
    due,
  );
  view.show('stage-update', `the "${next}" update from the business (overdue since ${due.toISOString()})`);
  await ops.waitFor(moved);
  ops.clear('stage-overdue');
}
