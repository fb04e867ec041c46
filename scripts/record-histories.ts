/**
 * Records the histories the replay test checks new workflow code against
 * (`npm run record-histories`). Run it when a workflow change is *meant* to be incompatible and
 * has been guarded with patched(); keep the old files too, so both paths stay proven.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection } from '@temporalio/worker';
import YAML from 'yaml';
import { OutcomeUnknownError } from '../src/channels/errors';
import { FileOutbox, OutboxChannelAdapter } from '../src/channels/outbox';
import type { ChannelAdapter } from '../src/channels/types';
import { AftercareClient } from '../src/client';
import { loadConfig } from '../src/config';
import { deriveKeys } from '../src/lib/keys';
import { customerEventSignal, customerLifecycleId } from '../src/workflows/customer/contract';
import { orderJourneyId } from '../src/workflows/order/contract';
import { createLogger } from '../src/logger';
import { createRenderer } from '../src/messages/renderer';
import { parsePlaybook } from '../src/playbook/load';
import { CHANNELS } from '../src/channels/types';
import { installTemporalRuntime } from '../src/runtime';
import { dataConverterFor } from '../src/temporal/codec';
import { startDevServer } from '../src/temporal/dev-server';
import { ensureSearchAttributes } from '../src/temporal/search-attributes';
import { createWorker } from '../src/worker';

/** Bump when a workflow change is guarded by patched(): old files stay and keep proving the old path. */
const HISTORY_VERSION = 'v8';
/** TEST_SECRET of test/support/harness.ts: the replay test decrypts these histories with its keys. */
const KEYS = deriveKeys('test-secret-0123456789abcdef0123456789');

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('info');
  installTemporalRuntime(createLogger('warn'));
  const server = await startDevServer({
    port: 0,
    uiPort: null,
    namespace: 'default',
    dbFile: undefined,
    cliPath: config.temporal.cliPath,
    cacheDir: config.system.cacheDir,
    env: config.system.childEnv,
    allowBuild: true,
    log,
  });
  try {
    const connection = await Connection.connect({ address: server.address });
    await ensureSearchAttributes(connection, 'default', log);
    const dataConverter = dataConverterFor(KEYS.payloads);
    const client = new Client({ connection, dataConverter });
    const outbox = new FileOutbox(mkdtempSync(path.join(os.tmpdir(), 'aftercare-record-')));
    const channels: Record<string, ChannelAdapter> = Object.fromEntries(
      CHANNELS.map((c) => [c, new OutboxChannelAdapter(outbox, c)]),
    );
    // v8: the delay notice's send ends with its outcome unknown (as a keyless provider's send cut off by a dying
    // worker does): patched 'outcome-unknown-ends-delivery' ends that message there, no other channel is tried.
    const email = channels.email!;
    channels.email = Object.assign(Object.create(email) as ChannelAdapter, {
      send: (message: Parameters<ChannelAdapter['send']>[0]) =>
        message.meta.messageKey === 'delayed-1'
          ? Promise.reject(new OutcomeUnknownError('record: an earlier attempt may have sent this', 'record'))
          : email.send(message),
    });
    const taskQueue = 'record-histories';
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    const worker = await createWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      dataConverter,
      // Fast enough for tests and scripts: the fakes take any rate.
      sendRates: { email: 1000, sms: 1000, telegram: 1000, whatsapp: 1000 },
      activities: {
        renderer: await createRenderer(),
        channels,
        client,
        keys: KEYS,
        publicUrl: 'http://aftercare.test',
      },
    });
    const fast = YAML.parse(readFileSync(path.resolve(__dirname, '..', 'test', 'playbook.fast.yaml'), 'utf8'));
    // Every step a journey can take: the offer and quiet hours that never bite (00:00-00:00).
    const playbook = parsePlaybook({
      ...fast,
      quietHours: { start: '00:00', end: '00:00' },
      operator: { email: 'owner@record.example' },
      frequencyCap: { max: 10, per: '1 day' },
      loyalty: { tiers: [{ id: 'regular', label: 'Regular', minOrders: 1, discountPercent: 5 }], cashbackPercent: 5 },
      winback: { after: '1 hour' },
      // A/B variants (v6): the journey deals each message its customer's variant and counts per variant.
      messages: {
        ...fast.messages,
        survey: {
          variants: [
            { id: 'a', weight: 50 },
            { id: 'ask', weight: 50, subject: { en: 'Quick question' } },
          ],
        },
        review_request: {
          experiment: 'record',
          variants: [
            { id: 'a', weight: 1 },
            { id: 'b', weight: 1, subject: { en: 'A review?' } },
          ],
        },
      },
      // The questionnaire (v7): answers give the customer's messages their interests (personal data in permits).
      questionnaire: {
        afterOrders: 1,
        questions: [
          {
            id: 'interests',
            kind: 'multi',
            use: 'interests',
            label: { en: 'What do you like?' },
            options: [{ id: 'tea', label: { en: 'tea', bn: 'চা' } }],
          },
        ],
      },
      followUps: {
        survey: { after: '1s', reminderAfter: '1s', window: '3s', changeWindow: '1s' },
        review: { url: 'https://reviews.example/record' },
        offer: { after: '1s', discountPercent: 10, services: [{ name: 'Gift wrapping' }] },
        warranty: { leadTime: '800 days' },
      },
    });
    const aftercare = new AftercareClient({ client, playbook, taskQueue, keys: KEYS });

    await worker.runUntil(async () => {
      const order = {
        orderId: 'replay-1',
        customer: {
          id: 'replay-customer',
          name: 'Replay',
          email: 'replay@example.com',
          phone: '+8801711000001',
          locale: 'bn',
        },
        items: [{ sku: 'S', name: 'Sofa', quantity: 1, unitPrice: 499, warrantyMonths: 24 }],
        currency: 'EUR',
        total: 499,
      };
      await aftercare.startOrderJourney(order);
      await aftercare.advanceStage(order.orderId, { stage: 'confirmed' });
      await aftercare.advanceStage(order.orderId, {
        stage: 'shipped',
        note: 'Tracking 42',
        eta: '2030-01-01T10:00:00Z',
      });
      await aftercare.advanceStage(order.orderId, { stage: 'delayed', reason: 'Weather', eta: '2030-01-03T10:00:00Z' });
      await aftercare.advanceStage(order.orderId, { stage: 'problem', reason: 'Box damaged; replacement sent' });
      await aftercare.advanceStage(order.orderId, { stage: 'delivered' });
      // Answer the survey once it is out, then change the answer: both paths land in the history.
      const deadline = Date.now() + 60_000;
      for (;;) {
        const journey = await aftercare.getOrderJourney(order.orderId);
        const survey = journey.messages.find((m) => m.key === 'survey');
        if (survey && survey.status !== 'pending' && survey.status !== 'waiting') break;
        if (Date.now() > deadline) throw new Error(`the survey was not sent: ${JSON.stringify(journey.next)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      // v7: the customer writes back (a question, forwarded; then "3" by SMS, the answer), answers the questionnaire
      // and changes their preferences on their page; then the answer changes on the rating page.
      // As the reply router sends it: one inbound event to the customer's lifecycle, which hands it to the journey.
      const lifecycleHandle = client.workflow.getHandle(customerLifecycleId(order.customer.id));
      const reply = (text: string, n: number, rating?: number) =>
        lifecycleHandle.signal(customerEventSignal, {
          type: 'inbound',
          channel: 'sms',
          source: 'sms',
          text,
          orderId: order.orderId,
          ...(rating ? { rating } : {}),
          eventId: `twilio:SMrecord${n}`,
          at: new Date().toISOString(),
        });
      await reply('where is my parcel?', 1);
      await reply('3', 2, 3);
      // The signal is durable at once; the journey takes the answer a moment later: wait, so the change below follows.
      for (const until = Date.now() + 30_000; !(await aftercare.getOrderJourney(order.orderId)).feedback;) {
        if (Date.now() > until) throw new Error('the reply "3" did not reach the journey');
        await new Promise((r) => setTimeout(r, 200));
      }
      // The questionnaire opens once its invitation went out (after the first completed order here).
      for (const until = Date.now() + 30_000; ;) {
        try {
          await aftercare.questionnaire.answer(
            order.customer.id,
            { interests: ['tea'] },
            'record-answers',
            new Date().toISOString(),
          );
          break;
        } catch (err) {
          if (Date.now() > until) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      await aftercare.preferences.save(order.customer.id, {
        topicsOff: ['winback'],
        locale: 'en',
        eventId: 'record-preferences',
        source: 'preferences-page',
        at: new Date().toISOString(),
      });
      await aftercare.submitFeedback(order.orderId, { rating: 5, comment: 'Great', source: 'record' });
      await client.workflow.getHandle(orderJourneyId(order.orderId)).result();

      const dir = path.resolve(__dirname, '..', 'test', 'histories');
      mkdirSync(dir, { recursive: true });
      for (const [name, workflowId] of [
        ['order-journey', orderJourneyId(order.orderId)],
        ['customer-lifecycle', customerLifecycleId(order.customer.id)],
      ] as const) {
        const history = await client.workflow.getHandle(workflowId).fetchHistory();
        const file = path.join(dir, `${name}.${HISTORY_VERSION}.json`);
        writeFileSync(file, `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
        log.info({ file, events: history.events?.length }, 'recorded');
      }
    });
    await nativeConnection.close();
    await connection.close();
  } finally {
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
