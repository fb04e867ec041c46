/**
 * Opt-out latency: from a customer's STOP (a signed Twilio webhook) to the moment no further message
 * can go out to them: when what decides their next message knows it.
 */
import { TWILIO_MAGIC_FROM, twilioSignature } from '../../test/fakes/twilio-server';
import type { BenchEnv } from './env';
import { ms, percentile, type Row } from './report';
import { benchId, Shop } from './shop';

export async function optOut(env: BenchEnv, shop: Shop, samples: number): Promise<Row[]> {
  const times: number[] = [];
  let where = '';
  for (let i = 0; i < samples; i++) {
    const phone = `+4477009${String(10_000 + Math.floor(Math.random() * 89_999)).slice(0, 5)}`;
    const order = await shop.place();
    await shop.waitForEmails(order.orderId, 1);
    // The customer's phone joins through a second order (the first had email only).
    const orderId = benchId('o');
    await shop.call('POST', '/v1/orders', {
      orderId,
      customer: { id: order.customerId, name: 'Ada', phone, email: `${order.customerId}@example.com` },
      items: [{ sku: 'MUG-1', name: 'Mug', quantity: 1, unitPrice: 12 }],
      currency: 'EUR',
      total: 12,
    });
    await shop.waitForEmails(orderId, 1);
    const url = `${env.app.api}/webhooks/twilio/inbound`;
    const params = {
      MessageSid: `SM${benchId('stop').replace(/\W/g, '')}`,
      From: phone,
      To: TWILIO_MAGIC_FROM,
      Body: 'STOP',
    };
    const t0 = Date.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(env.twilio.authToken, url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    if (res.status !== 200) throw new Error(`STOP webhook: ${res.status} ${await res.text()}`);
    // Whoever decides the next message: the journey itself when it keeps the customer's snapshot (lean), else the
    // customer's lifecycle (journeys that ask before every message).
    for (;;) {
      const journey = (await shop.call('GET', `/v1/orders/${orderId}`)).json as { customer?: { blocked: string[] } };
      if (journey.customer !== undefined) {
        where = 'the journey';
        if (journey.customer.blocked.includes('sms')) break;
      } else {
        where = 'the customer lifecycle';
        const customer = (await shop.call('GET', `/v1/customers/${order.customerId}`)).json as {
          consent?: { channels?: { sms?: { blocked?: unknown } } };
        };
        if (customer.consent?.channels?.sms?.blocked) break;
      }
      if (Date.now() - t0 > 30_000) throw new Error('the STOP never took effect');
      await new Promise((r) => setTimeout(r, 5));
    }
    times.push(Date.now() - t0);
  }
  return [
    {
      figure: `opt-out: STOP webhook → no further message can go out, p50 / max (${samples} STOPs; known to ${where})`,
      aftercare: `${ms(percentile(times, 50))} / ${ms(Math.max(...times))}`,
      floor: '',
      ratio: '',
    },
  ];
}
