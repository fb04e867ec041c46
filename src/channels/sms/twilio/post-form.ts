import http from 'node:http';
import https from 'node:https';
import { isRecord } from '../../../lib/http';

/**
 * The one HTTP call the Twilio adapter makes, on node:http(s) so that it can tell whether the request body was
 * fully written before a failure (see ./adapter.ts for why that decides retries).
 */

export type PostOutcome =
  | { kind: 'response'; status: number; headers: http.IncomingHttpHeaders; text: string }
  /** Failed before the whole body was written: Twilio cannot have created a message. */
  | { kind: 'not-sent'; reason: string; code: string }
  /** Failed after the body was written: Twilio may have created the message. */
  | { kind: 'unknown'; reason: string; code: string; status?: number };

/** One POST on a fresh connection; resolves (never rejects) with how far the request got. */
export function postForm(url: URL, authorization: string, body: string, timeoutMs: number): Promise<PostOutcome> {
  return new Promise((resolve) => {
    let bodyWritten = false;
    let status: number | undefined;
    let settled = false;
    const settle = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const fail = (err: unknown) => {
      const code = errorCode(err);
      const reason = err instanceof Error ? err.message : String(err);
      if (!bodyWritten) settle({ kind: 'not-sent', reason, code });
      else settle({ kind: 'unknown', reason, code, ...(status !== undefined ? { status } : {}) });
    };

    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST',
      agent: false,
      headers: {
        authorization,
        accept: 'application/json',
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(body, 'utf8'),
        'user-agent': 'aftercare-sms',
      },
    });
    const timer = setTimeout(() => {
      const err = new Error(`timed out after ${timeoutMs} ms`);
      fail(Object.assign(err, { code: 'timeout' }));
      request.destroy(err);
    }, timeoutMs);

    // 'finish' = the whole body was handed to the socket; before it, Twilio has at most a partial form.
    request.on('finish', () => (bodyWritten = true));
    request.on('error', fail);
    request.on('response', (res) => {
      status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', fail);
      // Connection dropped mid-body: the status is known, the outcome (for a 2xx) is not.
      res.on('close', () => {
        if (!res.complete) fail(Object.assign(new Error('response cut off'), { code: 'ECONNRESET' }));
      });
      res.on('end', () =>
        settle({ kind: 'response', status: status ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }),
      );
    });
    request.end(body);
  });
}

function errorCode(err: unknown): string {
  const code = isRecord(err) ? err.code : undefined;
  return typeof code === 'string' ? code : 'network_error';
}
