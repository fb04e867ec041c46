import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, it, inject } from 'vitest';
import { dataConverterFor } from '../../src/temporal/codec';
import { TEST_KEYS } from '../support/harness';

const dir = path.resolve(__dirname, '..', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

/**
 * Recorded histories of finished journeys replayed against today's workflow code: a change that
 * would break running journeys (non-determinism) fails here, before it reaches a worker. Replayed
 * with the codec workers run with: histories from before encryption pass through it unchanged.
 */
describe('replay of recorded histories', () => {
  it('has histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
  });

  it.each(files)('%s replays deterministically', async (file) => {
    const history = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    await expect(
      Worker.runReplayHistory(
        {
          workflowBundle: { codePath: inject('workflowBundlePath') },
          dataConverter: dataConverterFor(TEST_KEYS.payloads),
        },
        history,
        file,
      ),
    ).resolves.toBeUndefined();
  });
});
