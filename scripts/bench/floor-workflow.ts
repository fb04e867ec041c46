/**
 * The engine's floor for one order: the least Temporal work of the same shape as a journey, run on
 * the same server in the same run. One start, one update per stage move and one for the answer, one
 * activity per message sent (a no-op), one timer per real wait. Nothing else: no permits, no
 * counts, no search attributes, no lifecycle.
 */
import { condition, defineUpdate, proxyActivities, setHandler, sleep } from '@temporalio/workflow';

export interface FloorInput {
  /** Stages after the first, in order; each one that notifies sends a message. */
  stages: string[];
  /** The waits after completion, in ms (thank-you, survey, offer, referral, warranty); 0 means none. */
  waits: { thankYou: number; survey: number; offer: number; referral: number; warranty: number };
}

export const advance = defineUpdate<void, [string]>('advance');
export const answer = defineUpdate<void, [number]>('answer');

const { deliver } = proxyActivities<{ deliver(what: string): Promise<void> }>({ startToCloseTimeout: '1 minute' });

export async function floorOrder(input: FloorInput): Promise<void> {
  const queue: string[] = ['placed'];
  let done = 0;
  let rating: number | undefined;
  setHandler(advance, (stage) => {
    queue.push(stage);
    done += 1;
  });
  setHandler(answer, (r) => {
    rating = r;
  });
  for (;;) {
    while (queue.length) await deliver(`status-${queue.shift()!}`);
    if (done === input.stages.length) break;
    await condition(() => queue.length > 0);
  }
  const wait = async (ms: number) => {
    if (ms > 0) await sleep(ms);
  };
  await wait(input.waits.thankYou);
  await deliver('thank-you');
  if (input.waits.survey > 0) await condition(() => rating !== undefined, input.waits.survey);
  if (rating === undefined) await deliver('survey');
  await deliver(rating !== undefined && rating >= 4 ? 'review' : 'care');
  await wait(input.waits.offer);
  await deliver('offer');
  await wait(input.waits.referral);
  await deliver('referral');
  await wait(input.waits.warranty);
  await deliver('warranty');
}
