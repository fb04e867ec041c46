/**
 * A worker in its own process with the providers that have no idempotency key (Twilio SMS, Telegram), so
 * keyless-worker-crash.test.ts can kill it mid-send (SIGKILL). Configured through argv (JSON), like
 * test/support/worker-process.ts, which serves email only.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { TwilioSmsAdapter } from '../../src/channels/sms/twilio/adapter';
import { TelegramAdapter } from '../../src/channels/telegram/telegraf/adapter';
import type { ChannelAdapter } from '../../src/channels/types';
import { deriveKeys } from '../../src/lib/keys';
import { createLogger } from '../../src/logger';
import { createRenderer } from '../../src/messages/renderer';
import { installTemporalRuntime } from '../../src/runtime';
import { dataConverterFor } from '../../src/temporal/codec';
import { createWorker } from '../../src/worker';

export interface KeylessWorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  bundlePath: string;
  twilio: { url: string; accountSid: string; authToken: string; from: string };
  telegram: { apiRoot: string; token: string };
  secret: string;
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as KeylessWorkerOptions;
  installTemporalRuntime(createLogger('error'));
  const keys = deriveKeys(opts.secret);
  const dataConverter = dataConverterFor(keys.payloads);
  const connection = await Connection.connect({ address: opts.address });
  const worker = await createWorker({
    connection: await NativeConnection.connect({ address: opts.address }),
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    dataConverter,
    sendRates: { email: 1000, sms: 1000, telegram: 1000, whatsapp: 1000 },
    workflowBundle: { codePath: opts.bundlePath },
    activities: {
      renderer: await createRenderer(),
      channels: {
        sms: new TwilioSmsAdapter({
          accountSid: opts.twilio.accountSid,
          authToken: opts.twilio.authToken,
          from: opts.twilio.from,
          baseUrl: opts.twilio.url,
        }) as ChannelAdapter,
        telegram: new TelegramAdapter({
          botToken: opts.telegram.token,
          apiRoot: opts.telegram.apiRoot,
        }) as ChannelAdapter,
      },
      client: new Client({ connection, namespace: opts.namespace, dataConverter }),
      keys,
      publicUrl: 'http://aftercare.test',
    },
  });
  process.stdout.write('worker ready\n');
  await worker.run();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
