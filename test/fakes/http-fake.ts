import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The plumbing the fake provider servers share: an HTTP server on 127.0.0.1 (random port), the requests it
 * recorded, a queue of canned failures, an artificial latency, reset and close. Each fake keeps its own protocol:
 * where the latency applies, which requests a queued failure hits, and how its responses look.
 */

export interface FakeResponse {
  status: number;
  /** Objects are sent as JSON; strings as-is (e.g. an HTML error page from a proxy). */
  body?: unknown;
  headers?: Record<string, string>;
}

/** A recorded request to a JSON API. */
export interface RecordedJsonRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; the raw text when it isn't JSON; undefined when empty. */
  body: unknown;
}

export class HttpFake<Recorded, Failure = FakeResponse> {
  /** Every request received, in order; the same array for the fake's whole life. */
  readonly requests: Recorded[] = [];
  /** Queued failures, oldest first; the fake decides which requests take them. */
  readonly failures: Failure[] = [];
  latencyMs = 0;
  private server: Server | undefined;

  /**
   * Starts the server and returns its base URL (no trailing slash). `handle` gets the request with its body read;
   * when it throws, `onError` answers (unless headers were already sent, then the connection is dropped).
   */
  async listen(
    handle: (req: IncomingMessage, res: ServerResponse, raw: string) => Promise<void>,
    onError: (res: ServerResponse, err: unknown) => void,
  ): Promise<string> {
    const server = createServer((req, res) => {
      readBody(req)
        .then((raw) => handle(req, res, raw))
        .catch((err: unknown) => {
          if (!res.headersSent) onError(res, err);
          else res.destroy();
        });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** The next `n` requests the fake lets fail get `failure`. */
  failNext(n: number, failure: Failure): void {
    for (let i = 0; i < n; i++) this.failures.push(failure);
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Clears the recorded requests, the queued failures and the latency; the fake clears its own state. */
  reset(): void {
    this.requests.length = 0;
    this.failures.length = 0;
    this.latencyMs = 0;
  }

  /**
   * The controls every fake exposes, bound to this one; `reset` also runs `clearOwnState` for the fake's own
   * records (what it sent, idempotency keys, …).
   */
  controls(clearOwnState: () => void) {
    return {
      requests: this.requests,
      failNext: (n: number, failure: Failure) => this.failNext(n, failure),
      setLatency: (ms: number) => this.setLatency(ms),
      reset: () => {
        this.reset();
        clearOwnState();
      },
      close: () => this.close(),
    };
  }

  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      // Clients keep connections alive; without this close() waits for them to idle out.
      server.closeAllConnections();
    });
  }
}

/** The path without its query string. */
export function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0] ?? '/';
}

/** Records a JSON API request; returns the parsed body too. */
export function recordJson(
  fake: { requests: RecordedJsonRequest[] },
  req: IncomingMessage,
  raw: string,
): { path: string; method: string; parsed: ReturnType<typeof parseJson> } {
  const path = pathOf(req);
  const method = req.method ?? 'GET';
  const parsed = parseJson(raw);
  fake.requests.push({
    method,
    path,
    headers: req.headers,
    body: raw === '' ? undefined : parsed.ok ? parsed.value : raw,
  });
  return { path, method, parsed };
}

/**
 * Writes a response: objects as JSON with `jsonType`, strings as-is, then `defaults` (the provider's own headers on
 * every response) and the response's own headers.
 */
export function writeResponse(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string>,
  jsonType: string,
  defaults: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const isJson = body !== undefined && typeof body !== 'string';
  res.writeHead(status, { ...(isJson ? { 'content-type': jsonType } : {}), ...defaults, ...headers });
  res.end(text);
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function parseJson(raw: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch {
    return { ok: false };
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
