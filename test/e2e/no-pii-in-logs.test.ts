import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { freePort } from '../../src/temporal/dev-server';
import { resendFailures, startFakeResend, type FakeResend } from '../fakes/resend-server';
import {
  startFakeTwilio,
  TWILIO_MAGIC_FROM,
  twilioFailures,
  twilioSignature,
  type FakeTwilio,
} from '../fakes/twilio-server';
import { eventually, FAST_PLAYBOOK, uniqueId } from '../support/harness';
import { spawnApp, stopAll, type SpawnedApp } from '../support/spawn-app';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'aftercare-pii-'));
const API_KEY = 'e2e-pii-key-0123456789abcdef';
const tag = randomBytes(4).toString('hex');
const NAME = `Zebulon Qx${tag}`;
const EMAIL = `${tag}@pii.example`;
const PHONE = `+44770090${String(randomInt(10_000)).padStart(4, '0')}`;
const COMMENT = `Lovely service, thanks from ${NAME}`;
let app: SpawnedApp | undefined;
let resend: FakeResend | undefined;
let twilio: FakeTwilio | undefined;

afterAll(async () => {
  await stopAll([app]);
  await resend?.close();
  await twilio?.close();
});

/** The fast test playbook with follow-ups a few seconds apart and no quiet hours. */
function writePlaybook(): string {
  const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as Record<string, unknown>;
  const playbook = {
    ...base,
    channels: ['email', 'sms'],
    delays: { thankYou: '1s' },
    quietHours: { start: '00:00', end: '00:00' },
    frequencyCap: { max: 20, per: '1 day' },
    operator: { email: 'owner@test.example' },
    followUps: {
      survey: { after: '1s', reminderAfter: '60s', window: '120s', changeWindow: '1s', satisfiedAt: 4 },
      review: { url: 'https://reviews.example/test-shop', referralAfter: '1 hour' },
    },
  };
  const file = path.join(tmp, 'playbook.yaml');
  writeFileSync(file, YAML.stringify(playbook));
  return file;
}

// pino-pretty colours its output even into a pipe.
// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');

/** Pretty log entries: a "[HH:MM:ss] LEVEL…" line and the indented fields under it. */
function logEntries(text: string): string[] {
  const entries: string[] = [];
  for (const line of text.split('\n')) {
    if (/^\[\d\d:\d\d:\d\d(\.\d+)?\] [A-Z]+/.test(line) || entries.length === 0) entries.push(line);
    else entries[entries.length - 1] += `\n${line}`;
  }
  return entries;
}

describe('logs at debug level', () => {
  it('never carry the customer’s name, email, phone or comment, nor IPs on token pages', async () => {
    resend = await startFakeResend();
    twilio = await startFakeTwilio();
    const apiPort = await freePort();
    const publicUrl = `http://127.0.0.1:${apiPort}`;
    app = await spawnApp({
      LOG_LEVEL: 'debug',
      AFTERCARE_DATA_DIR: path.join(tmp, 'data'),
      AFTERCARE_PORT: String(apiPort),
      AFTERCARE_PUBLIC_URL: publicUrl,
      AFTERCARE_API_KEY: API_KEY,
      AFTERCARE_PLAYBOOK: writePlaybook(),
      TEMPORAL_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      RESEND_API_KEY: resend.apiKey,
      RESEND_BASE_URL: resend.url,
      EMAIL_FROM: 'Test Shop <orders@test.example>',
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_FROM: TWILIO_MAGIC_FROM,
      TWILIO_API_BASE_URL: twilio.url,
      TWILIO_MESSAGING_SERVICE_SID: undefined,
    });
    const { api } = app;
    const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
    const post = (url: string, body: unknown) =>
      fetch(`${api}${url}`, { method: 'POST', headers, body: JSON.stringify(body) });

    // The first email is refused naming the address (permanent: the journey falls back to SMS); one SMS fails once.
    resend.failNext(1, resendFailures.validation(`Invalid \`to\` field: ${EMAIL}`));
    twilio.failNext(1, twilioFailures.serverError());

    const orderId = uniqueId('ord');
    const customerId = uniqueId('cus');
    const created = await post('/v1/orders', {
      orderId,
      customer: { id: customerId, name: NAME, email: EMAIL, phone: PHONE, locale: 'en', timeZone: 'Europe/London' },
      items: [{ sku: 'MUG-1', name: 'Blue mug', quantity: 2, unitPrice: 12.5 }],
      currency: 'EUR',
      total: 25,
    });
    expect(created.status).toBe(201);
    for (const update of [
      { stage: 'confirmed', note: `Call us back on ${PHONE}` },
      { stage: 'delayed', reason: `We could not reach ${EMAIL}` },
      { stage: 'shipped', note: `Courier will ring ${PHONE}` },
      { stage: 'delivered' },
    ]) {
      expect((await post(`/v1/orders/${orderId}/stage`, update)).status).toBe(200);
    }

    // A link the app sent (path only), from whichever channel carried it.
    const linkIn = (kind: string) => {
      const texts = [...twilio!.sent.map((m) => m.body), ...resend!.sent.map((m) => m.text ?? '')];
      const re = new RegExp(`${publicUrl}(/${kind}/[A-Za-z0-9._-]+)`);
      for (const text of texts) {
        const match = re.exec(text);
        if (match) return match[1]!;
      }
      throw new Error(`no /${kind}/ link yet`);
    };
    const surveyPath = await eventually(async () => linkIn('survey'), { timeoutMs: 60_000 });
    expect((await fetch(`${api}${surveyPath}`)).status).toBe(200);
    const answer = await fetch(`${api}${surveyPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ rating: '5', comment: COMMENT }).toString(),
    });
    expect(answer.status).toBe(200);

    const reviewPath = await eventually(async () => linkIn('r'), { timeoutMs: 30_000 });
    const click = await fetch(`${api}${reviewPath}`, { redirect: 'manual' });
    expect(click.status).toBe(302);
    expect(click.headers.get('location')).toBe('https://reviews.example/test-shop');
    // The review ask is marketing: its unsubscribe link shows a page (GET) and unsubscribes (one-click POST).
    const unsubscribePath = linkIn('unsubscribe');
    expect((await fetch(`${api}${unsubscribePath}`)).status).toBe(200);
    expect((await fetch(`${api}${unsubscribePath}`, { method: 'POST' })).status).toBe(200);

    // STOP from the customer's phone, signed as Twilio signs it: public URL + path, sorted form fields.
    const form = {
      MessageSid: `SM${randomBytes(16).toString('hex')}`,
      From: PHONE,
      To: TWILIO_MAGIC_FROM,
      Body: 'STOP',
    };
    const inboundPath = '/webhooks/twilio/inbound';
    const stop = await fetch(`${api}${inboundPath}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(twilio.authToken, publicUrl + inboundPath, form),
      },
      body: new URLSearchParams(form).toString(),
    });
    expect(stop.status).toBe(200);

    const customer = await eventually(async () => {
      const res = await fetch(`${api}/v1/customers/${customerId}`, { headers });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { consent: { channels: { sms?: { blocked?: { reason: string } } } } };
      expect(body.consent.channels.sms?.blocked?.reason).toBe('opted-out');
      return body;
    });
    expect(customer).toMatchObject({ profile: { name: NAME, email: EMAIL, phone: PHONE } });
    const order = await eventually(async () => {
      const body = (await (await fetch(`${api}/v1/orders/${orderId}`, { headers })).json()) as {
        feedback?: { rating: number; comment?: string };
        reviewClicks: unknown[];
        messages: { key: string; status: string; attempts: { channel: string; outcome: string }[] }[];
      };
      expect(body.feedback).toMatchObject({ rating: 5, comment: COMMENT });
      expect(body.reviewClicks.length).toBeGreaterThanOrEqual(1);
      return body;
    });
    // The refused email fell back to SMS; the SMS that failed once was retried and sent.
    const placed = order.messages.find((m) => m.key === 'status-placed')!;
    expect(placed.status).toBe('sent');
    expect(placed.attempts.map((a) => `${a.channel}:${a.outcome}`)).toContain('email:failed');
    expect(placed.attempts.map((a) => `${a.channel}:${a.outcome}`)).toContain('sms:sent');
    expect(resend.sent.some((m) => m.to.includes(EMAIL) && m.text?.includes('/survey/'))).toBe(true);
    expect(twilio.requests.filter((r) => r.method === 'POST').length).toBeGreaterThanOrEqual(2);
    expect(twilio.sent.some((m) => m.to === PHONE)).toBe(true);

    expect(await app.stop()).toBe(0);

    const logs = stripAnsi(app.output());
    expect(logs).toMatch(/\bDEBUG\b/);
    expect(logs).toMatch(/\/survey\/\[token\]/);
    const leaks = (needle: string) => logEntries(logs).filter((e) => e.toLowerCase().includes(needle.toLowerCase()));
    for (const needle of [EMAIL, PHONE, PHONE.slice(1), NAME, `Qx${tag}`, COMMENT]) {
      expect(leaks(needle), `"${needle}" in the logs`).toEqual([]);
    }
    // The tokens are credentials (the survey's carries the first name, base64-encoded): not in the logs either.
    for (const link of [surveyPath, reviewPath, unsubscribePath]) {
      expect(leaks(link.split('/')[2]!), `${link.split('/')[1]} token in the logs`).toEqual([]);
    }
    const tokenPages = logEntries(logs).filter((e) => /\/(survey|r|unsubscribe)\/\[token\]/.test(e));
    expect(tokenPages.length).toBeGreaterThanOrEqual(5);
    expect(tokenPages.filter((e) => /remoteAddress|\b127\.0\.0\.1\b|"ip"/.test(e))).toEqual([]);
  }, 180_000);
});
