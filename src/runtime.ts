import path from 'node:path';
import { IllegalStateError } from '@temporalio/common';
import { DefaultLogger, makeTelemetryFilterString, Runtime, type LogLevel, type LogMetadata } from '@temporalio/worker';
import { ConfigError, type Config } from './config';
import { ResendEmailAdapter } from './channels/email/resend/adapter';
import { FileOutbox, OutboxChannelAdapter } from './channels/outbox';
import { TwilioSmsAdapter } from './channels/sms/twilio/adapter';
import { TelegramAdapter } from './channels/telegram/telegraf/adapter';
import { WhatsAppCloudAdapter } from './channels/whatsapp/cloud-api/adapter';
import type { ChannelAdapter } from './channels/types';
import type { Logger } from './logger';
import { createRenderer } from './messages/renderer';
import type { MessageRenderer } from './messages/types';
import { loadPlaybook } from './playbook/load';
import { freePort } from './temporal/dev-server';
import { type Playbook } from './playbook/schema';
import { CHANNELS, type Channel } from './channels/types';
import type { TenantSenders } from './activities/delivery/send-message';
import type { TenantSettings } from './tenants/file';

/** The SDK's routine worker lifecycle lines: worth seeing when debugging, noise on every start. */
const ROUTINE = new Set([
  'Worker state changed',
  'No Nexus services registered, not polling for Nexus tasks',
  // The senders (one per channel's send queue) run activities only, by design.
  'No workflows registered, not polling for workflow tasks',
]);

/** The SDK's Prometheus endpoint in this process, once a runtime was installed with one. */
let sdkMetricsUrl: string | undefined;

/**
 * Routes the Temporal SDK's own logs (worker, workflow and activity loggers, core) into pino and, given
 * `metricsBindAddress` (`sdkMetricsBindAddress`), exports the SDK's worker metrics and the workflows' own counters
 * (`src/workflows/metrics.ts`) on that address in Prometheus' format, with the SDK's names and labels. Returns the
 * endpoint's URL for /metrics to merge (undefined without one). One runtime per process: a second call keeps the
 * first (tests create several workers) and returns the first's endpoint.
 */
export function installTemporalRuntime(
  logger: Logger,
  opts: { metricsBindAddress?: string } = {},
): { sdkMetricsUrl: string | undefined } {
  const temporalLogger = logger.child({ component: 'temporal' });
  try {
    Runtime.install({
      logger: new DefaultLogger('INFO', ({ level, message, meta }) => {
        const fields: LogMetadata = { ...(meta ?? {}) };
        if ((level === 'INFO' || level === 'WARN') && ROUTINE.has(message)) temporalLogger.debug(fields, message);
        else temporalLogger[level.toLowerCase() as Lowercase<LogLevel>](fields, message);
      }),
      telemetryOptions: {
        logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
        ...(opts.metricsBindAddress ? { metrics: { prometheus: { bindAddress: opts.metricsBindAddress } } } : {}),
      },
    });
    if (opts.metricsBindAddress) sdkMetricsUrl = `http://${opts.metricsBindAddress}/metrics`;
  } catch (err) {
    // Already installed in this process (tests create several workers): keep the first.
    if (err instanceof IllegalStateError) return { sdkMetricsUrl };
    if (opts.metricsBindAddress && /prometheus/i.test((err as Error).message)) {
      throw new ConfigError([`AFTERCARE_SDK_METRICS_PORT: ${opts.metricsBindAddress}: ${(err as Error).message}`]);
    }
    throw err;
  }
  return { sdkMetricsUrl };
}

/**
 * Where the SDK's Prometheus endpoint binds: this machine only (/metrics serves it, behind the operators' key), on
 * AFTERCARE_SDK_METRICS_PORT, or a free port when that is 0.
 */
export async function sdkMetricsBindAddress(port: number): Promise<string> {
  return `127.0.0.1:${port === 0 ? await freePort() : port}`;
}

export interface ServiceDeps {
  playbook: Playbook;
  renderer: MessageRenderer;
  channels: Partial<Record<Channel, ChannelAdapter>>;
  /** Present when at least one channel delivers into the dev outbox. */
  outbox: FileOutbox | undefined;
  /** Which provider serves each channel, for the start-up banner. */
  providers: Record<Channel, string>;
  /** The tenants file's tenants (none without AFTERCARE_TENANTS): their playbooks and senders. */
  tenants: TenantServices[];
}

export interface TenantServices {
  id: string;
  playbook: Playbook;
  /** Its own adapters where it has its own accounts, the default's elsewhere; its own email sender. */
  senders: TenantSenders;
}

/** Wires the playbook, the renderer and one adapter per channel from the configuration. */
export async function createServiceDeps(config: Config): Promise<ServiceDeps> {
  const playbook = loadPlaybook(config.playbookPath);
  const renderer = await createRenderer();
  const outbox = config.outbox === 'auto' ? new FileOutbox(path.join(config.dataDir, 'outbox')) : undefined;
  const channels: Partial<Record<Channel, ChannelAdapter>> = {};
  if (config.email.resendApiKey) {
    channels.email = new ResendEmailAdapter({
      apiKey: config.email.resendApiKey,
      baseUrl: config.email.resendBaseUrl,
      from: config.email.from,
    }) as ChannelAdapter;
  }
  const twilio = config.sms.twilio;
  if (twilio) {
    channels.sms = new TwilioSmsAdapter({
      ...twilio,
      // Delivery reports come back to us, so undelivered SMS reach the customer's record.
      statusCallbackUrl: `${config.api.publicUrl}/webhooks/twilio/status`,
    }) as ChannelAdapter;
  }
  if (config.telegram.botToken) {
    channels.telegram = new TelegramAdapter({
      botToken: config.telegram.botToken,
      apiRoot: config.telegram.apiRoot,
    }) as ChannelAdapter;
  }
  if (config.whatsapp.token && config.whatsapp.phoneNumberId) {
    channels.whatsapp = new WhatsAppCloudAdapter({
      token: config.whatsapp.token,
      phoneNumberId: config.whatsapp.phoneNumberId,
      baseUrl: config.whatsapp.baseUrl,
      graphVersion: config.whatsapp.graphVersion,
    }) as ChannelAdapter;
  }
  for (const channel of CHANNELS) {
    if (!channels[channel] && outbox) channels[channel] = new OutboxChannelAdapter(outbox, channel) as ChannelAdapter;
  }
  const providers = Object.fromEntries(CHANNELS.map((c) => [c, channels[c]?.provider ?? 'not configured'])) as Record<
    Channel,
    string
  >;
  const missing = channelsUsedBy(playbook).filter((c) => !channels[c]);
  if (missing.length > 0) {
    // Better a clear refusal at start than every message on that channel failing one by one.
    throw new ConfigError(
      missing.map(
        (c) => `the playbook sends on ${c}, which has no provider: set ${PROVIDER_SETTINGS[c]}, or remove it`,
      ),
    );
  }
  const usesOutbox = Object.values(providers).includes('outbox');
  const tenants = config.tenants.map((t) => tenantServices(config, t, playbook, channels));
  return { playbook, renderer, channels, outbox: usesOutbox ? outbox : undefined, providers, tenants };
}

/** A tenant's playbook (the default's when it names none) and its senders, checked as the default's are. */
function tenantServices(
  config: Config,
  tenant: TenantSettings,
  defaultPlaybook: Playbook,
  defaultChannels: Partial<Record<Channel, ChannelAdapter>>,
): TenantServices {
  const playbook = tenant.playbook ? loadPlaybook(tenant.playbook) : defaultPlaybook;
  const channels = { ...defaultChannels };
  const resendApiKey = tenant.email?.resendApiKey ?? config.email.resendApiKey;
  if (resendApiKey) {
    // Resend sends as the adapter's sender: a tenant without its own would send as the default business.
    if (!tenant.email) {
      throw new ConfigError([`tenants.${tenant.id}.email.from: required when email goes through Resend`]);
    }
    channels.email = new ResendEmailAdapter({
      apiKey: resendApiKey,
      baseUrl: config.email.resendBaseUrl,
      from: tenant.email.from,
    }) as ChannelAdapter;
  }
  const twilio = tenant.sms?.twilio;
  if (twilio) {
    channels.sms = new TwilioSmsAdapter({
      ...twilio,
      baseUrl: config.sms.twilio?.baseUrl,
      // Its own account's delivery reports come back to its own route, checked with its own token.
      statusCallbackUrl: `${config.api.publicUrl}/webhooks/twilio/${tenant.id}/status`,
    }) as ChannelAdapter;
  }
  const missing = channelsUsedBy(playbook).filter((c) => !channels[c]);
  if (missing.length > 0) {
    throw new ConfigError(missing.map((c) => `tenant ${tenant.id}: its playbook sends on ${c}, which has no provider`));
  }
  // A tenant never sends as another business: its own sender, or (without one) its playbook's brand sender.
  return { id: tenant.id, playbook, senders: { channels, ...(tenant.email ? { emailFrom: tenant.email.from } : {}) } };
}

const PROVIDER_SETTINGS: Record<Channel, string> = {
  email: 'RESEND_API_KEY and EMAIL_FROM',
  sms: 'TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM',
  telegram: 'TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET',
  whatsapp: 'WHATSAPP_TOKEN, WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_APP_SECRET and WHATSAPP_VERIFY_TOKEN',
};

/** Every channel the playbook may send on: its order, each kind's own order, and the operator's alerts. */
function channelsUsedBy(playbook: Playbook): Channel[] {
  const used = new Set<Channel>(playbook.channels);
  for (const kind of Object.values(playbook.messages)) for (const c of kind?.channels ?? []) used.add(c);
  if (playbook.operator.email) used.add('email');
  if (playbook.operator.telegramChatId) used.add('telegram');
  return CHANNELS.filter((c) => used.has(c));
}

/** The senders of each tenant from the tenants file, by id, for the send activity. */
export const tenantSendersOf = (deps: Pick<ServiceDeps, 'tenants'>): Record<string, TenantSenders> =>
  Object.fromEntries(deps.tenants.map((t) => [t.id, t.senders]));
