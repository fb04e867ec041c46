/**
 * The customer's preferences page: from the form's POST to the moment every running journey of the customer has the
 * change (the page says "Saved" only then). The line is 1 s.
 */
import type { BenchEnv } from './env';
import { ms, percentile, type Row } from './report';
import { benchId, type Shop } from './shop';

const JOURNEYS = 3;

export async function preferencesReach(env: BenchEnv, shop: Shop, samples: number): Promise<Row[]> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const customerId = benchId('c');
    const orderIds: string[] = [];
    for (let n = 0; n < JOURNEYS; n++) {
      const orderId = benchId('o');
      const res = await shop.call('POST', '/v1/orders', {
        orderId,
        customer: { id: customerId, name: 'Ada', email: `${customerId}@example.com`, locale: 'en' },
        items: [{ sku: 'MUG-1', name: 'Mug', quantity: 1, unitPrice: 12 }],
        currency: 'EUR',
        total: 12,
      });
      if (res.status >= 300) throw new Error(`order: ${res.status} ${JSON.stringify(res.json)}`);
      orderIds.push(orderId);
    }
    const [first] = await shop.waitForEmails(orderIds[0]!, 1);
    for (const orderId of orderIds.slice(1)) await shop.waitForEmails(orderId, 1);
    const link = /Manage your messages: (\S+)/.exec(first?.text ?? '')?.[1];
    if (!link) throw new Error('no preferences link in the order email');
    const url = `${env.app.api}${new URL(link).pathname}`;
    const page = await fetch(url);
    const formId = /name="formId" value="([^"]+)"/.exec(await page.text())?.[1];
    if (page.status !== 200 || !formId) throw new Error(`preferences page: ${page.status}`);
    const version = async (orderId: string) =>
      ((await shop.call('GET', `/v1/orders/${orderId}`)).json as { customer?: { version: number } }).customer
        ?.version ?? 0;
    const before = await Promise.all(orderIds.map(version));
    // Reviews and surveys off; email stays on, offers and win-back too.
    const form = new URLSearchParams({ formId, lang: 'en', action: 'save', on: 'email', 'pos-email': '1' });
    for (const topic of ['offers', 'winback']) form.append('topic', topic);
    const t0 = Date.now();
    const saved = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const took = Date.now() - t0;
    if (saved.status !== 200) throw new Error(`preferences save: ${saved.status}`);
    const after = await Promise.all(orderIds.map(version));
    if (after.some((v, n) => v <= before[n]!))
      throw new Error('a running journey did not have the change when the page answered');
    times.push(took);
  }
  return [
    {
      figure: `preferences page: save → every running journey (${JOURNEYS}) has the change, p50 / max (${samples} saves)`,
      aftercare: `${ms(percentile(times, 50))} / ${ms(Math.max(...times))}`,
      floor: '',
      ratio: '',
    },
  ];
}
