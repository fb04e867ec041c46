/**
 * The fuzz drill's webhook deliveries, before mutation: what each provider posts (a few fields of each real
 * payload, with fresh ids), as fast-check arbitraries. Twilio's forms get the body mix of scripts/drill/fuzz-mutate.ts
 * on their parameters.
 */
import fc from 'fast-check';
import { mutated, randomJson, type GeneratedBody } from './fuzz-mutate';

const nowS = () => Math.floor(Date.now() / 1000);
const digits = (min: number, max: number) => fc.integer({ min, max });

export const resendEvent = fc.record({
  type: fc.constantFrom('email.bounced', 'email.complained', 'email.suppressed', 'email.delivered', 'email.opened'),
  created_at: fc.constant(new Date().toISOString()),
  data: fc.record({
    email_id: fc.uuid(),
    to: fc.constant(['someone@fuzz.example']),
    bounce: fc.record({ type: fc.constantFrom('Permanent', 'Transient') }),
  }),
});

const twilioParams = fc.record({
  MessageSid: fc.stringMatching(/^SM[0-9a-f]{32}$/),
  From: fc.constantFrom('+447700900123', '+15005550006', 'whatsapp:+447700900123'),
  To: fc.constant('+15005550006'),
  Body: fc.constantFrom('STOP', 'START', 'HELP', '3', 'where is my order?', ''),
  MessageStatus: fc.constantFrom('undelivered', 'failed', 'delivered'),
  ErrorCode: fc.constantFrom('30003', '21610', '30008', ''),
});

export const telegramUpdate = fc.record({
  update_id: digits(1, 2 ** 31),
  message: fc.record({
    message_id: digits(1, 100000),
    date: fc.constant(nowS()),
    chat: fc.record({ id: digits(1, 2 ** 40), type: fc.constant('private') }),
    from: fc.record({ id: digits(1, 2 ** 40), is_bot: fc.constant(false), first_name: fc.constant('Fuzz') }),
    text: fc.constantFrom('/start', '/start abc.def', '/stop', 'stop', 'hello', '5'),
  }),
});

export const whatsappPayload = fc.record({
  object: fc.constant('whatsapp_business_account'),
  entry: fc.tuple(
    fc.record({
      id: fc.constant('1234567890'),
      changes: fc.tuple(
        fc.record({
          field: fc.constant('messages'),
          value: fc.record({
            messaging_product: fc.constant('whatsapp'),
            metadata: fc.constant({ display_phone_number: '15550001111', phone_number_id: '1000' }),
            messages: fc.tuple(
              fc.record({
                from: fc.constantFrom('447700900123', '15005550006'),
                id: fc.uuid().map((u) => `wamid.${u}`),
                timestamp: fc.constant(String(nowS())),
                type: fc.constant('text'),
                text: fc.record({ body: fc.constantFrom('STOP', 'START', 'hi', '4') }),
              }),
            ),
            statuses: fc.tuple(
              fc.record({
                id: fc.uuid().map((u) => `wamid.${u}`),
                status: fc.constantFrom('failed', 'delivered'),
                recipient_id: fc.constant('447700900123'),
                errors: fc.constant([{ code: 131026, title: 'Message undeliverable' }]),
              }),
            ),
          }),
        }),
      ),
    }),
  ),
});

/** An order as Shopify's orders/* topics carry it (a few fields of the REST payload), with its own id. */
export const shopifyOrder = digits(1, 2 ** 40).map((id) => ({
  id,
  admin_graphql_api_id: `gid://shopify/Order/${id}`,
  name: `#${id % 10000}`,
  email: `s${id}@fuzz.example`,
  created_at: new Date(Date.now() - 60_000).toISOString(),
  currency: 'EUR',
  customer_locale: 'en',
  financial_status: 'paid',
  total_price: '25.00',
  customer: { id: id + 1, first_name: 'Fuzz', last_name: 'Shop', email: `s${id}@fuzz.example`, phone: null },
  line_items: [{ id: id + 2, sku: 'MUG-1', title: 'Blue mug', name: 'Blue mug', quantity: 2, price: '12.50' }],
}));

/** An order as WooCommerce's order.* topics carry it (the REST shape's fields Aftercare reads). */
export const wooOrder = fc
  .record({ id: digits(1, 2 ** 31), status: fc.constantFrom('processing', 'completed', 'pending') })
  .map(({ id, status }) => {
    const gmt = new Date(Date.now() - 60_000).toISOString().slice(0, 19);
    return {
      id,
      status,
      currency: 'EUR',
      total: '25.00',
      customer_id: 0,
      date_created_gmt: gmt,
      date_modified_gmt: gmt,
      billing: { first_name: 'Fuzz', last_name: 'Woo', email: `w${id}@fuzz.example`, phone: '', country: 'GB' },
      line_items: [{ id: id * 10, name: 'Blue mug', sku: 'MUG-1', quantity: 2, total: '25.00', subtotal: '25.00' }],
      refunds: [],
    };
  });

/** A form field's text: strings as they are, anything else as JSON (a nest too deep to write: as brackets). */
function formValue(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '['.repeat(5000);
  }
}

/** Twilio posts forms: the same mix as JSON bodies, on the parameters, sent urlencoded. */
export const formBody: fc.Arbitrary<GeneratedBody> = twilioParams.chain((p) =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constant({ kind: 'valid' as const, text: new URLSearchParams(p).toString() }) },
    {
      weight: 6,
      arbitrary: mutated(p).map((b) => {
        // JSON.parse keeps a "__proto__" key as an own field: it goes out as a form field like any other.
        const parsed: unknown = JSON.parse(b.text);
        const entries: [string, unknown][] =
          parsed && typeof parsed === 'object' ? Object.entries(parsed) : [['x', parsed]];
        const form = new URLSearchParams(entries.map(([k, v]): [string, string] => [k, formValue(v)]));
        return { kind: 'mutated' as const, text: form.toString() };
      }),
    },
    {
      weight: 1,
      arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }).map((text) => ({ kind: 'malformed' as const, text })),
    },
    { weight: 1, arbitrary: randomJson },
  ),
);
