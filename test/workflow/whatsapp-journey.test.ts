import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { ChannelAdapter } from '../../src/channels/types';
import { WhatsAppCloudAdapter } from '../../src/channels/whatsapp/cloud-api/adapter';
import { parsePlaybook } from '../../src/playbook/load';
import type { PlaybookInput } from '../../src/playbook/schema';
import { startFakeWhatsApp, type FakeWhatsApp } from '../fakes/whatsapp-server';
import { eventually, FAST_PLAYBOOK, sampleOrder, startHarness, type Harness } from '../support/harness';

let wa: FakeWhatsApp;
let h: Harness;

beforeAll(async () => {
  wa = await startFakeWhatsApp();
  const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as PlaybookInput;
  const playbook = parsePlaybook({
    ...base,
    channels: ['whatsapp', 'email'],
    quietHours: { start: '00:00', end: '00:00' },
    whatsapp: { templates: { order_status: { name: 'order_update', languages: { en: 'en_US', bn: 'bn' } } } },
  });
  const whatsapp = new WhatsAppCloudAdapter({ token: wa.token, phoneNumberId: wa.phoneNumberId, baseUrl: wa.url });
  h = await startHarness({ playbook, channels: { whatsapp: whatsapp as ChannelAdapter } });
});
afterAll(async () => {
  await h?.stop();
  await wa?.close();
});

const sentTo = (digits: string) => wa.sent.filter((m) => m.to === digits);

describe('WhatsApp in a journey', () => {
  it('uses the approved template outside the 24-hour window and free text inside it', async () => {
    const phone = '+8801711222333';
    const order = sampleOrder({}, { email: undefined, phone, locale: 'bn' });
    await h.aftercare.startOrderJourney(order);
    await eventually(async () => expect(sentTo('8801711222333')).toHaveLength(1));
    const first = sentTo('8801711222333')[0]!;
    expect(first.type).toBe('template');
    expect(first.template).toMatchObject({ name: 'order_update', language: { code: 'bn' } });

    // The customer writes to the business on WhatsApp: the window opens.
    await h.aftercare.recordCustomerEvent(order.customer.id, {
      type: 'inbound',
      channel: 'whatsapp',
      source: 'whatsapp',
      eventId: 'wamid.inbound-1',
      at: new Date().toISOString(),
    });
    // The journey hears of it (a new snapshot of the customer) before its next message.
    await eventually(async () => expect((await h.aftercare.getOrderJourney(order.orderId)).customer?.version).toBe(1));
    await h.aftercare.advanceStage(order.orderId, { stage: 'shipped' });
    await eventually(async () => expect(sentTo('8801711222333')).toHaveLength(2));
    const second = sentTo('8801711222333')[1]!;
    expect(second.type).toBe('text');
    expect(second.text?.body).toContain('Test Shop');
  });

  it('falls back to email when a kind has no template and the window is closed', async () => {
    const order = sampleOrder({}, { email: 'wa-fallback@example.com', phone: '+8801711222444' });
    await h.aftercare.startOrderJourney(order);
    await h.aftercare.advanceStage(order.orderId, { stage: 'delayed', reason: 'Customs check' });
    const state = await eventually(async () => {
      const s = await h.aftercare.getOrderJourney(order.orderId);
      expect(s.messages.find((m) => m.key === 'delayed-1')?.status).toBe('sent');
      return s;
    });
    const delayed = state.messages.find((m) => m.key === 'delayed-1')!;
    expect(delayed.channel).toBe('email');
    expect(delayed.attempts[0]).toMatchObject({ channel: 'whatsapp', outcome: 'failed' });
    expect(delayed.attempts[0]!.error).toContain('no WhatsApp template for order_delayed');
  });
});
