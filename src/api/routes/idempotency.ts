import type { RequestOptions } from '../../gateway/idempotency';

/** The caller's Idempotency-Key (validated by the route's header schema) as the gateways take it. */
export function requestOf(headers: { 'idempotency-key'?: string }): RequestOptions {
  const key = headers['idempotency-key'];
  return key === undefined ? {} : { requestId: key };
}
