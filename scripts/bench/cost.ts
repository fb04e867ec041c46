/** Billable Actions per standard order, by workflow, beside the floor; the server's own count beside ours. */
import { STATS_SHARDS, statsShardId, statsWorkflowId } from '../../src/workflows/stats/contract';
import { countActions, sumCounts, type ActionCount } from './actions';
import { APP_TASK_QUEUE, FLOOR_TASK_QUEUE, type BenchEnv } from './env';
import type { FloorInput } from './floor-workflow';
import { fmt, ratio, type Row } from './report';
import { benchId, Shop, STAGES } from './shop';

export const FLOOR_SHAPE: FloorInput = {
  stages: [...STAGES],
  // The bench playbook's waits: thank-you, the survey's (answered before it ends), offer, referral; the
  // warranty check-in is due at once (a one-month warranty, a 31-day lead time).
  waits: { thankYou: 1000, survey: 1000, offer: 1000, referral: 1000, warranty: 0 },
};

export async function floorOrder(env: BenchEnv): Promise<string> {
  const id = benchId('floor');
  const handle = await env.floorClient.workflow.start('floorOrder', {
    taskQueue: FLOOR_TASK_QUEUE,
    workflowId: id,
    args: [FLOOR_SHAPE],
  });
  for (const stage of STAGES) await handle.executeUpdate('advance', { args: [stage] });
  await handle.executeUpdate('answer', { args: [5] });
  await handle.result();
  return id;
}

const sumServer = (a: Record<string, number>, b: Record<string, number>) =>
  Object.values(b).reduce((s, v) => s + v, 0) - Object.values(a).reduce((s, v) => s + v, 0);
const diffServer = (a: Record<string, number>, b: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(b)
      .map(([k, v]) => [k, v - (a[k] ?? 0)])
      .filter(([, v]) => v !== 0),
  );

export async function costPerOrder(
  env: BenchEnv,
  shop: Shop,
  orders: number,
  log: (l: string) => void,
): Promise<Row[]> {
  // The first stats workflow and its shards (lean journeys send their counts to one of these).
  const statsIds = [
    statsWorkflowId(APP_TASK_QUEUE),
    ...Array.from({ length: STATS_SHARDS }, (_, i) => statsShardId(APP_TASK_QUEUE, i)),
  ];
  const statsTotal = async () => {
    let total = 0;
    for (const id of statsIds) total += (await shop.actionsOf(id).catch(() => undefined))?.total ?? 0;
    return total;
  };
  const statsBefore = await statsTotal();
  const serverBefore = await env.quiesce();
  const journeys: ActionCount[] = [];
  const lifecycles: ActionCount[] = [];
  const ids: { orderId: string; customerId: string }[] = [];
  for (let i = 0; i < orders; i++) ids.push(await shop.standardOrder());
  const serverAfter = await env.quiesce();
  const serverOurs = sumServer(serverBefore, serverAfter);
  log(`server action counter, ours: ${JSON.stringify(diffServer(serverBefore, serverAfter))}`);
  for (const { orderId, customerId } of ids) {
    journeys.push(await shop.actionsOf(`order-${orderId}`));
    lifecycles.push(await shop.actionsOf(`customer-${customerId}`));
  }
  const stats = (await statsTotal()) - statsBefore;

  const floorBefore = await env.quiesce();
  const floors: ActionCount[] = [];
  for (let i = 0; i < orders; i++) {
    const id = await floorOrder(env);
    floors.push(countActions((await env.floorClient.workflow.getHandle(id).fetchHistory()).events ?? []));
  }
  const floorAfter = await env.quiesce();
  const serverFloor = sumServer(floorBefore, floorAfter);
  log(`server action counter, floor: ${JSON.stringify(diffServer(floorBefore, floorAfter))}`);

  const per = (c: ActionCount) => c.total / orders;
  const journey = per(sumCounts(journeys));
  const lifecycle = per(sumCounts(lifecycles));
  const statsPer = stats / orders;
  const total = journey + lifecycle + statsPer;
  const floor = per(sumCounts(floors));
  log(`journey Actions by kind, per order: ${JSON.stringify(perKind(sumCounts(journeys), orders))}`);
  log(`lifecycle Actions by kind, per order: ${JSON.stringify(perKind(sumCounts(lifecycles), orders))}`);
  log(`floor Actions by kind: ${JSON.stringify(perKind(sumCounts(floors), orders))}`);
  const events = (sumCounts(journeys).events + sumCounts(lifecycles).events) / orders;
  return [
    {
      figure: 'billable Actions per order: journey + lifecycle + stats (from history)',
      aftercare: `${fmt(total)} (${fmt(journey)} + ${fmt(lifecycle)} + ${fmt(statsPer)})`,
      floor: fmt(floor),
      ratio: ratio(total, floor),
    },
    {
      figure: "the same, by the server's own `action` counter",
      aftercare: fmt(serverOurs / orders),
      floor: fmt(serverFloor / orders),
      ratio: ratio(serverOurs, serverFloor),
    },
    {
      figure: 'history events per order (journey + lifecycle)',
      aftercare: fmt(events),
      floor: fmt(sumCounts(floors).events / orders),
      ratio: '',
    },
    {
      figure: '$ per 1,000 orders at $50 per million Actions',
      aftercare: `$${((total * 1000 * 50) / 1e6).toFixed(3)}`,
      floor: `$${((floor * 1000 * 50) / 1e6).toFixed(3)}`,
      ratio: ratio(total, floor),
    },
  ];
}

const perKind = (c: ActionCount, n: number) =>
  Object.fromEntries(Object.entries(c.byKind).map(([k, v]) => [k, Math.round((v / n) * 10) / 10]));
