/**
 * Did an earlier attempt send this SMS? Twilio's Messages API has no idempotency key, but it lists what an account
 * sent: GET /2010-04-01/Accounts/{sid}/Messages.json?To=…&From=…&PageSize=…, most recent first, paged by
 * `next_page_uri`. A message to the same number with the very same body (a retry renders the same bytes) created at
 * or after the earlier attempt's mark is that attempt's message.
 *
 * No `DateSent>=` filter on purpose: it filters on `date_sent`, which Twilio sets only once the message has left its
 * queue, so a message still queued (a busy sender, a Messaging Service picking a number) would be missed and sent
 * again. `date_created` is compared here instead, with a minute's slack for the two clocks and its whole seconds.
 */
import http from 'node:http';
import https from 'node:https';
import { parseRetryAfter, ThrottledDeliveryError, TransientDeliveryError } from '../../errors';
import type { SendResult } from '../../types';
import { isRecord, parseJson } from '../../../lib/http';

const PROVIDER = 'twilio';
const PAGE_SIZE = 50;
/** Pages read at most: the messages to one customer's number since a mark minutes ago fit in far fewer. */
const MAX_PAGES = 5;
const CLOCK_SLACK_MS = 60_000;

export interface SentSmsQuery {
  /** …/Accounts/{sid}/Messages.json */
  listUrl: URL;
  authorization: string;
  to: string;
  body: string;
  sender: { From: string } | { MessagingServiceSid: string };
  sinceMs: number;
  timeoutMs: number;
  now: () => number;
}

export async function findSentSms(q: SentSmsQuery): Promise<SendResult | undefined> {
  const first = new URL(q.listUrl);
  first.searchParams.set('To', q.to);
  // A Messaging Service picks the sender itself, so only a plain From can narrow the list.
  if ('From' in q.sender) first.searchParams.set('From', q.sender.From);
  first.searchParams.set('PageSize', String(PAGE_SIZE));
  const since = q.sinceMs - CLOCK_SLACK_MS;
  let url: URL | undefined = first;
  for (let page = 0; url && page < MAX_PAGES; page++) {
    const list = await getJson(url, q);
    const messages = isRecord(list) && Array.isArray(list.messages) ? list.messages.filter(isRecord) : [];
    for (const m of messages) {
      const created = typeof m.date_created === 'string' ? Date.parse(m.date_created) : NaN;
      const ours =
        m.to === q.to &&
        m.body === q.body &&
        (typeof m.direction !== 'string' || m.direction.startsWith('outbound')) &&
        ('MessagingServiceSid' in q.sender ? m.messaging_service_sid === q.sender.MessagingServiceSid : true) &&
        Number.isFinite(created) &&
        created >= since;
      if (ours && typeof m.sid === 'string') return { provider: PROVIDER, providerMessageId: m.sid };
    }
    // Most recent first: once a page reaches back before the mark, older pages cannot hold the message.
    const oldest = Math.min(
      ...messages.map((m) => (typeof m.date_created === 'string' ? Date.parse(m.date_created) : 0)),
    );
    const next = isRecord(list) && typeof list.next_page_uri === 'string' ? list.next_page_uri : undefined;
    url = next && messages.length > 0 && oldest >= since ? new URL(next, q.listUrl) : undefined;
  }
  return undefined;
}

/** One GET on a fresh connection. A lookup creates nothing, so every failure is safe to retry. */
function getJson(url: URL, q: SentSmsQuery): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const fail = (reason: string, code: string) =>
      reject(
        new TransientDeliveryError(`twilio: lookup failed (${reason})`, PROVIDER, undefined, code).surelyNotSent(),
      );
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'GET',
      agent: false,
      timeout: q.timeoutMs,
      headers: { authorization: q.authorization, accept: 'application/json', 'user-agent': 'aftercare-sms' },
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('timed out'), { code: 'timeout' })));
    request.on('error', (err) =>
      fail(err.message, isRecord(err) && typeof err.code === 'string' ? err.code : 'network_error'),
    );
    request.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (err) => fail(err.message, 'ECONNRESET'));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const body = parseJson(Buffer.concat(chunks).toString());
        if (status >= 200 && status < 300) return resolve(body);
        const code = isRecord(body) && typeof body.code === 'number' ? String(body.code) : `http_${status}`;
        if (status === 429) {
          const delay = parseRetryAfter(res.headers['retry-after'], q.now(), 1000);
          return reject(
            new ThrottledDeliveryError(`twilio: lookup throttled (${code})`, PROVIDER, delay, status, code),
          );
        }
        reject(
          new TransientDeliveryError(
            `twilio: lookup answered ${status} (${code})`,
            PROVIDER,
            status,
            code,
          ).surelyNotSent(),
        );
      });
    });
    request.end();
  });
}
