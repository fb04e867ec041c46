/**
 * `npm run bench`: what an order costs and how fast it goes, beside the engine's floor, measured in one
 * run on one server (figures from separate runs on a shared machine are not comparable). Prints a
 * table; `--smoke` runs every part small (CI), `--large` adds the 20,000-open-orders memory point, and
 * `--only=<part>` runs the parts whose name contains it (e.g. `--only=throughput`); `--email-rate=<n>` sets the
 * email provider's limit for the burst (default 20/s).
 */
import { burst } from './burst';
import { costPerOrder } from './cost';
import { startBenchEnv } from './env';
import { openOrders } from './memory';
import { optOut } from './opt-out';
import { preferencesReach } from './preferences';
import { renderCost } from './render';
import { table, type Row } from './report';
import { Shop } from './shop';
import { firstMessage, throughput } from './speed';

const args = new Set(process.argv.slice(2));
const smoke = args.has('--smoke');
const valueOf = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
/** The email provider's limit during the burst: a raised Resend team limit (its default is 2/s). */
const EMAIL_RATE = Number(valueOf('email-rate') ?? 20);
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function main(): Promise<void> {
  const env = await startBenchEnv({ log });
  try {
    const shop = new Shop(env.app.api, env.resend, env.client);
    const rows: Row[] = [];
    const only = valueOf('only');
    const section = async (name: string, run: () => Promise<Row[]>) => {
      if (only && !name.includes(only)) return;
      log(name);
      const t0 = Date.now();
      rows.push(...(await run()));
      log(`${name}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    };
    await section('Actions per standard order', () => costPerOrder(env, shop, smoke ? 1 : 3, log));
    await section('template render', () => renderCost(smoke ? 20 : 200));
    await section('first message latency', () => firstMessage(env, shop, smoke ? 3 : 25));
    await section('throughput', () => throughput(env, shop, smoke ? 10 : 100, smoke ? 5 : 20));
    await section('opt-out latency', () => optOut(env, shop, smoke ? 2 : 10));
    await section('preferences', () => preferencesReach(env, shop, smoke ? 2 : 10));
    await section('provider burst', () => burst(env, shop, smoke ? 200 : 2000, smoke ? 2 : 20, EMAIL_RATE));
    const levels = smoke ? [50, 200] : args.has('--large') ? [500, 5000, 20000] : [500, 5000];
    await section('memory with open orders', () => openOrders(env, shop, levels, log));
    process.stdout.write(`\n${table(rows)}\n`);
  } finally {
    await env.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
