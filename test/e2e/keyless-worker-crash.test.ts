import { readFileSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { TwilioSmsAdapter } from '../../src/channels/sms/twilio/adapter';
import { TelegramAdapter } from '../../src/channels/telegram/telegraf/adapter';
import type { ChannelAdapter } from '../../src/channels/types';
import { parsePlaybook } from '../../src/playbook/load';
import type { PlaybookInput } from '../../src/playbook/schema';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-server';
import { startFakeTwilio, TWILIO_MAGIC_FROM, type FakeTwilio } from '../fakes/twilio-server';
import { eventually, FAST_PLAYBOOK, sampleOrder, startHarness, uniqueId, type Harness } from '../support/harness';
import { aftercareClientOf, startWorkerProcess, type SpawnedWorker } from '../support/spawned-worker';

/**
 * #13's worker-kill drill found SMS, Telegram and WhatsApp messages sent twice: a worker died after the provider
 * took the message, Temporal retried the send on another worker, and providers without an idempotency key took it
 * again. Here a worker dies (SIGKILL) while both fakes hold an SMS and a Telegram message; another worker takes over:
 * the SMS is found in Twilio's list and recorded as sent, the Telegram message is not resent and is recorded as
 * outcome unknown, and not sent by email instead. Each customer gets each message once.
 */
let twilio: FakeTwilio | undefined;
let telegram: FakeTelegram | undefined;
let h: Harness | undefined;
let worker: SpawnedWorker | undefined;
let connection: Connection | undefined;

afterAll(async () => {
  await worker?.killWithoutDrain();
  await h?.stop();
  await connection?.close();
  await twilio?.close();
  await telegram?.close();
});

describe('a worker that dies mid-send on providers without an idempotency key', () => {
  it('sends the SMS once (found by a lookup) and the Telegram message once (not resent, outcome unknown)', async () => {
    twilio = await startFakeTwilio();
    telegram = await startFakeTelegram();
    // The providers are still working on the messages when the worker dies.
    twilio.setLatency(8_000);
    telegram.setLatency(8_000);
    const taskQueue = uniqueId('crash-keyless');
    worker = await startWorkerProcess(taskQueue, {
      twilio: { url: twilio.url, accountSid: twilio.accountSid, authToken: twilio.authToken, from: TWILIO_MAGIC_FROM },
      telegram: { apiRoot: telegram.apiRoot, token: telegram.token },
    });

    connection = await Connection.connect({ address: worker.options.address });
    const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as PlaybookInput;
    const aftercare = aftercareClientOf(
      worker,
      connection,
      parsePlaybook({ ...base, channels: ['telegram', 'sms', 'email'] }),
    );
    const phone = '+447700900777';
    const chat = '700900777';
    const bySms = sampleOrder({}, { email: undefined, phone });
    // An email address too: a message that may have reached Telegram must not go out again by email.
    const byTelegram = sampleOrder({}, { email: 'tg-crash@example.com', telegramChatId: chat });
    await Promise.all([aftercare.startOrderJourney(bySms), aftercare.startOrderJourney(byTelegram)]);

    // Both sends are at their provider: kill the worker there and then, without a chance to drain.
    await eventually(
      async () => {
        expect(twilio!.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
        expect(telegram!.requests.filter((r) => r.apiMethod === 'sendMessage')).toHaveLength(1);
      },
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    await worker.killWithoutDrain();
    twilio.setLatency(0);
    telegram.setLatency(0);

    // Another worker takes over; each send times out (startToClose 30 s) and is retried there.
    h = await startHarness({
      taskQueue,
      channels: {
        sms: new TwilioSmsAdapter({
          accountSid: twilio.accountSid,
          authToken: twilio.authToken,
          from: TWILIO_MAGIC_FROM,
          baseUrl: twilio.url,
        }) as ChannelAdapter,
        telegram: new TelegramAdapter({ botToken: telegram.token, apiRoot: telegram.apiRoot }) as ChannelAdapter,
      },
    });
    const [sms, tg] = await eventually(
      async () => {
        const s = await aftercare.getOrderJourney(bySms.orderId);
        const t = await aftercare.getOrderJourney(byTelegram.orderId);
        expect(s.messages[0]?.status).toBe('sent');
        expect(t.messages[0]?.status).toBe('failed');
        return [s, t] as const;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );

    expect(twilio.sent.filter((m) => m.to === phone)).toHaveLength(1);
    expect(sms.messages[0]!.attempts).toEqual([
      expect.objectContaining({ channel: 'sms', outcome: 'sent', providerMessageId: twilio.sent[0]!.sid }),
    ]);
    expect(twilio.requests.map((r) => r.method)).toEqual(['POST', 'GET']);

    expect(telegram.sent.filter((m) => String(m.chat_id) === chat)).toHaveLength(1);
    expect(telegram.requests.filter((r) => r.apiMethod === 'sendMessage')).toHaveLength(1);
    expect(tg.messages[0]!.reason).toMatch(/^outcome unknown on telegram/);
    expect(tg.messages[0]!.attempts).toEqual([
      expect.objectContaining({
        channel: 'telegram',
        outcome: 'failed',
        error: expect.stringMatching(/^DeliveryOutcomeUnknown: telegram: attempt 1 may have sent/),
      }),
    ]);
  }, 180_000);
});
