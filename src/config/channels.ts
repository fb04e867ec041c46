import { z } from 'zod';
import { optionalString } from './fields';

/** The channels messages go out on and their providers: email (Resend), SMS (Twilio), Telegram, WhatsApp. */
export const channelsEnv = {
  /**
   * Messages per second each channel's provider takes ("email=2,sms=1"), across all workers. Defaults: Resend's
   * default team limit (2 requests/s), one Twilio long code (1 message/s), Telegram's broadcast guidance
   * (30 messages/s) and the WhatsApp Cloud API's default throughput (80 messages/s).
   */
  AFTERCARE_SEND_RATES: optionalString.pipe(
    z
      .string()
      .regex(
        /^(email|sms|telegram|whatsapp)=\d+(\.\d+)?(,(email|sms|telegram|whatsapp)=\d+(\.\d+)?)*$/,
        'use channel=messages-per-second pairs, e.g. "email=2,sms=1"',
      )
      .optional(),
  ),
  /** auto: channels without credentials write to the dev outbox (development only); off: they fail. */
  AFTERCARE_OUTBOX: z.enum(['auto', 'off']).optional(),

  RESEND_API_KEY: optionalString,
  RESEND_WEBHOOK_SECRET: optionalString,
  RESEND_BASE_URL: optionalString.pipe(z.url().optional()),
  EMAIL_FROM: optionalString,

  TWILIO_ACCOUNT_SID: optionalString,
  TWILIO_AUTH_TOKEN: optionalString,
  TWILIO_FROM: optionalString,
  TWILIO_MESSAGING_SERVICE_SID: optionalString,
  TWILIO_API_BASE_URL: optionalString.pipe(z.url().optional()),

  TELEGRAM_BOT_TOKEN: optionalString,
  TELEGRAM_BOT_USERNAME: optionalString,
  TELEGRAM_API_ROOT: optionalString.pipe(z.url().optional()),
  TELEGRAM_WEBHOOK_SECRET: optionalString.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,256}$/, 'use 1-256 characters from A-Z, a-z, 0-9, _ and -')
      .optional(),
  ),

  WHATSAPP_TOKEN: optionalString,
  WHATSAPP_PHONE_NUMBER_ID: optionalString,
  WHATSAPP_API_BASE_URL: optionalString.pipe(z.url().optional()),
  WHATSAPP_GRAPH_VERSION: optionalString.pipe(
    z
      .string()
      .regex(/^v\d+\.\d+$/, 'e.g. "v26.0"')
      .optional(),
  ),
  WHATSAPP_APP_SECRET: optionalString,
  WHATSAPP_VERIFY_TOKEN: optionalString,
};

const DEFAULT_SEND_RATES = { email: 2, sms: 1, telegram: 30, whatsapp: 80 };

/** AFTERCARE_SEND_RATES over the defaults; its pattern has already refused anything malformed. */
export function sendRates(text: string | undefined): Record<keyof typeof DEFAULT_SEND_RATES, number> {
  const rates = { ...DEFAULT_SEND_RATES };
  for (const pair of text?.split(',') ?? []) {
    const [channel, rate] = pair.split('=') as [keyof typeof rates, string];
    rates[channel] = Number(rate);
  }
  return rates;
}
