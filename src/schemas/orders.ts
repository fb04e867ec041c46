/** Request schemas of the order routes: validated once, at the edge; workflows get the output. */
import { z } from 'zod';
import { CHANNELS } from '../channels/types';
import { toMinorUnits } from '../lib/money';
import { ISSUE_KINDS } from '../playbook/schema';
import type { CancelOrderInput, FeedbackInput, Order, RefundInput, StageUpdate } from '../workflows/order/contract';
import { businessKey, currencyCode, e164, localeTag, money, timeZone } from './common';

export const customerInputSchema = z
  .object({
    id: businessKey,
    name: z.string().trim().min(1).max(200),
    email: z.email('must be a valid email address').max(254).optional(),
    phone: e164.optional(),
    telegramChatId: z
      .union([z.string().regex(/^-?\d{1,20}$/, 'must be a numeric Telegram chat id'), z.number().int()])
      .transform(String)
      .optional(),
    locale: localeTag.optional(),
    timeZone: timeZone.optional(),
    /** The customer's own channel order; overrides the playbook's. */
    preferredChannels: z
      .array(z.enum(CHANNELS))
      .min(1)
      .max(4)
      .refine((list) => new Set(list).size === list.length, 'name each channel once')
      .optional(),
    /** Explicit marketing consent given at checkout (needed where the playbook requires opt-in). */
    marketingConsent: z.boolean().optional(),
  })
  .refine((c) => c.email !== undefined || c.phone !== undefined || c.telegramChatId !== undefined, {
    message: 'give at least one contact: email, phone or telegramChatId',
  });

const EARLIEST_PLACED_AT = Date.parse('2000-01-01T00:00:00Z');
const PLACED_AT_SKEW_MS = 5 * 60_000;

/** When something happened at the source (a shop's clock): an ISO time, not in the future beyond the same skew. */
const happenedAt = z.iso
  .datetime({ offset: true })
  .refine(
    (at) => Date.parse(at) <= Date.now() + PLACED_AT_SKEW_MS,
    'must not be in the future (5 minutes of skew allowed)',
  );

export const orderItemSchema = z.object({
  sku: z.string().trim().min(1).max(100),
  name: z.string().trim().min(1).max(300),
  quantity: z.number().int().min(1).max(1_000_000),
  unitPrice: money,
  warrantyMonths: z.number().int().min(1).max(600).optional(),
});

export const orderInputSchema = z
  .object({
    orderId: businessKey,
    customer: customerInputSchema,
    items: z.array(orderItemSchema).min(1, 'an order needs at least one item').max(500),
    currency: currencyCode,
    total: money,
    /**
     * When the customer ordered. Bounded: it orders a customer's orders, so one "placed" far in the future
     * would stay the newest forever. A few minutes of clock skew are fine.
     */
    placedAt: happenedAt
      .refine((at) => Date.parse(at) >= EARLIEST_PLACED_AT, 'must not be before 2000-01-01')
      .optional(),
    /** A personal offer or win-back code the customer used: attributes this order to that follow-up. */
    promoCode: z.string().trim().min(1).max(40).optional(),
  })
  .transform(inMinorUnits) satisfies z.ZodType<Order>;

export type OrderInput = z.input<typeof orderInputSchema>;

type OrderItemInput = z.output<typeof orderItemSchema>;

/** An order's money in integer minor units (its total, each unit price); an issue where there are too many decimals. */
export function inMinorUnits<T extends { currency: string; total: number; items: OrderItemInput[] }>(
  o: T,
  ctx: z.RefinementCtx,
): Omit<T, 'total' | 'items'> & { items: (OrderItemInput & { unitPriceMinor: number })[]; totalMinor: number } {
  const totalMinor = toMinorUnits(o.total, o.currency);
  if (totalMinor === undefined) {
    ctx.addIssue({ code: 'custom', path: ['total'], message: `has more decimals than ${o.currency} allows` });
  }
  const items = o.items.map((item, i) => {
    const unitPriceMinor = toMinorUnits(item.unitPrice, o.currency);
    if (unitPriceMinor === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['items', i, 'unitPrice'],
        message: `has more decimals than ${o.currency} allows`,
      });
    }
    return { ...item, unitPriceMinor: unitPriceMinor ?? 0 };
  });
  const { total: _total, items: _items, ...rest } = o;
  return { ...rest, items, totalMinor: totalMinor ?? 0 };
}

export const stageUpdateSchema = z
  .object({
    stage: z.string().min(1).max(40),
    note: z.string().trim().min(1).max(1000).optional(),
    reason: z.string().trim().min(1).max(1000).optional(),
    eta: z.iso.datetime({ offset: true }).optional(),
    /** When it happened at the source (a shop's event time): an update older than the current stage is ignored. */
    occurredAt: happenedAt.optional(),
  })
  .refine(
    (u) => !(ISSUE_KINDS as readonly string[]).includes(u.stage) || u.reason !== undefined || u.note !== undefined,
    {
      path: ['reason'],
      message: 'a "delayed" or "problem" notice needs a reason the customer can read',
    },
  ) satisfies z.ZodType<StageUpdate>;
export type StageUpdateInput = z.input<typeof stageUpdateSchema>;

export const feedbackInputSchema = z.object({
  rating: z.number().int().min(1, 'rate from 1 to 5').max(5, 'rate from 1 to 5'),
  comment: z.string().trim().max(2000).optional(),
  /** Where the answer came from: the survey page, or the business's own channel. */
  source: z.string().trim().min(1).max(100).optional(),
}) satisfies z.ZodType<FeedbackInput>;

/** The business cancels an order; its reason stays in the record (the customer's message does not quote it). */
export const cancelOrderSchema = z.object({
  reason: z
    .string({ error: 'required: why the order is cancelled (kept in the record, not shown to the customer)' })
    .trim()
    .min(1)
    .max(300),
  /** When it was cancelled at the source (the shop's time); defaults to now. */
  occurredAt: happenedAt.optional(),
}) satisfies z.ZodType<CancelOrderInput>;

/** Money back for an order: a refund, or a return of goods, in the order's currency (decimal, like the order). */
export const refundInputSchema = z
  .object({
    refundId: businessKey,
    kind: z.enum(['refund', 'return']).default('refund'),
    amount: money.refine((a) => a > 0, 'must be more than 0'),
    currency: currencyCode,
    reason: z.string().trim().min(1).max(300).optional(),
    occurredAt: happenedAt.optional(),
  })
  .transform((r, ctx) => {
    const amountMinor = toMinorUnits(r.amount, r.currency);
    if (amountMinor === undefined) {
      ctx.addIssue({ code: 'custom', path: ['amount'], message: `has more decimals than ${r.currency} allows` });
      return z.NEVER;
    }
    const { amount: _amount, ...rest } = r;
    return { ...rest, amountMinor } satisfies Omit<RefundInput, 'source'>;
  });
export type RefundRequest = z.input<typeof refundInputSchema>;
