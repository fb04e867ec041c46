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

/** Longest update id kept as it is, in UTF-8 bytes: the server refuses ids over its limit (320 in our deployment). */
const READABLE_ID_BYTES = 200;

/**
 * `<kind>:<id>`, or `<kind>:sha256-<digest>` when that would be longer than READABLE_ID_BYTES: an event id from a
 * caller (up to 200 characters, any script) or one made of a long customer id must not make the update invalid.
 */
export function boundedUpdateId(kind: string, id: string): string {
  const plain = `${kind}:${id}`;
  if (Buffer.byteLength(plain) <= READABLE_ID_BYTES) return plain;
  return `${kind}:sha256-${createHash('sha256').update(id).digest('base64url')}`;
}
