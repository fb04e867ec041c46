import type { Outgoing } from '../workflows/delivery/deliver';
import type { PlannedMessage } from './delivery';
import type { VirtualTime } from './virtual-time';

/**
 * The playbook's burst window (the order journey's settleBurst): a status message waits until no newer stage update came
 * for the window; then only the latest goes, the ones it superseded are recorded as not sent.
 */
export async function settleBurst(time: VirtualTime, window: number, queue: Outgoing[], out: PlannedMessage[]) {
  const statuses = () => queue.filter((m) => m.kind === 'order_status');
  if (queue[0]?.kind !== 'order_status') return;
  for (let seen = statuses().length; ; seen = statuses().length) {
    const more = await time.until(time.now + window, () => statuses().length > seen);
    if (!more) break;
  }
  const all = statuses();
  const latest = all.at(-1)!;
  for (const superseded of all.slice(0, -1)) {
    queue.splice(queue.indexOf(superseded), 1);
    out.push({
      key: superseded.key,
      kind: superseded.kind,
      purpose: 'transactional',
      to: 'customer',
      from: 'order journey',
      at: time.now,
      dueAt: time.now,
      held: [],
      passedOver: [],
      skipped: `superseded by ${latest.key} within the burst window`,
      data: superseded.data,
    });
  }
}
