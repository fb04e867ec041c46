/**
 * POST /v1/preview: a hypothetical order and customer in, every message Aftercare would send for them out. The
 * order and customer fields are those of POST /v1/orders (the same schemas), plus what only a preview asks: the
 * order's future (stage events with times, the survey answer) and the customer's consent.
 */
import { z } from 'zod';
import { CHANNELS } from '../channels/types';
import { MESSAGE_KINDS } from '../messages/kind-names';
import { ISSUE_KINDS } from '../playbook/issues';
import { parseDuration } from '../playbook/duration';
import { businessKey, currencyCode, money } from './common';
import { consentInputSchema } from './customers';
import { customerInputSchema, inMinorUnits, orderItemSchema } from './orders';

const EARLIEST = Date.parse('2000-01-01T00:00:00Z');
const LATEST = Date.parse('2100-01-01T00:00:00Z');

/** Any time a business may plan for (the future too: it is a preview), with its offset. */
const when = z.iso
  .datetime({ offset: true, error: 'must be an ISO date-time with an offset, e.g. "2026-03-01T10:00:00Z"' })
  .refine((at) => Date.parse(at) >= EARLIEST && Date.parse(at) < LATEST, 'must be between 2000 and 2100');

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration; write e.g. "30s", "2h", "3 days"` });
    return z.NEVER;
  }
  return ms;
});

const previewCustomerSchema = z
  .object({
    ...customerInputSchema.shape,
    /** Whose preview it is: only the A/B variants a customer gets depend on it. */
    id: businessKey.default('preview-customer'),
    /** Consent as the customer gave or withdrew it, in order (the body of POST /v1/customers/{id}/consent). */
    consent: z
      .array(consentInputSchema.pick({ purpose: true, channel: true, granted: true }))
      .max(20)
      .default([]),
  })
  .refine((c) => c.email !== undefined || c.phone !== undefined || c.telegramChatId !== undefined, {
    message: 'give at least one contact: email, phone or telegramChatId',
  });

const stageEventSchema = z
  .object({
    /** A stage of the playbook, or "delayed" / "problem" for a notice. */
    stage: z.string().min(1).max(40),
    /** When the business reports it. */
    at: when,
    note: z.string().trim().min(1).max(1000).optional(),
    reason: z.string().trim().min(1).max(1000).optional(),
    eta: z.iso.datetime({ offset: true }).optional(),
  })
  .refine(
    (u) => !(ISSUE_KINDS as readonly string[]).includes(u.stage) || u.reason !== undefined || u.note !== undefined,
    { path: ['reason'], message: 'a "delayed" or "problem" notice needs a reason the customer can read' },
  );

export const previewInputSchema = z
  .object({
    orderId: businessKey.default('PREVIEW-1'),
    customer: previewCustomerSchema,
    items: z.array(orderItemSchema).min(1, 'an order needs at least one item').max(500),
    currency: currencyCode,
    total: money,
    /** When the order reaches Aftercare; default: now. */
    placedAt: when.optional(),
    /** The business's stage events, in order; default: the playbook's stages one after another (see assumptions). */
    stages: z.array(stageEventSchema).max(50).optional(),
    /** The customer's answer to the survey; absent: nobody answers. */
    survey: z
      .object({
        rating: z.number().int().min(1, 'rate from 1 to 5').max(5, 'rate from 1 to 5'),
        comment: z.string().trim().max(2000).optional(),
        /** How long after the survey reaches them they answer; default: half-way to the reminder. */
        answeredAfter: duration.optional(),
      })
      .optional(),
    /**
     * What the business knows of the customer, so messages read personalised: their tier (a playbook tier id),
     * interests (option ids or labels of the questionnaire's interests, or any text), the last thing they bought
     * (default: this order's items) and questionnaire answers (by question id, checked against the playbook).
     */
    personal: z
      .object({
        tier: z.string().min(1).max(30).optional(),
        interests: z.array(z.string().trim().min(1).max(80)).max(10).optional(),
        lastPurchase: z.array(z.string().trim().min(1).max(200)).max(10).optional(),
        answers: z
          .record(z.string().max(30), z.union([z.string().max(1000), z.array(z.string().max(100)).max(20)]))
          .optional(),
      })
      .optional(),
  })
  .transform(inMinorUnits);

export type PreviewInput = z.output<typeof previewInputSchema>;
export type PreviewRequest = z.input<typeof previewInputSchema>;

export const previewMessageView = z.object({
  /** The message's key in the journey's (or lifecycle's) record. */
  key: z.string(),
  kind: z.enum(MESSAGE_KINDS),
  purpose: z.enum(['transactional', 'marketing']),
  to: z.enum(['customer', 'business']),
  from: z.enum(['order journey', 'customer lifecycle']),
  /** Absent when it is skipped before a channel is chosen. */
  channel: z.enum(CHANNELS).optional(),
  /** The customer's A/B variant of this kind, when the playbook has variants for it. */
  variant: z.string().optional(),
  /** When it goes (skipped: when that is decided). */
  at: z.string(),
  /** When it fell due, if quiet hours or the frequency cap held it until `at`. */
  dueAt: z.string().optional(),
  held: z.array(z.object({ reason: z.enum(['quiet-hours', 'frequency-cap']), until: z.string() })).optional(),
  /** Email: the subject line. SMS, Telegram, WhatsApp: the text's first line. Links and codes as placeholders. */
  subject: z.string(),
  /** SMS, Telegram, WhatsApp: the whole text; email: the plain-text part's opening. */
  preview: z.string().optional(),
  /** Channels the customer allows that cannot carry it (WhatsApp without a template), passed over. */
  passedOver: z.array(z.object({ channel: z.enum(CHANNELS), reason: z.string() })).optional(),
  /** Why it is not sent: consent, the frequency cap (drop), nobody reachable, superseded. */
  skipped: z.string().optional(),
});

export const previewResponse = z.object({
  /** Every message, sent or skipped, by time. */
  messages: z.array(previewMessageView),
  /** What the preview took for granted: read them with the list. */
  assumptions: z.array(z.string()),
});
export type PreviewResponse = z.output<typeof previewResponse>;
