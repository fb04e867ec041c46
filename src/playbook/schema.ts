import { z } from 'zod';
import { CHANNELS } from '../channels/types';
import { MESSAGE_KINDS } from '../messages/kind-names';
import type { LocalizedText } from '../messages/localized';
import { parseDuration } from './duration';
import { clock, duration, stageId } from './fields';
import { followUpsSchema } from './follow-ups';
import { loyaltySchema, rfmSchema, winbackSchema } from './loyalty';
import { messagesSchema, variantIssues } from './message-settings';
import { localeTag, localizedText } from './texts';
import { questionnaireSchema } from './questionnaire';
import { ISSUE_KINDS, type IssueKind } from './issues';
import { shopifySchema, woocommerceSchema } from './shops';
import { WOOCOMMERCE_ACTIONS, WOOCOMMERCE_IGNORED_STATUSES } from './shop-statuses';

/**
 * The playbook: what a business tunes without touching code. Pure (no I/O) so workflows can
 * import its types; the journey keeps the playbook it started with in its input, so editing the
 * file changes new journeys and never rewrites the history of running ones.
 */

/** Stage events that report trouble without moving the order forward. */
export { ISSUE_KINDS, type IssueKind };

export type { LocalizedText };

const stageSchema = z.object({
  id: stageId.refine((id) => !(ISSUE_KINDS as readonly string[]).includes(id), {
    message: `"delayed" and "problem" are reserved for issue notices`,
  }),
  label: localizedText,
  /** Whether reaching this stage sends the customer a status message. */
  notify: z.boolean().default(true),
  /** Optional line added to the status message, e.g. what happens next. */
  description: localizedText.optional(),
  /**
   * How soon after the stage before it the business usually reports this stage ("3 days"). Past that the journey
   * marks itself stuck (stage-overdue) for an operator, until the update comes. Absent: no deadline.
   */
  expectedWithin: duration.optional(),
});

export const playbookBaseSchema = z.object({
  version: z.literal(1),
  brand: z.object({
    name: z.string().min(1),
    /** Sender for email, e.g. "Dana's Shop <orders@shop.example>". EMAIL_FROM overrides it. */
    sender: z.string().min(3),
    supportEmail: z.email().optional(),
    supportPhone: z.string().min(3).optional(),
    website: z.url().optional(),
  }),
  defaultLocale: localeTag.default('en'),
  /** Channels in order of preference; a message goes to the first one the customer can be reached on. */
  channels: z.array(z.enum(CHANNELS)).min(1).default(['email']),
  /** Stages in order; the last one completes the order. */
  stages: z.array(stageSchema).min(2, 'needs at least two stages: where orders start and where they complete'),
  /** Per message kind: its own channel order (e.g. status by Telegram first, offers by email only), A/B variants. */
  messages: messagesSchema,
  delays: z.object({
    /** After the final stage, how long to wait before the thank-you. */
    thankYou: duration,
    /**
     * Stage updates arriving within this window of each other send one status message, for the latest (a shop
     * that posts "shipped" and "delivered" 30 s apart). Each status message then waits the window. 0: off.
     */
    stageBurstWindow: duration.default(0),
  }),
  consent: z
    .object({
      /** true: marketing only to customers who opted in; false: to everyone until they opt out. */
      marketingRequiresOptIn: z.boolean().default(false),
    })
    .prefault({}),
  /** In the customer's time zone. Marketing always waits for the window to open; SMS too when `sms` is true. */
  quietHours: z
    .object({ start: clock.default('21:00'), end: clock.default('09:00'), sms: z.boolean().default(false) })
    .prefault({}),
  /** Marketing messages across all of a customer's journeys. */
  frequencyCap: z
    .object({
      max: z.number().int().min(1).max(100).default(2),
      per: duration.default(parseDuration('7 days')!),
      overCap: z.enum(['defer', 'drop']).default('defer'),
    })
    .prefault({}),
  sms: z.object({ maxSegments: z.number().int().min(1).max(10).default(3) }).prefault({}),
  whatsapp: z
    .object({
      /** Approved template per message kind, with its language code per locale. */
      templates: z
        .partialRecord(
          z.enum(MESSAGE_KINDS),
          z.object({ name: z.string().min(1), languages: z.record(localeTag, z.string().min(2)) }),
        )
        .default({}),
    })
    .prefault({}),
  /** Regulars and VIPs: tiers (low to high) with their discount, and cashback on every completed order. */
  loyalty: loyaltySchema.prefault({}),
  /** Value scoring: recency (days since last order), frequency (orders) and monetary (minor units) thresholds. */
  rfm: rfmSchema.prefault({}),
  /** "We miss you" when no order came for a while; stops the moment they order again. Omit to send none. */
  winback: winbackSchema.optional(),
  /** Who hears about unhappy customers: an email address and/or a Telegram chat of the business. */
  operator: z
    .object({
      email: z.email().optional(),
      telegramChatId: z
        .string()
        .regex(/^-?\d{1,20}$/)
        .optional(),
      /**
       * How often, at most, the operators get the digest of journeys that became stuck ("15 minutes" when absent:
       * read it with `digestEveryOf`, the section defaults to {}). A Temporal Schedule runs it.
       */
      digestEvery: duration.refine((ms) => ms >= 60_000, { message: 'must be at least 1 minute' }).optional(),
    })
    .default({}),
  followUps: followUpsSchema.prefault({}),
  delivery: z
    .object({
      /** How long a message keeps retrying transient provider errors before it counts as failed. */
      giveUpAfter: duration
        // A send whose worker dies is retried once its 30 s attempt times out: leave room for that retry.
        .refine((ms) => ms >= 60_000, {
          message: 'must be at least 1 minute, so a send cut off by a dying worker is retried',
        })
        .default(parseDuration('24h')!),
      /** A send still retrying after this long marks its journey stuck (delivery-failing) for an operator. */
      stuckAfter: duration.default(parseDuration('15m')!),
      /** A permit request the customer's lifecycle has not answered after this long marks the journey stuck. */
      lifecycleStuckAfter: duration.default(parseDuration('2m')!),
      /** A message held this long by quiet hours or the frequency cap marks its journey stuck (held). */
      heldStuckAfter: duration.default(parseDuration('1 day')!),
    })
    .prefault({}),
  /** The questionnaire for regulars (questionnaire.ts): omit it and nobody is invited. */
  questionnaire: questionnaireSchema.optional(),
  /**
   * A Shopify shop's webhooks (src/shops/shopify): which stage `orders/paid` and each shipment status move the
   * order to, or which notice they send; `null` ignores one. Omitted keys keep the defaults (mapping.ts).
   */
  shopify: shopifySchema.optional(),
  /**
   * A WooCommerce shop (src/shops/woocommerce): what each order status does (`start` the journey, `cancel` it, move
   * it to a stage, or send a notice; `null` ignores one), and how old an order may be and still start a journey.
   * Omitted statuses keep the defaults (mapping.ts).
   */
  woocommerce: woocommerceSchema.optional(),
});

export const playbookSchema = playbookBaseSchema.superRefine((p, ctx) => {
  const seen = new Set<string>();
  p.stages.forEach((s, i) => {
    if (seen.has(s.id))
      ctx.addIssue({ code: 'custom', path: ['stages', i, 'id'], message: `duplicate stage "${s.id}"` });
    seen.add(s.id);
  });
  const unknown = (path: (string | number)[], id: unknown) => {
    if (typeof id === 'string' && !seen.has(id)) {
      ctx.addIssue({ code: 'custom', path, message: `"${id}" is not one of the stages` });
    }
  };
  variantIssues(p.messages, ctx);
  unknown(['shopify', 'paid'], p.shopify?.paid);
  for (const [status, target] of Object.entries(p.shopify?.fulfillment ?? {})) {
    unknown(['shopify', 'fulfillment', status], target);
  }
  for (const [status, target] of Object.entries(p.woocommerce?.statuses ?? {})) {
    if ((WOOCOMMERCE_IGNORED_STATUSES as readonly string[]).includes(status)) {
      const message = 'is never acted on (a checkout draft or a trashed order)';
      ctx.addIssue({ code: 'custom', path: ['woocommerce', 'statuses', status], message });
    }
    if (!(WOOCOMMERCE_ACTIONS as readonly unknown[]).includes(target))
      unknown(['woocommerce', 'statuses', status], target);
  }
});

export type Playbook = z.output<typeof playbookSchema>;

/** Sections added to the playbook after its first version, each with defaults for `{}`. */
export type PlaybookInput = z.input<typeof playbookSchema>;
export type Stage = Playbook['stages'][number];
