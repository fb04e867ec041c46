import path from 'node:path';
import { it, expect } from 'vitest';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
it('loads', () => {
  const c = loadDataConverter({ failureConverterPath: path.resolve(__dirname, '../../src/temporal/failure-converter.ts') });
  expect((c.failureConverter as any).options.encodeCommonAttributes).toBe(true);
});
