/**
 * What every drill gets and gives back: `npm run drill` (scripts/drill/index.ts) starts the stack and the fakes
 * once, hands each drill a DrillContext, and prints and saves the DrillResults.
 */
import type { Client } from '@temporalio/client';
import type { Stack } from '../stack/types';
import type { DrillFakes } from './env';

export interface DrillContext {
  stack: Stack;
  /** The fake providers every channel sends to; reset before each drill. */
  fakes: DrillFakes;
  /** A Temporal client with Aftercare's data converter (queries and results decode). */
  client: Client;
  /** The CI subset (--short): fewer orders, kills, bodies; a shorter storm. */
  short: boolean;
  /** Seeds the drill's random choices (printed, so a failing run can be repeated). */
  seed: number;
  /** A prefix unique to this drill in this run: order and customer ids start with it, so drills never meet. */
  idPrefix: string;
  /** Progress lines for the person watching (not the figures). */
  log(line: string): void;
}

/** A figure's value: a count, a time in ms, or a breakdown (e.g. status codes seen). */
export type FigureValue = number | string | boolean | Record<string, number>;

export interface DrillResult {
  /** Short name, as `--only` takes it (e.g. "worker-kill"). */
  name: string;
  /** The line the drill proves, in the words. */
  claim: string;
  /** Every figure measured, by name (times in ms). */
  figures: Record<string, FigureValue>;
  /** Each figure that missed its line, in words; empty when the drill passed. */
  failures: string[];
  wallMs: number;
}

export type Drill = (ctx: DrillContext) => Promise<DrillResult>;
