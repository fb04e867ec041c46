/** Small helpers for bodies and errors that cross HTTP, in both directions. */

/** Parsed JSON, or undefined for anything that is not JSON. */
export function parseJson(raw: string | Buffer): unknown {
  try {
    return JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The HTTP status an error carries (Aftercare's own errors and Fastify's), if any. */
export function statusOf(err: unknown): number | undefined {
  if (!isRecord(err) && !(err instanceof Error)) return undefined;
  const e = err as { status?: unknown; statusCode?: unknown };
  return typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
}

export const isNotFound = (err: unknown) => statusOf(err) === 404;
