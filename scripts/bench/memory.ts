/**
 * Worker memory with many open orders (each holds a journey and a customer lifecycle, both sleeping),
 * and what waking an evicted journey costs: its history replayed before it can act.
 */
import { readFileSync } from 'node:fs';
import type { BenchEnv } from './env';
import { ms, percentile, type Row } from './report';
import { Shop } from './shop';

/** Resident memory of a process, from /proc (Linux). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

export async function openOrders(
  env: BenchEnv,
  shop: Shop,
  levels: number[],
  log: (l: string) => void,
): Promise<Row[]> {
  const rows: Row[] = [];
  const placed: string[] = [];
  // A fresh process: what the sections before left in its heap is not what open orders cost.
  await env.app.restart();
  await env.quiesce();
  const idle = rssMb(env.app.pid);
  rows.push({ figure: 'worker RSS, no open orders', aftercare: `${Math.round(idle)} MB`, floor: '', ratio: '' });
  let done = 0;
  for (const level of levels) {
    const t0 = Date.now();
    let next = done;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < level) {
          next++;
          const order = await shop.place();
          placed.push(order.orderId);
        }
      }),
    );
    done = level;
    await env.quiesce();
    log(
      `${level} open orders (placed at ${((level - (rows.length > 1 ? levels[rows.length - 2]! : 0)) / ((Date.now() - t0) / 1000)).toFixed(1)}/s)`,
    );
    rows.push({
      figure: `worker RSS, ${level.toLocaleString('en')} open orders`,
      aftercare: `${Math.round(rssMb(env.app.pid))} MB`,
      floor: '',
      ratio: '',
    });
  }
  // Waking: the oldest orders left the cache long ago, the newest are in it.
  const sample = Math.min(20, Math.floor(placed.length / 4));
  const wake = async (orderIds: string[]) => {
    const times: number[] = [];
    for (const orderId of orderIds) {
      const t0 = Date.now();
      await shop.stage(orderId, 'confirmed');
      await shop.stage(orderId, 'shipped');
      const emails = await shop.waitForEmails(orderId, 2, 60_000);
      times.push(Date.parse(emails[1]!.createdAt) - t0);
    }
    return percentile(times, 50);
  };
  const cold = await wake(placed.slice(0, sample));
  const warm = await wake(placed.slice(-sample));
  rows.push({
    figure: `waking a sleeping journey: stage update → email, p50 (oldest ${sample}: evicted; newest: cached)`,
    aftercare: `${ms(cold)} evicted, ${ms(warm)} cached`,
    floor: '',
    ratio: '',
  });
  return rows;
}
