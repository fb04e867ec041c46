import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parsePlaybook } from '../../src/playbook/load';
import type { PlaybookInput } from '../../src/playbook/schema';
import {
  customerEventSignal,
  customerLifecycleId,
  getCustomerQuery,
  orderPlacedSignal,
} from '../../src/workflows/customer/contract';
import type { customerLifecycle } from '../../src/workflows';
import { eventually, FAST_PLAYBOOK, sampleOrder, startHarness, uniqueId, type Harness } from '../support/harness';

let h: Harness;
const rules = {
  consent: { marketingRequiresOptIn: false },
  quietHours: { start: '21:00', end: '09:00', sms: false },
  frequencyCap: { max: 2, per: 7 * 86_400_000, overCap: 'defer' as const },
};
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

describe('customer lifecycle', () => {
  it('is started by the first order, remembers every order and its completion', async () => {
    const customer = { id: uniqueId('cus'), email: 'grace@example.com' };
    const first = sampleOrder({ placedAt: '2026-01-01T10:00:00Z' }, customer);
    const second = sampleOrder(
      { placedAt: '2026-02-01T10:00:00Z', total: 40, items: [{ sku: 'A', name: 'Lamp', quantity: 1, unitPrice: 40 }] },
      { ...customer, phone: '+8801711000000', locale: 'bn' },
    );
    await h.aftercare.startOrderJourney(first);
    await h.aftercare.startOrderJourney(second);
    await h.aftercare.advanceStage(first.orderId, { stage: 'delivered' });

    const state = await eventually(async () => {
      const s = await h.aftercare.getCustomer(customer.id);
      expect(s.orders).toHaveLength(2);
      expect(s.orders.find((o) => o.orderId === first.orderId)?.status).toBe('completed');
      return s;
    });
    expect(state.profile).toMatchObject({
      id: customer.id,
      email: 'grace@example.com',
      phone: '+8801711000000',
      locale: 'bn',
    });
    expect(state.orders.find((o) => o.orderId === second.orderId)).toMatchObject({
      totalMinor: 4000,
      currency: 'EUR',
      status: 'active',
    });
    let lifecycles = 0;
    for await (const wf of h.client.workflow.list({
      query: `AftercareCustomerId = "${customer.id}" AND WorkflowType = "customerLifecycle"`,
    })) {
      lifecycles += wf.workflowId === customerLifecycleId(customer.id) ? 1 : 0;
    }
    expect(lifecycles).toBeLessThanOrEqual(1); // visibility may lag; never two
  });

  it('continues as new before its history grows, carrying every order across', async () => {
    const customerId = uniqueId('cus');
    const workflowId = customerLifecycleId(customerId);
    const orders = Array.from({ length: 12 }, (_, i) => ({
      orderId: `${customerId}-o${i}`,
      placedAt: new Date(Date.UTC(2026, 0, i + 1)).toISOString(),
      currency: 'EUR',
      totalMinor: 1000 + i,
    }));
    for (const order of orders) {
      await h.client.workflow.signalWithStart<typeof customerLifecycle, [unknown]>('customerLifecycle', {
        workflowId,
        taskQueue: h.taskQueue,
        args: [{ customerId, historyLimit: 12 }],
        signal: orderPlacedSignal,
        signalArgs: [{ rules, contactKeys: [`k_${order.orderId}`], profile: { id: customerId, name: 'Lin' }, order }],
      });
      if (order === orders[3]) {
        await h.client.workflow.getHandle(workflowId).signal(customerEventSignal, {
          type: 'opt-out',
          channel: 'sms',
          scope: 'all',
          source: 'sms',
          eventId: `${customerId}-stop`,
          at: order.placedAt,
        });
      }
    }
    // A duplicated signal (an activity retry) must not duplicate the order.
    await h.client.workflow.getHandle(workflowId).signal(orderPlacedSignal, {
      rules,
      contactKeys: [],
      profile: { id: customerId, name: 'Lin' },
      order: orders[0]!,
    });

    const state = await eventually(async () => {
      const s = await h.client.workflow.getHandle(workflowId).query(getCustomerQuery);
      expect(s.orders).toHaveLength(12);
      expect(s.generation).toBeGreaterThan(0);
      return s;
    });
    expect(state.orders.map((o) => o.totalMinor)).toEqual(orders.map((o) => o.totalMinor));
    expect(state.lastOrderAt).toBe(orders[11]!.placedAt);
    expect(state.firstSeenAt).toBe(orders[0]!.placedAt);
    // Consent, rules and contact keys survive continue-as-new too.
    expect(state.consent.channels.sms?.blocked).toMatchObject({ reason: 'opted-out', source: 'sms' });
    expect(state.consent.marketing.granted).toBe(false);
    expect(state.consent.seenEvents).toContain(`${customerId}-stop`);
    expect(state.rules).toEqual(rules);
    expect(state.contactKeys).toHaveLength(12);
    // The earlier runs really ended in continue-as-new.
    await eventually(async () => {
      let continued = 0;
      for await (const wf of h.client.workflow.list({
        query: `WorkflowId = "${workflowId}" AND ExecutionStatus = "ContinuedAsNew"`,
      })) {
        continued += wf.workflowId === workflowId ? 1 : 0;
      }
      expect(continued).toBeGreaterThan(0);
    });
  });
});

describe('continue-as-new with a win-back pending', () => {
  it('keeps the win-back due time exactly across continue-as-new', async () => {
    const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as PlaybookInput;
    const playbook = parsePlaybook({
      ...base,
      quietHours: { start: '00:00', end: '00:00' },
      winback: { after: '6s', secondAfter: '1 hour' },
    });
    const customerId = uniqueId('cus');
    const workflowId = customerLifecycleId(customerId);
    const placedAt = new Date().toISOString();
    await h.client.workflow.signalWithStart<typeof customerLifecycle, [unknown]>('customerLifecycle', {
      workflowId,
      taskQueue: h.taskQueue,
      args: [{ customerId, historyLimit: 20 }],
      signal: orderPlacedSignal,
      signalArgs: [
        {
          rules: { consent: playbook.consent, quietHours: playbook.quietHours, frequencyCap: playbook.frequencyCap },
          playbook,
          contactKeys: [],
          profile: { id: customerId, name: 'Noor', email: 'noor@example.com' },
          order: { orderId: `${customerId}-o1`, placedAt, currency: 'EUR', totalMinor: 1000 },
        },
      ],
    });
    // 3.5 s in, busy history (inbound messages) forces continue-as-new. A timer restarted there would
    // fire at ≥ 9.5 s; the carried due time fires at 6 s.
    await new Promise((r) => setTimeout(r, 3_500));
    for (let i = 0; i < 12; i++) {
      await h.client.workflow.getHandle(workflowId).signal(customerEventSignal, {
        type: 'inbound',
        channel: 'email',
        source: 'test',
        eventId: `${customerId}-in-${i}`,
        at: new Date().toISOString(),
      });
    }
    const continued = await eventually(async () => {
      const s = await h.client.workflow.getHandle(workflowId).query(getCustomerQuery);
      expect(s.generation).toBeGreaterThan(0);
      return s;
    });
    expect(continued.winback?.attempts ?? []).toHaveLength(0);
    const state = await eventually(
      async () => {
        const s = await h.client.workflow.getHandle(workflowId).query(getCustomerQuery);
        expect(s.winback?.attempts).toHaveLength(1);
        expect(s.winback?.attempts[0]?.status).toBe('sent');
        return s;
      },
      { timeoutMs: 20_000 },
    );
    const firedAfter = Date.parse(state.winback!.attempts[0]!.at) - Date.parse(placedAt);
    expect(firedAfter).toBeGreaterThanOrEqual(6_000);
    expect(firedAfter).toBeLessThan(9_000); // not restarted at the continue-as-new
    expect(state.winback!.attempts[0]!.status).toBe('sent');
    expect(state.orders).toHaveLength(1);
    expect(state.consent.seenEvents).toHaveLength(12);
  }, 40_000);
});

describe('win-back in quiet hours', () => {
  it('waits for the window to open instead of dropping the message', async () => {
    const hour = new Date().getUTCHours();
    const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as PlaybookInput;
    const playbook = parsePlaybook({
      ...base,
      // Quiet now in UTC (the customer gave no time zone), open again at the next full hour.
      quietHours: {
        start: `${String((hour + 23) % 24).padStart(2, '0')}:00`,
        end: `${String((hour + 1) % 24).padStart(2, '0')}:00`,
      },
      winback: { after: '1s', secondAfter: '1 hour' },
    });
    const customerId = uniqueId('cus');
    const workflowId = customerLifecycleId(customerId);
    await h.client.workflow.signalWithStart<typeof customerLifecycle, [unknown]>('customerLifecycle', {
      workflowId,
      taskQueue: h.taskQueue,
      args: [{ customerId }],
      signal: orderPlacedSignal,
      signalArgs: [
        {
          rules: { consent: playbook.consent, quietHours: playbook.quietHours, frequencyCap: playbook.frequencyCap },
          playbook,
          contactKeys: [],
          profile: { id: customerId, name: 'Ola', email: 'ola@example.com' },
          order: { orderId: `${customerId}-o1`, placedAt: new Date().toISOString(), currency: 'EUR', totalMinor: 500 },
        },
      ],
    });
    const state = await eventually(async () => {
      const s = await h.client.workflow.getHandle(workflowId).query(getCustomerQuery);
      expect(s.messages?.find((m) => m.kind === 'winback')?.status).toBe('waiting');
      return s;
    });
    const record = state.messages!.find((m) => m.kind === 'winback')!;
    const nextHour = new Date();
    nextHour.setUTCHours(hour + 1, 0, 0, 0);
    expect(record.reason).toBe(`quiet-hours until ${nextHour.toISOString()}`);
    expect(state.winback?.attempts).toEqual([expect.objectContaining({ attempt: 1, status: 'pending' })]);
    await h.client.workflow.getHandle(workflowId).terminate('test done');
  }, 30_000);
});
