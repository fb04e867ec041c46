/**
 * Local sandbox providers for the stack: the protocol-faithful fakes the tests use (test/fakes: real HTTP on
 * 127.0.0.1, real signatures), one per channel, so the whole stack sends through the real adapters while nothing
 * leaves the machine. stack:prod uses them for every channel whose provider is not configured; the drills always do,
 * and read what each fake received.
 */
import { randomBytes } from 'node:crypto';
import { startFakeResend, type FakeResend } from '../../test/fakes/resend-server';
import { startFakeTelegram, type FakeTelegram } from '../../test/fakes/telegram-server';
import { startFakeTwilio, TWILIO_MAGIC_FROM, type FakeTwilio } from '../../test/fakes/twilio-server';
import { startFakeWhatsApp, type FakeWhatsApp } from '../../test/fakes/whatsapp-server';
import { sandboxCertificate, startTlsFront } from './tls';

export interface SandboxProviders {
  resend: FakeResend;
  twilio: FakeTwilio;
  telegram: FakeTelegram;
  whatsapp: FakeWhatsApp;
  /** Webhook secrets the processes verify inbound calls with (the drills sign with them). */
  secrets: { resendWebhook: string; telegramWebhook: string; whatsappAppSecret: string; whatsappVerifyToken: string };
  /** Every provider variable the Aftercare processes need to send through the fakes. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Which channels have a real provider in `env` (those keep it; the others go to the sandbox). */
export function configuredChannels(env: Record<string, string | undefined>) {
  return {
    email: Boolean(env.RESEND_API_KEY),
    sms: Boolean(env.TWILIO_ACCOUNT_SID),
    telegram: Boolean(env.TELEGRAM_BOT_TOKEN),
    whatsapp: Boolean(env.WHATSAPP_TOKEN),
  };
}

/**
 * Starts the four fakes, each behind an https front (tls.ts) whose certificate `certDir` keeps: the processes get
 * https URLs and NODE_EXTRA_CA_CERTS, and run with NODE_ENV=production as they would in a deployment.
 */
export async function startSandboxProviders(certDir: string): Promise<SandboxProviders> {
  const [resend, twilio, telegram, whatsapp] = await Promise.all([
    startFakeResend(),
    startFakeTwilio(),
    startFakeTelegram(),
    startFakeWhatsApp(),
  ]);
  const cert = sandboxCertificate(certDir);
  const fronts = await Promise.all(
    [resend.url, twilio.url, telegram.apiRoot, whatsapp.url].map((u) => startTlsFront(u, cert)),
  );
  const [resendUrl, twilioUrl, telegramUrl, whatsappUrl] = fronts.map((f) => f.url) as [string, string, string, string];
  const secrets = {
    // Svix-style secret, as Resend issues them.
    resendWebhook: `whsec_${randomBytes(24).toString('base64')}`,
    telegramWebhook: randomBytes(16).toString('hex'),
    whatsappAppSecret: randomBytes(16).toString('hex'),
    whatsappVerifyToken: randomBytes(8).toString('hex'),
  };
  const env = {
    RESEND_API_KEY: resend.apiKey,
    RESEND_BASE_URL: resendUrl,
    RESEND_WEBHOOK_SECRET: secrets.resendWebhook,
    EMAIL_FROM: 'Aftercare Sandbox <orders@sandbox.example>',
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_FROM: TWILIO_MAGIC_FROM,
    TWILIO_API_BASE_URL: twilioUrl,
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_BOT_USERNAME: 'aftercare_sandbox_bot',
    TELEGRAM_API_ROOT: telegramUrl,
    TELEGRAM_WEBHOOK_SECRET: secrets.telegramWebhook,
    WHATSAPP_TOKEN: whatsapp.token,
    WHATSAPP_PHONE_NUMBER_ID: whatsapp.phoneNumberId,
    WHATSAPP_API_BASE_URL: whatsappUrl,
    NODE_EXTRA_CA_CERTS: cert.certFile,
    WHATSAPP_APP_SECRET: secrets.whatsappAppSecret,
    WHATSAPP_VERIFY_TOKEN: secrets.whatsappVerifyToken,
  };
  return {
    resend,
    twilio,
    telegram,
    whatsapp,
    secrets,
    env,
    close: async () => {
      await Promise.all(fronts.map((f) => f.close()));
      await Promise.all([resend.close(), twilio.close(), telegram.close(), whatsapp.close()]);
    },
  };
}
