/**
 * What the drills run against: the protocol-faithful fake providers (real HTTP on 127.0.0.1) as the provider of
 * every channel, a playbook with second-long waits and a message on every channel, and the production-like stack
 * (scripts/stack) with that environment.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { startSandboxProviders, type SandboxProviders } from '../stack/sandbox';

export interface DrillFakes extends SandboxProviders {
  /** Clears every fake's records, queued failures, latency and storm: each drill starts from nothing. */
  reset(): void;
}

/** The four fakes (scripts/stack/sandbox.ts: each behind https with a certificate kept in `dir`). */
export async function startFakes(dir: string): Promise<DrillFakes> {
  mkdirSync(dir, { recursive: true });
  const sandbox = await startSandboxProviders(dir);
  const all = [sandbox.resend, sandbox.twilio, sandbox.telegram, sandbox.whatsapp];
  return { ...sandbox, reset: () => all.forEach((f) => f.reset()) };
}

/** The stages every drill order moves through; each one tells the customer. */
export const DRILL_STAGES = [
  { id: 'placed', label: 'Order received' },
  { id: 'shipped', label: 'Shipped' },
  { id: 'delivered', label: 'Delivered' },
] as const;

/** The messages each order's journey sends, by the journey's message key: a status per stage, thank-you, offer. */
export const EXPECTED_MESSAGE_KEYS = [...DRILL_STAGES.map((s) => `status-${s.id}`), 'thank-you', 'offer'] as const;

/**
 * The drills' playbook: every channel, waits of a second, no quiet hours, a cap that never defers, a WhatsApp
 * template for each kind (so WhatsApp customers get every message outside the 24-hour window), and a give-up
 * time well past the provider storm so no message leaves its channel for another.
 */
export function drillPlaybook() {
  const template = (name: string) => ({ name, languages: { en: 'en_US' } });
  return {
    version: 1,
    brand: { name: 'Drill Shop', sender: 'Drill Shop <orders@drill.example>', supportEmail: 'help@drill.example' },
    defaultLocale: 'en',
    channels: ['email', 'sms', 'telegram', 'whatsapp'],
    stages: DRILL_STAGES.map((s) => ({ id: s.id, label: { en: s.label } })),
    delays: { thankYou: '1s' },
    delivery: { giveUpAfter: '30 minutes', stuckAfter: '30 minutes' },
    quietHours: { start: '00:00', end: '00:00' },
    frequencyCap: { max: 20, per: '1 day', overCap: 'defer' },
    whatsapp: {
      templates: {
        order_status: template('drill_order_status'),
        thank_you: template('drill_thank_you'),
        offer: template('drill_offer'),
      },
    },
    followUps: { offer: { after: '1s', discountPercent: 10, services: [] } },
  };
}

/** The environment every Aftercare process of the stack gets on top of the stack's own: providers and playbook. */
export function drillEnv(stateDir: string, fakes: DrillFakes): Record<string, string> {
  mkdirSync(stateDir, { recursive: true });
  const playbookFile = path.join(stateDir, 'drill-playbook.yaml');
  writeFileSync(playbookFile, YAML.stringify(drillPlaybook()));
  return {
    ...fakes.env,
    AFTERCARE_PLAYBOOK: playbookFile,
    AFTERCARE_OUTBOX: 'off',
    // The fakes take any rate: the drills measure durability, not the providers' limits.
    AFTERCARE_SEND_RATES: 'email=200,sms=200,telegram=200,whatsapp=200',
  };
}
