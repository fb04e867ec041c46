/**
 * Template render per message, in this process: Aftercare's renderer (MJML compiled once at start,
 * Handlebars per message) beside the naive way, `mjml2html` on every send.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import mjml2html from 'mjml';
import { createRenderer } from '../../src/messages/renderer';
import type { MessageKind } from '../../src/messages/kind-names';
import type { RenderRequest } from '../../src/messages/types';
import { ratio, type Row } from './report';

const brand = { name: "Dana's Shop", sender: "Dana's Shop <orders@shop.example>", website: 'https://shop.example' };
const label = (en: string) => ({ en });

/** The standard order's ten emails, with the data a journey gives them. */
function standardMessages(): RenderRequest[] {
  const base = { channel: 'email' as const, locale: 'en', fallbackLocale: 'en', brand, recipientName: 'Ada' };
  const order = { orderId: 'A-1001' };
  const status = (stage: string) => ({
    ...base,
    kind: 'order_status' as MessageKind,
    data: { ...order, stageLabel: label(stage), stageDescription: label(`${stage}: what it means`) },
  });
  const offer = {
    code: 'THANKS-7Q2X',
    discountPercent: 10,
    expiresAt: '2027-01-01T00:00:00Z',
    services: [{ name: label('Gift wrapping'), price: '£5' }],
  };
  return [
    ...['Order received', 'Confirmed', 'Shipped', 'Out for delivery', 'Delivered'].map(status),
    { ...base, kind: 'thank_you', data: { ...order, totalMinor: 49900, currency: 'EUR' } },
    {
      ...base,
      kind: 'review_request',
      data: { ...order, reviewUrl: 'https://aftercare.example/r/x', feedback: { rating: 5 } },
    },
    { ...base, kind: 'offer', data: { ...order, offer } },
    { ...base, kind: 'referral_request', data: { ...order, referral: { code: 'ADA-FRIENDS', rewardPercent: 10 } } },
    {
      ...base,
      kind: 'warranty_checkin',
      data: { ...order, warranty: { items: ['Blue sofa'], endsAt: '2027-01-01T00:00:00Z', monthsOwned: 11 } },
    },
  ] as RenderRequest[];
}

export async function renderCost(iterations: number): Promise<Row[]> {
  const renderer = await createRenderer();
  const messages = standardMessages();
  for (const m of messages) renderer.render(m); // warm up (and prove they render)
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) for (const m of messages) renderer.render(m);
  const compiled = Number(process.hrtime.bigint() - t0) / 1e6 / (iterations * messages.length);

  // The naive way: the layout's MJML compiled for every email (then filled the same way).
  const source = readFileSync(path.resolve(__dirname, '../../templates/email/layout.mjml'), 'utf8');
  const naiveRuns = Math.max(1, Math.floor(iterations / 10));
  t0 = process.hrtime.bigint();
  for (let i = 0; i < naiveRuns; i++) {
    for (const m of messages) {
      await mjml2html(source, { validationLevel: 'skip' });
      renderer.render(m);
    }
  }
  const naive = Number(process.hrtime.bigint() - t0) / 1e6 / (naiveRuns * messages.length);
  return [
    {
      figure: 'template render per email (compiled once; beside: mjml2html per send)',
      aftercare: `${compiled.toFixed(2)} ms`,
      floor: `${naive.toFixed(2)} ms (naive)`,
      ratio: ratio(compiled, naive),
    },
  ];
}
