/** How the drill runner prints each drill's figures and the closing table. */
import type { DrillResult, FigureValue } from './types';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A figure as people read it: times (names ending in Ms) in seconds or ms, breakdowns as "k: v" lists. */
export function formatFigure(name: string, value: FigureValue): string {
  if (typeof value === 'number' && /Ms(Max|Min|Median|P50)?$/.test(name)) {
    return value >= 10_000 ? seconds(value) : `${Math.round(value)} ms`;
  }
  if (typeof value === 'object') {
    return Object.entries(value)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
  }
  return String(value);
}

export function printResult(result: DrillResult, say: (line: string) => void): void {
  const ok = result.failures.length === 0;
  say(`${ok ? '✔' : '✘'} ${result.name} (${seconds(result.wallMs)})${result.claim ? `: ${result.claim}` : ''}`);
  const width = Math.max(0, ...Object.keys(result.figures).map((k) => k.length));
  for (const [name, value] of Object.entries(result.figures)) {
    say(`    ${name.padEnd(width)}  ${formatFigure(name, value)}`);
  }
  for (const failure of result.failures) say(`    MISSED: ${failure}`);
}

/** The headline figures of each drill, one row each, for the closing table. */
const HEADLINES: Record<string, string[]> = {
  'worker-kill': ['orders', 'kills', 'messagesExpected', 'delivered', 'lost', 'duplicated', 'drainAfterLastKillMs'],
  duplicates: ['orders', 'requests', 'journeys', 'messagesExpected', 'delivered', 'duplicated', 'statuses'],
  'api-kill': ['interrupted', 'retried', 'journeys', 'duplicated', 'lost'],
  'provider-storm': [
    'stormMs',
    'delivered',
    'lost',
    'duplicated',
    'retryAfterSeconds',
    'gapAfter429MsMin',
    'drainAfterStormMs',
  ],
  'temporal-restart': [
    'downtimeMs',
    'answeredWhileDown',
    'slowestCreateMs',
    'slowestStageMs',
    'journeysLost',
    'lost',
    'duplicated',
  ],
  fuzz: ['bodies', 'routes', 'fiveXx', 'startedByInvalid', 'transportErrors'],
};

export function printSummary(results: DrillResult[], totalMs: number, say: (line: string) => void): void {
  say('\n| drill | result | figures | time |');
  say('|---|---|---|---|');
  for (const r of results) {
    const names = HEADLINES[r.name] ?? Object.keys(r.figures).slice(0, 6);
    const figures = names
      .filter((n) => r.figures[n] !== undefined)
      .map((n) => `${n} ${formatFigure(n, r.figures[n]!)}`)
      .join('; ');
    say(`| ${r.name} | ${r.failures.length === 0 ? 'pass' : 'FAIL'} | ${figures} | ${seconds(r.wallMs)} |`);
  }
  const failed = results.filter((r) => r.failures.length > 0);
  say(
    `\n${results.length - failed.length} of ${results.length} drills passed in ${seconds(totalMs)} (stack start included)`,
  );
  for (const r of failed) for (const f of r.failures) say(`  ${r.name}: ${f}`);
}
