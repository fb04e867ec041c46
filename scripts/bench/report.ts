/** The bench's table: one row per figure, Aftercare beside the engine's floor, and their ratio. */
export interface Row {
  figure: string;
  aftercare: string;
  floor: string;
  ratio: string;
}

export const fmt = (n: number, digits = 1) => (Number.isInteger(n) ? String(n) : n.toFixed(digits));
export const ratio = (ours: number, floor: number) => (floor > 0 ? `${(ours / floor).toFixed(2)}×` : '');
export const ms = (n: number) => `${Math.round(n)} ms`;

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function table(rows: Row[]): string {
  return [
    "| figure | Aftercare | the engine's floor | ratio |",
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.figure} | ${r.aftercare} | ${r.floor} | ${r.ratio} |`),
  ].join('\n');
}
