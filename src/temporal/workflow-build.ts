/**
 * The workflow code a worker runs and the build id it makes (Worker Versioning: docs/workflow-versions.md). The
 * bundle is reproducible (no absolute paths in it), so every worker of one checkout computes the same id.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleOption } from '@temporalio/worker';
import { failureConverterPath } from './codec';

export const workflowsPath = path.resolve(__dirname, '..', 'workflows', 'index.ts');

/** A build id derived from the workflow code: the same bundle gives the same id, any change to it a new one. */
export function bundleBuildId(code: string): string {
  return `bundle-${createHash('sha256').update(code).digest('hex').slice(0, 12)}`;
}

export function bundleCodeOf(bundle: WorkflowBundleOption): string {
  return 'code' in bundle ? bundle.code : readFileSync(bundle.codePath, 'utf8');
}

/**
 * The build id this checkout's workers poll as: AFTERCARE_BUILD_ID when set, otherwise the hash of the bundle they
 * build (the same workflows and failure converter). For promoting them (`npm run ops -- promote`, the stack)
 * without reading it from their logs.
 */
export async function localBuildId(configured?: string): Promise<string> {
  if (configured) return configured;
  const { code } = await bundleWorkflowCode({ workflowsPath, failureConverterPath, logger: new DefaultLogger('WARN') });
  return bundleBuildId(code);
}
