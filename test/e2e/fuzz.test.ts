/**
 * The fuzz drill (scripts/drill/fuzz.ts) itself, small, against `npm start` with every webhook configured: generated
 * bodies on every /v1 route and webhook get no 5xx and start no workflow the API did not accept. The 10,000-body run
 * is `npm run drill -- --only fuzz`.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/temporal/dev-server';
import { dataConverterFor } from '../../src/temporal/codec';
import { runFuzz, type WebhookSecrets } from '../../scripts/drill/fuzz';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-server';
import { startFakeTwilio, TWILIO_MAGIC_FROM, type FakeTwilio } from '../fakes/twilio-server';
import { FAST_PLAYBOOK, TEST_KEYS, TEST_SECRET } from '../support/harness';
import { spawnApp, stopAll, type SpawnedApp } from '../support/spawn-app';

const API_KEY = 'fuzz-test-api-key-0123456789';
const RUNS = Number(process.env.FUZZ_TEST_RUNS ?? 300);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'aftercare-fuzz-'));
let app: SpawnedApp | undefined;
let twilio: FakeTwilio | undefined;
let telegram: FakeTelegram | undefined;
let connection: Connection | undefined;

afterAll(async () => {
  await connection?.close();
  await stopAll([app]);
  await twilio?.close();
  await telegram?.close();
});

describe('the fuzz drill', () => {
  it(
    `sends ${RUNS} generated requests to every /v1 route and webhook: no 5xx, no workflow from a rejected one`,
    async () => {
      twilio = await startFakeTwilio();
      telegram = await startFakeTelegram();
      const apiPort = await freePort();
      const temporalPort = await freePort();
      const publicUrl = `http://127.0.0.1:${apiPort}`;
      const secrets: Required<WebhookSecrets> = {
        resend: `whsec_${Buffer.from('fuzz-resend-webhook-secret').toString('base64')}`,
        twilioAuthToken: twilio.authToken,
        telegram: 'fuzz-telegram-secret',
        whatsapp: { appSecret: 'fuzz-whatsapp-app-secret', verifyToken: 'fuzz-verify' },
        shopify: 'fuzz-shopify-secret',
        woocommerce: 'fuzz-woocommerce-secret',
      };
      app = await spawnApp({
        LOG_LEVEL: 'warn',
        AFTERCARE_DATA_DIR: path.join(tmp, 'data'),
        AFTERCARE_PORT: String(apiPort),
        AFTERCARE_PUBLIC_URL: publicUrl,
        AFTERCARE_API_KEY: API_KEY,
        AFTERCARE_SECRET: TEST_SECRET,
        AFTERCARE_PLAYBOOK: FAST_PLAYBOOK,
        TEMPORAL_PORT: String(temporalPort),
        TEMPORAL_UI_PORT: String(await freePort()),
        RESEND_WEBHOOK_SECRET: secrets.resend,
        TWILIO_ACCOUNT_SID: twilio.accountSid,
        TWILIO_AUTH_TOKEN: twilio.authToken,
        TWILIO_FROM: TWILIO_MAGIC_FROM,
        TWILIO_API_BASE_URL: twilio.url,
        TWILIO_MESSAGING_SERVICE_SID: undefined,
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegram.apiRoot,
        TELEGRAM_WEBHOOK_SECRET: secrets.telegram,
        WHATSAPP_APP_SECRET: secrets.whatsapp.appSecret,
        WHATSAPP_VERIFY_TOKEN: secrets.whatsapp.verifyToken,
        SHOPIFY_WEBHOOK_SECRET: secrets.shopify,
        WOOCOMMERCE_WEBHOOK_SECRET: secrets.woocommerce,
      });
      connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
      const client = new Client({ connection, dataConverter: dataConverterFor(TEST_KEYS.payloads) });

      const f = await runFuzz({
        apiUrls: [app.api],
        apiKey: API_KEY,
        publicUrl,
        secrets,
        client,
        runs: RUNS,
        // FUZZ_SEED and FUZZ_TEST_RUNS replay or widen a run: e.g. FUZZ_TEST_RUNS=10000 for the drill's size.
        seed: Number(process.env.FUZZ_SEED ?? 20261206),
      });
      // The figures, for the record (the drill prints the same).
      console.log(JSON.stringify({ ...f, routes: f.routes.length }));

      expect(f.fiveXxSamples).toEqual([]);
      expect(f.fiveXx).toBe(0);
      expect(f.transportErrors).toBe(0);
      expect(f.startedByInvalidSamples).toEqual([]);
      expect(f.startedByInvalid).toBe(0);
      // Every route of the app and every webhook was fuzzed, and signed deliveries got past their checks.
      expect(f.routesNotInTable).toEqual([]);
      expect(Object.keys(f.byRoute).sort()).toEqual([...f.routes].sort());
      expect(Object.keys(f.pastSignature).sort()).toEqual([
        'resend',
        'shopify',
        'telegram',
        'twilio',
        'whatsapp',
        'woocommerce',
      ]);
      for (const share of Object.values(f.pastSignature)) expect(share).toBeGreaterThan(90);
      // Some generated orders were valid, and their journeys are the census's explained ones.
      expect(f.acceptedCreates).toBeGreaterThan(0);
    },
    Math.max(240_000, RUNS * 60),
  );
});
