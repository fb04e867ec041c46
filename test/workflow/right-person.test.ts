import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactKey } from '../../src/channels/contact-keys';
import { loadPlaybook } from '../../src/playbook/load';
import { customerLifecycleId } from '../../src/workflows/customer/contract';
import { orderJourneyId } from '../../src/workflows/order/contract';
import {
  eventually,
  FAST_PLAYBOOK,
  sampleOrder,
  startHarness,
  TEST_KEYS,
  uniqueId,
  type Harness,
} from '../support/harness';
import { api, startInbound, twilioInbound, type Inbound } from '../support/inbound';

/** The right message to the right person: each order's own contacts, bounded keys, a lifecycle never replaced. */
let h: Harness;
let inbound: Inbound;

beforeAll(async () => {
  const playbook = { ...loadPlaybook(FAST_PLAYBOOK), operator: { email: 'owner@test.example' } };
  h = await startHarness({ playbook });
  inbound = await startInbound(h);
});
afterAll(async () => {
  await inbound?.close();
  await h?.stop();
});

const sentTo = async (orderId: string, key: string) => {
  const all = await h.outbox.list(500);
  return all.filter((m) => m.workflowId === orderJourneyId(orderId) && m.messageKey === key);
};
const journeyMessage = (orderId: string, key: string) =>
  eventually(async () => {
    const s = await h.aftercare.getOrderJourney(orderId);
    const m = s.messages.find((x) => x.key === key);
    expect(m && ['sent', 'failed', 'skipped'].includes(m.status)).toBe(true);
    return m!;
  });

describe("each order's messages", () => {
  it("go to that order's contacts, not to whoever last used the same customer id", async () => {
    const guest = uniqueId('guest');
    const alice = sampleOrder(
      { placedAt: new Date(Date.now() - 60_000).toISOString() },
      { id: guest, name: 'Alice Alpha', email: 'alice@example.com' },
    );
    const bob = sampleOrder(
      { placedAt: new Date().toISOString() },
      { id: guest, name: 'Bob Bravo', email: 'bob@example.com' },
    );
    await h.aftercare.startOrderJourney(alice);
    await journeyMessage(alice.orderId, 'status-placed');
    await h.aftercare.startOrderJourney(bob);
    await journeyMessage(bob.orderId, 'status-placed');

    await h.aftercare.advanceStage(alice.orderId, { stage: 'shipped' });
    expect((await journeyMessage(alice.orderId, 'status-shipped')).status).toBe('sent');
    const [shipped] = await sentTo(alice.orderId, 'status-shipped');
    expect(shipped?.to).toBe('alice@example.com');
    expect(shipped?.text).toContain('Alice Alpha');
    expect(shipped?.text).not.toContain('Bob');
  });

  it('refuse a placedAt in the future, which would make an order "newest" forever', async () => {
    const res = await api(inbound.app, 'POST', '/v1/orders', sampleOrder({ placedAt: '2099-01-01T00:00:00Z' }));
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details[0].path).toBe('placedAt');
  });
});

describe("a customer's contact keys", () => {
  it('stay bounded however many addresses the orders bring, and the lifecycle keeps every order', async () => {
    const id = uniqueId('many');
    const orders = Array.from({ length: 70 }, (_, i) =>
      sampleOrder({ orderId: `${id}-o${i}` }, { id, email: `many-${i}-${id}@example.com` }),
    );
    for (const o of orders) await h.aftercare.startOrderJourney(o);
    await eventually(
      async () => {
        const c = await h.aftercare.getCustomer(id);
        expect(c.orders).toHaveLength(70);
      },
      { timeoutMs: 60_000 },
    );
    const d = await h.client.workflow.getHandle(customerLifecycleId(id)).describe();
    expect(d.status.name).toBe('RUNNING');
    // Every journey got its first message out.
    for (const o of orders.slice(-5)) expect((await journeyMessage(o.orderId, 'status-placed')).status).toBe('sent');
    for (const o of orders.slice(0, 5)) expect((await journeyMessage(o.orderId, 'status-placed')).status).toBe('sent');
  }, 120_000);

  it('a STOP from a phone two customers share stops it for both (every match, not an arbitrary one)', async () => {
    const phone = '+447700977055';
    const [a, b] = [uniqueId('share-a'), uniqueId('share-b')];
    for (const id of [a, b]) {
      const order = sampleOrder({}, { id, email: undefined, phone });
      await h.aftercare.startOrderJourney(order);
      await journeyMessage(order.orderId, 'status-placed');
    }
    const key = contactKey(TEST_KEYS.contacts, 'sms', phone);
    await eventually(async () =>
      expect((await h.aftercare.findCustomersByContactKeys([key])).sort()).toEqual([a, b].sort()),
    );
    const stop = await twilioInbound(inbound.app, { sid: `SM${a.replace(/\W/g, '')}`, from: phone, body: 'STOP' });
    expect(stop.statusCode).toBe(200);
    for (const id of [a, b]) {
      await eventually(async () =>
        expect((await h.aftercare.getCustomer(id)).consent.channels.sms?.blocked?.reason).toBe('opted-out'),
      );
    }
  });

  it('a STOP from an old number stops that number, not the one the customer uses now', async () => {
    const id = uniqueId('moved');
    const [oldPhone, newPhone] = ['+447700977001', '+447700977002'];
    const first = sampleOrder({}, { id, email: undefined, phone: oldPhone });
    await h.aftercare.startOrderJourney(first);
    await journeyMessage(first.orderId, 'status-placed');
    const second = sampleOrder({}, { id, email: undefined, phone: newPhone });
    await h.aftercare.startOrderJourney(second);
    await journeyMessage(second.orderId, 'status-placed');

    const oldKey = contactKey(TEST_KEYS.contacts, 'sms', oldPhone);
    await eventually(async () => expect(await h.aftercare.findCustomersByContactKeys([oldKey])).toContain(id));
    const stop = await twilioInbound(inbound.app, { sid: `SM${id.replace(/\W/g, '')}`, from: oldPhone, body: 'STOP' });
    expect(stop.statusCode).toBe(200);
    await eventually(async () => expect((await h.aftercare.getCustomer(id)).consent.marketing.granted).toBe(false));

    await h.aftercare.advanceStage(second.orderId, { stage: 'shipped' });
    expect((await journeyMessage(second.orderId, 'status-shipped')).status).toBe('sent');
    expect((await sentTo(second.orderId, 'status-shipped'))[0]?.to).toBe(newPhone);
    await h.aftercare.advanceStage(first.orderId, { stage: 'shipped' });
    const old = await journeyMessage(first.orderId, 'status-shipped');
    expect(old.status).toBe('skipped');
    expect(await sentTo(first.orderId, 'status-shipped')).toEqual([]);
  });
});

describe("a customer's lifecycle", () => {
  it('is never silently replaced by an empty one: a terminated lifecycle alerts the operator', async () => {
    const id = uniqueId('ended');
    const first = sampleOrder({}, { id });
    await h.aftercare.startOrderJourney(first);
    await journeyMessage(first.orderId, 'status-placed');
    await api(inbound.app, 'POST', `/v1/customers/${id}/consent`, {
      purpose: 'marketing',
      granted: false,
      source: 'phone call',
    });
    const handle = h.client.workflow.getHandle(customerLifecycleId(id));
    await handle.terminate('an operator terminated it by mistake');

    const next = sampleOrder({}, { id });
    await h.aftercare.startOrderJourney(next);
    const placed = await journeyMessage(next.orderId, 'status-placed');
    expect(placed.status).toBe('skipped');
    expect(placed.reason).toMatch(/lifecycle.*(terminated|closed)/i);
    // No new, empty lifecycle that forgot the opt-out.
    const d = await handle.describe();
    expect(d.status.name).toBe('TERMINATED');
    const alerts = await eventually(async () => {
      const found = (await h.outbox.list(500)).filter(
        (m) => m.workflowId === orderJourneyId(next.orderId) && m.to === 'owner@test.example',
      );
      expect(found.length).toBeGreaterThan(0);
      return found;
    });
    expect(alerts[0]!.text).toMatch(/lifecycle/i);
  });
});

describe('GET /v1/customers/{id}', () => {
  it('shows the profile, orders and consent, not the playbook, permits, addresses or keys', async () => {
    const id = uniqueId('view');
    const order = sampleOrder({}, { id, phone: '+447700977066' });
    await h.aftercare.startOrderJourney(order);
    await journeyMessage(order.orderId, 'status-placed');
    const res = await api(inbound.app, 'GET', `/v1/customers/${id}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.profile.email).toBe('ada@example.com');
    expect(body.orders.map((o: { orderId: string }) => o.orderId)).toEqual([order.orderId]);
    expect(body.consent.marketing).toBeDefined();
    for (const field of ['playbook', 'rules', 'profileKeys', 'contactKeys']) expect(body).not.toHaveProperty(field);
    expect(body.consent).not.toHaveProperty('permits');
    expect(body.consent).not.toHaveProperty('addresses');
    expect(body.consent).not.toHaveProperty('seenEvents');
    expect(res.body).not.toMatch(/"k_[A-Za-z0-9_-]{27}"/);
  });
});
