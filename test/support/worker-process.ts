/**
 * A worker in its own process, so a test can kill it mid-send (SIGKILL: no drain, no goodbye).
 * Configured by the parent test through argv (JSON), never by environment variables.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ResendEmailAdapter } from '../../src/channels/email/resend/adapter';
import type { ChannelAdapter } from '../../src/channels/types';
import { deriveKeys } from '../../src/lib/keys';
import { createLogger } from '../../src/logger';
import { createRenderer } from '../../src/messages/renderer';
import { installTemporalRuntime } from '../../src/runtime';
import { dataConverterFor } from '../../src/temporal/codec';
import { createWorker } from '../../src/worker';

interface Options {
  address: string;
  namespace: string;
  taskQueue: string;
  bundlePath: string;
  resend: { url: string; apiKey: string };
  secret: string;
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as Options;
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
      channels: {
        email: new ResendEmailAdapter({ apiKey: opts.resend.apiKey, baseUrl: opts.resend.url }) as ChannelAdapter,
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
