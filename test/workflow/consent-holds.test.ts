import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signShortToken } from '../../src/lib/tokens';
import { telegramLinkId, telegramLinkKey } from '../../src/channels/contact-keys';
import { eventually, sampleOrder, startHarness, TEST_KEYS, uniqueId, type Harness } from '../support/harness';
import { api, startInbound, telegramMessage, twilioInbound, type Inbound } from '../support/inbound';

/** Consent that holds: what a customer said stays said, whatever arrives later or is replayed. */
let h: Harness;
let inbound: Inbound;

beforeAll(async () => {
  h = await startHarness();
  inbound = await startInbound(h);
});
afterAll(async () => {
  await inbound?.close();
  await h?.stop();
});

let phones = 0;
const newPhone = () => `+4477009${String(40000 + (process.pid % 1000) * 10 + phones++).padStart(5, '0')}`;
let updates = Math.floor(Date.now() / 1000);
const nextUpdate = () => ++updates;

/** A customer with a placed order whose lifecycle webhooks can find. */
async function customerWith(contacts: Record<string, unknown>) {
  const order = sampleOrder({}, contacts);
  await h.aftercare.startOrderJourney(order);
  // Webhooks find customers through visibility, which is eventually consistent.
  const key = telegramLinkKey(TEST_KEYS.contacts, order.customer.id);
  await eventually(async () =>
    expect(await h.aftercare.findCustomersByContactKeys([key])).toEqual([order.customer.id]),
  );
  return order;
}

const customer = (id: string) => h.aftercare.getCustomer(id);

describe('withdrawing consent for every purpose on every channel', () => {
  it('stops every message, transactional included, and the opposite call restores it', async () => {
    const order = await customerWith({ phone: newPhone() });
    const id = order.customer.id;
    const off = await api(inbound.app, 'POST', `/v1/customers/${id}/consent`, { purpose: 'all', granted: false });
    expect(off.statusCode).toBe(200);

    await h.aftercare.advanceStage(order.orderId, { stage: 'shipped' });
    const shipped = await eventually(async () => {
      const s = await h.aftercare.getOrderJourney(order.orderId);
      const m = s.messages.find((x) => x.key === 'status-shipped');
      expect(m && ['sent', 'skipped', 'failed'].includes(m.status)).toBe(true);
      return m!;
    });
    expect(shipped.status).toBe('skipped');
    expect(shipped.reason).toMatch(/opted out of every message/);

    const on = await api(inbound.app, 'POST', `/v1/customers/${id}/consent`, { purpose: 'all', granted: true });
    expect(on.statusCode).toBe(200);
    await h.aftercare.advanceStage(order.orderId, { stage: 'out_for_delivery' });
    await eventually(async () => {
      const s = await h.aftercare.getOrderJourney(order.orderId);
      expect(s.messages.find((x) => x.key === 'status-out_for_delivery')?.status).toBe('sent');
    });
  });
});

describe('a Telegram link', () => {
  it('once used, cannot opt the chat back in after /stop', async () => {
    const chat = String(700000 + (process.pid % 1000) * 100 + Math.floor(Math.random() * 100));
    const order = await customerWith({ email: `${uniqueId('tg')}@example.com` });
    const id = order.customer.id;
    const token = signShortToken(
      TEST_KEYS.links,
      'telegram-link',
      telegramLinkId(TEST_KEYS.contacts, id),
      Date.now() + 86_400_000,
    );

    expect(
      (await telegramMessage(inbound.app, { updateId: nextUpdate(), chat, text: `/start ${token}` })).statusCode,
    ).toBe(200);
    await eventually(async () => expect((await customer(id)).profile?.telegramChatId).toBe(chat));
    expect((await telegramMessage(inbound.app, { updateId: nextUpdate(), chat, text: '/stop' })).statusCode).toBe(200);
    await eventually(async () =>
      expect((await customer(id)).consent.channels.telegram?.blocked?.reason).toBe('opted-out'),
    );

    // Someone holding the old link (a forwarded email, a shared screen) opens it again.
    expect(
      (await telegramMessage(inbound.app, { updateId: nextUpdate(), chat, text: `/start ${token}` })).statusCode,
    ).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
    const after = await customer(id);
    expect(after.consent.channels.telegram?.blocked?.reason).toBe('opted-out');
    expect(after.consent.marketing.granted).toBe(false);
  });
});

describe('replays and event ids', () => {
  it('a captured START replayed after a newer STOP does not undo it, however many events came between', async () => {
    const phone = newPhone();
    const order = await customerWith({ phone, email: undefined });
    const id = order.customer.id;
    const sid = (n: string) => `SM${id.replace(/[^A-Za-z0-9]/g, '')}${n}`;
    await twilioInbound(inbound.app, { sid: sid('stop1'), from: phone, body: 'STOP' });
    await twilioInbound(inbound.app, { sid: sid('start'), from: phone, body: 'START' });
    await twilioInbound(inbound.app, { sid: sid('stop2'), from: phone, body: 'STOP' });
    await eventually(async () => expect((await customer(id)).consent.channels.sms?.blocked?.reason).toBe('opted-out'));
    // Chatter pushes the START out of any short replay window.
    for (let i = 0; i < 210; i++)
      await twilioInbound(inbound.app, { sid: sid(`msg${i}`), from: phone, body: `hello ${i}` });
    await twilioInbound(inbound.app, { sid: sid('start'), from: phone, body: 'START' });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await customer(id)).consent.channels.sms?.blocked?.reason).toBe('opted-out');
  });

  it('an event id given to the API cannot pre-empt a provider event with the same id', async () => {
    const phone = newPhone();
    const order = await customerWith({ phone, email: undefined });
    const id = order.customer.id;
    const providerSid = `SM${id.replace(/[^A-Za-z0-9]/g, '')}real`;
    // An integrator (or an attacker with the API key) marks the provider's id as seen...
    const res = await api(inbound.app, 'POST', `/v1/customers/${id}/consent`, {
      purpose: 'marketing',
      granted: true,
      eventId: `twilio:${providerSid}`,
    });
    expect(res.statusCode).toBe(200);
    // ...then the customer's real STOP arrives with that id: it must count.
    await twilioInbound(inbound.app, { sid: providerSid, from: phone, body: 'STOP' });
    await eventually(async () => expect((await customer(id)).consent.channels.sms?.blocked?.reason).toBe('opted-out'));
  });
});
