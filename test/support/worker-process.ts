/**
 * A worker in its own process, so a test can kill it mid-send (SIGKILL: no drain, no goodbye). Spawned by
 * ./spawned-worker.ts as `node --import tsx worker-process.ts <options as JSON>`: configured through argv, never by
 * environment variables. It serves the channels whose provider the options name (Resend email, Twilio SMS, Telegram).
 * Import only its types elsewhere: importing its values would run a worker.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ResendEmailAdapter } from '../../src/channels/email/resend/adapter';
import { TwilioSmsAdapter } from '../../src/channels/sms/twilio/adapter';
import { TelegramAdapter } from '../../src/channels/telegram/telegraf/adapter';
import type { Channel, ChannelAdapter } from '../../src/channels/types';
import { deriveKeys } from '../../src/lib/keys';
import { createLogger } from '../../src/logger';
import { createRenderer } from '../../src/messages/renderer';
import { installTemporalRuntime } from '../../src/runtime';
import { dataConverterFor } from '../../src/temporal/codec';
import { createWorker } from '../../src/worker';

/** The fake providers the worker sends through; a channel whose provider is absent is not served. */
export interface WorkerProcessProviders {
  resend?: { url: string; apiKey: string };
  twilio?: { url: string; accountSid: string; authToken: string; from: string };
  telegram?: { apiRoot: string; token: string };
}

export interface WorkerProcessOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  bundlePath: string;
  providers: WorkerProcessProviders;
  secret: string;
}

function channelsFor(providers: WorkerProcessProviders): Partial<Record<Channel, ChannelAdapter>> {
  const { resend, twilio, telegram } = providers;
  return {
    ...(resend && {
      email: new ResendEmailAdapter({ apiKey: resend.apiKey, baseUrl: resend.url }) as ChannelAdapter,
    }),
    ...(twilio && {
      sms: new TwilioSmsAdapter({
        accountSid: twilio.accountSid,
        authToken: twilio.authToken,
        from: twilio.from,
        baseUrl: twilio.url,
      }) as ChannelAdapter,
    }),
    ...(telegram && {
      telegram: new TelegramAdapter({ botToken: telegram.token, apiRoot: telegram.apiRoot }) as ChannelAdapter,
    }),
  };
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as WorkerProcessOptions;
  installTemporalRuntime(createLogger('error'));
  const keys = deriveKeys(opts.secret);
  const dataConverter = dataConverterFor(keys.payloads);
  const connection = await Connection.connect({ address: opts.address });
  const worker = await createWorker({
    connection: await NativeConnection.connect({ address: opts.address }),
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    dataConverter,
    // Fast enough for tests and scripts: the fakes take any rate.
    sendRates: { email: 1000, sms: 1000, telegram: 1000, whatsapp: 1000 },
    workflowBundle: { codePath: opts.bundlePath },
    activities: {
      renderer: await createRenderer(),
      channels: channelsFor(opts.providers),
      client: new Client({ connection, namespace: opts.namespace, dataConverter }),
      keys,
      publicUrl: 'http://aftercare.test',
    },
  });
  process.stdout.write('worker ready\n'); // what ./spawned-worker.ts waits for
  await worker.run();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
