import { createHash } from 'node:crypto';

/** What a caller may pass with a mutating request: its own id for the request (the Idempotency-Key header). */
export interface RequestOptions {
  requestId?: string;
}

/**
 * The Temporal update id for a request that carries the caller's key: a retry with the same key and body gets
 * the first attempt's result from Temporal without running again (deduplicated within the workflow run). The
 * body is part of the id, so a key reused for a different request runs that request instead of answering
 * with another request's result.
 */
export function updateIdFor(kind: string, requestId: string | undefined, body: unknown): string | undefined {
  if (requestId === undefined) return undefined;
  const digest = createHash('sha256')
    .update(`${kind}\n${requestId}\n${JSON.stringify(body)}`)
    .digest('base64url');
  return `request-${digest.slice(0, 32)}`;
}
