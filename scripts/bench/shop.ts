/** A business and its customers, as the bench drives them: orders over Aftercare's HTTP API, emails at the fake Resend. */
import type { Client } from '@temporalio/client';
import type { FakeResend, SentEmail } from '../../test/fakes/resend-server';
import { countActions, sumCounts, type ActionCount } from './actions';
import { API_KEY } from './env';

export const STAGES = ['confirmed', 'shipped', 'out_for_delivery', 'delivered'] as const;
/** The standard order's messages: five statuses, thank-you, review, offer, referral, warranty check-in. */
export const STANDARD_MESSAGES = 10;

let seq = 0;
export const benchId = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${++seq}`;

export class Shop {
  constructor(
    private readonly api: string,
    private readonly resend: FakeResend,
    private readonly client: Client,
  ) {}

  async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${this.api}${path}`, {
      method,
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
  }

  private async expectOk(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await this.call(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json;
  }

  /** Places an order for a new customer (email only, a one-month warranty): returns when the API answered. */
  async place(items = [{ sku: 'SOFA-1', name: 'Blue sofa', quantity: 1, unitPrice: 499, warrantyMonths: 1 }]) {
    const orderId = benchId('o');
    const customerId = benchId('c');
    const postedAt = Date.now();
    await this.expectOk('POST', '/v1/orders', {
      orderId,
      customer: { id: customerId, name: 'Ada', email: `${customerId}@example.com`, locale: 'en' },
      items,
      currency: 'EUR',
      total: items.reduce((sum, i) => sum + i.unitPrice * i.quantity, 0),
    });
    return { orderId, customerId, postedAt };
  }

  stage(orderId: string, stage: string) {
    return this.expectOk('POST', `/v1/orders/${orderId}/stage`, { stage });
  }

  feedback(orderId: string, rating: number) {
    return this.expectOk('POST', `/v1/orders/${orderId}/feedback`, { rating, comment: 'Lovely' });
  }

  /** The emails the order's journey sent, in the order the provider accepted them. */
  emails(orderId: string): SentEmail[] {
    const prefix = `order-${orderId}/`;
    return this.resend.sent.filter((e) => e.idempotencyKey?.startsWith(prefix));
  }

  async waitForEmails(orderId: string, n: number, timeoutMs = 120_000): Promise<SentEmail[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const sent = this.emails(orderId);
      if (sent.length >= n) return sent;
      if (Date.now() > deadline)
        throw new Error(`order ${orderId}: ${sent.length} of ${n} emails after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The standard order from outside: every stage, a 5-star answer, then the follow-ups run out. */
  async standardOrder(): Promise<{ orderId: string; customerId: string; postedAt: number }> {
    const order = await this.place();
    for (const stage of STAGES) await this.stage(order.orderId, stage);
    await this.feedback(order.orderId, 5);
    await this.waitForEmails(order.orderId, STANDARD_MESSAGES);
    await this.waitClosed(`order-${order.orderId}`);
    return order;
  }

  /** Waits for a workflow to close, by describe (free; its result is encrypted and not the bench's to read). */
  async waitClosed(workflowId: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const d = await this.client.workflow.getHandle(workflowId).describe();
      if (d.status.name !== 'RUNNING') return;
      if (Date.now() > deadline) throw new Error(`${workflowId} still running after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Actions of every run of a workflow id. */
  async actionsOf(workflowId: string): Promise<ActionCount> {
    const counts: ActionCount[] = [];
    for await (const wf of this.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
      const history = await this.client.workflow.getHandle(workflowId, wf.runId).fetchHistory();
      counts.push(countActions(history.events ?? []));
    }
    if (counts.length === 0) {
      // Visibility may lag a just-started run: the current run's history is there at once.
      const history = await this.client.workflow.getHandle(workflowId).fetchHistory();
      counts.push(countActions(history.events ?? []));
    }
    return sumCounts(counts);
  }
}
