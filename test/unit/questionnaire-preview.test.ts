import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createRenderer } from '../../src/messages/renderer';
import type { MessageRenderer } from '../../src/messages/types';
import { parsePlaybook } from '../../src/playbook/load';
import type { PlaybookInput } from '../../src/playbook/schema';
import { previewOrder } from '../../src/preview/plan';
import { previewInputSchema, type PreviewRequest } from '../../src/schemas/preview';

/** POST /v1/preview with what the business knows of the customer: the personalised texts, in English and Bengali. */
const shopYaml = YAML.parse(
  readFileSync(path.resolve(__dirname, '..', '..', 'playbooks', 'shop.yaml'), 'utf8'),
) as PlaybookInput;
const playbook = parsePlaybook(shopYaml);
const NOW = Date.parse('2026-03-02T10:00:00Z');

let renderer: MessageRenderer;
beforeAll(async () => {
  renderer = await createRenderer();
});

const preview = (personal: PreviewRequest['personal'], locale = 'en') =>
  previewOrder(
    previewInputSchema.parse({
      customer: { name: 'Ada', email: 'ada@example.com', timeZone: 'Europe/London', locale },
      items: [{ sku: 'LAMP', name: 'Reading lamp', quantity: 1, unitPrice: 20 }],
      currency: 'EUR',
      total: 20,
      survey: { rating: 5 },
      ...(personal ? { personal } : {}),
    }),
    playbook,
    renderer,
    NOW,
  );

describe('the preview with personal data', () => {
  it('renders the offer with their interests and the win-back with their last purchase', async () => {
    const { messages } = await preview({ interests: ['kitchen', 'gifts'], tier: 'regular' });
    const offer = messages.find((m) => m.kind === 'offer')!;
    expect(offer.preview).toContain('Since you like kitchenware and gifts');
    const winback = messages.find((m) => m.kind === 'winback')!;
    expect(winback.preview).toContain('We hope you are still enjoying your Reading lamp.');
    // Without assumptions: nothing about interests.
    const plain = await preview(undefined);
    expect(plain.messages.find((m) => m.kind === 'offer')!.preview).not.toContain('Since you like');
  });

  it('takes questionnaire answers and labels, in Bengali', async () => {
    const { messages } = await preview({ answers: { interests: ['lighting'] } }, 'bn');
    expect(messages.find((m) => m.kind === 'offer')!.preview).toContain('আপনি বাতি ও আলো পছন্দ করেন');
    const byLabel = await preview({ interests: ['উপহার'] }, 'bn');
    expect(byLabel.messages.find((m) => m.kind === 'offer')!.preview).toContain('আপনি উপহার পছন্দ করেন');
  });

  it('refuses assumptions that do not fit the playbook', async () => {
    await expect(preview({ tier: 'platinum' })).rejects.toMatchObject({
      status: 422,
      details: [{ path: 'personal.tier', message: '"platinum" is not one of the playbook\'s tiers' }],
    });
    await expect(preview({ answers: { interests: ['cars'] } })).rejects.toMatchObject({
      details: [{ path: 'personal.answers.interests', message: 'must be a list of its options' }],
    });
  });
});
