/**
 * How fast: order event → first email, and orders per second through every stage, each measured side by
 * side with the floor in the same run (lanes interleaved), since a shared machine drifts between runs.
 */
import { readFileSync } from 'node:fs';
import type { BenchEnv } from './env';
import { FLOOR_TASK_QUEUE } from './env';
import { FLOOR_SHAPE } from './cost';
import { ms, percentile, ratio, type Row } from './report';
import { benchId, Shop, STAGES } from './shop';

const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));

/** Aftercare: POST /v1/orders until the fake Resend accepted "Order received". */
async function ourFirstMessage(shop: Shop): Promise<number> {
  const order = await shop.place();
  const [first] = await shop.waitForEmails(order.orderId, 1, 60_000);
  return Date.parse(first!.createdAt) - order.postedAt;
}

/** The floor: the client's start until its first (no-op) activity ran. */
async function floorFirstMessage(env: BenchEnv): Promise<number> {
  const id = benchId('floor-lat');
  const t0 = Date.now();
  await env.floorClient.workflow.start('floorOrder', {
    taskQueue: FLOOR_TASK_QUEUE,
    workflowId: id,
    args: [FLOOR_SHAPE],
  });
  for (;;) {
    const first = env.floor.started.get(id)?.[0];
    if (first !== undefined) return first - t0;
    await sleep(2);
  }
}

/** Two lanes of each at once, started 200 ms apart, each taking `samples` measurements in turn. */
export async function firstMessage(env: BenchEnv, shop: Shop, samples: number): Promise<Row[]> {
  const ours: number[] = [];
  const floor: number[] = [];
  const lane = async (delay: number, run: () => Promise<number>, into: number[]) => {
    await sleep(delay);
    for (let i = 0; i < samples; i++) into.push(await run());
  };
  await Promise.all([
    lane(0, () => ourFirstMessage(shop), ours),
    lane(200, () => floorFirstMessage(env), floor),
    lane(400, () => ourFirstMessage(shop), ours),
    lane(600, () => floorFirstMessage(env), floor),
  ]);
  return [
    {
      figure: `order event → first email, p50 (${ours.length} orders; floor: start → first activity)`,
      aftercare: ms(percentile(ours, 50)),
      floor: ms(percentile(floor, 50)),
      ratio: ratio(percentile(ours, 50), percentile(floor, 50)),
    },
    {
      figure: 'order event → first email, p99',
      aftercare: ms(percentile(ours, 99)),
      floor: ms(percentile(floor, 99)),
      ratio: ratio(percentile(ours, 99), percentile(floor, 99)),
    },
  ];
}

/** Orders per second through every stage (placed … delivered, five status emails), `inFlight` at a time. */
export async function throughput(env: BenchEnv, shop: Shop, orders: number, inFlight: number): Promise<Row[]> {
  const ourOrder = async () => {
    const order = await shop.place();
    for (const stage of STAGES) await shop.stage(order.orderId, stage);
    await shop.waitForEmails(order.orderId, 1 + STAGES.length, 120_000);
  };
  const floorOrderToDelivered = async () => {
    const id = benchId('floor-tp');
    const handle = await env.floorClient.workflow.start('floorOrder', {
      taskQueue: FLOOR_TASK_QUEUE,
      workflowId: id,
      args: [FLOOR_SHAPE],
    });
    for (const stage of STAGES) await handle.executeUpdate('advance', { args: [stage] });
    while ((env.floor.started.get(id)?.length ?? 0) < 1 + STAGES.length) await sleep(5);
  };
  // Where the machine's two cores went: the server, Aftercare's process, the bench's own (client, floor worker).
  const cpu = () => ({
    server: env.server.pid ? cpuMs(env.server.pid) : NaN,
    app: cpuMs(env.app.pid),
    bench: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
  });
  type Cpu = ReturnType<typeof cpu>;
  const spent = (a: Cpu, b: Cpu) => ({ server: b.server - a.server, app: b.app - a.app, bench: b.bench - a.bench });
  const rate = async (one: () => Promise<void>) => {
    let next = 0;
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next++ < orders) await one();
      }),
    );
    return orders / ((Date.now() - t0) / 1000);
  };
  const floorBefore = await rate(floorOrderToDelivered);
  await env.quiesce();
  const c0 = cpu();
  const ours = await rate(ourOrder);
  // Our orders' follow-ups run on after the last status: let them drain before the floor runs again (and count).
  await env.quiesce();
  const c1 = cpu();
  const floorAfter = await rate(floorOrderToDelivered);
  await env.quiesce();
  const c2 = cpu();
  const floor = (floorBefore + floorAfter) / 2;
  const ourCpu = spent(c0, c1);
  const floorCpu = spent(c1, c2);
  const perOrder = (c: Cpu) =>
    `${Math.round(c.server / orders)} / ${Math.round(c.app / orders)} / ${Math.round(c.bench / orders)} ms`;
  return [
    {
      figure: `orders per second through all stages, ${inFlight} in flight (floor: mean of before and after ours)`,
      aftercare: ours.toFixed(1),
      floor: `${floor.toFixed(1)} (${floorBefore.toFixed(1)}, ${floorAfter.toFixed(1)})`,
      ratio: ratio(ours, floor),
    },
    {
      figure: 'CPU per order, all its messages: server / Aftercare process / bench process (client, floor worker)',
      aftercare: perOrder(ourCpu),
      floor: perOrder(floorCpu),
      ratio: `server ${ratio(ourCpu.server, floorCpu.server)}`,
    },
  ];
}

/** CPU time a process has used (user + system), from /proc (Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after "pid (comm) ", in clock ticks (100 per second).
  return ((Number(fields[11]) + Number(fields[12])) / 100) * 1000;
}
