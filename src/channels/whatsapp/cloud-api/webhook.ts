/**
 * WhatsApp Cloud API's inbound side: the GET subscription handshake, POSTs signed with
 * X-Hub-Signature-256, and the messages and statuses inside them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { safeEqualText } from '../../../lib/crypto';
import { isRecord } from '../../../lib/http';
import { type DeliveryError, PermanentDeliveryError } from '../../errors';
import type { DeliveryProblem } from '../../errors';
import { classifyGraphError, GraphErrorCode, redact } from './adapter';

/**
 * The GET subscription handshake: returns hub.challenge to echo (200, text/plain) when the token matches, else
 * undefined (answer 403). Accepts flat `hub.mode` keys (fastify, URLSearchParams) and nested `hub: { mode }` (qs).
 */
export function verifyWebhookChallenge(query: Record<string, unknown>, verifyToken: string): string | undefined {
  const hub = isRecord(query.hub) ? query.hub : {};
  const mode = query['hub.mode'] ?? hub.mode;
  const token = query['hub.verify_token'] ?? hub.verify_token;
  const challenge = query['hub.challenge'] ?? hub.challenge;
  if (mode !== 'subscribe' || typeof token !== 'string' || typeof challenge !== 'string') return undefined;
  if (!verifyToken || !safeEqualText(token, verifyToken)) return undefined;
  return challenge;
}

/**
 * Checks X-Hub-Signature-256 ("sha256=" + hex HMAC-SHA256 of the body with the app secret). Pass the raw bytes as
 * received: Meta signs its own serialisation (non-ASCII escaped as \uXXXX), so re-stringified JSON won't match.
 */
export function verifySignature256(rawBody: Buffer | string, header: string | undefined, appSecret: string): boolean {
  if (!header || !appSecret) return false;
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match?.[1]) return false;
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return timingSafeEqual(Buffer.from(match[1], 'hex'), expected);
}

export interface WhatsAppMessageEvent {
  type: 'message';
  /** Sender's WhatsApp id (phone number digits, no '+'). */
  from: string;
  /** wamid of the inbound message. */
  id: string;
  /** Unix seconds, as Meta sends it. */
  timestamp: string;
  /** Text of text messages, quick-reply buttons and interactive replies; absent for media and others. */
  text?: string;
  /** The wamid of our message they replied to (context.id): what send() returned as providerMessageId. */
  replyTo?: string;
  /** The id of the list row or reply button they chose, or a template quick-reply button's payload. */
  buttonId?: string;
}

export interface WhatsAppStatusEvent {
  type: 'status';
  /** wamid returned by send(). */
  id: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  recipientId: string;
  errors?: { code: number; title: string }[];
  /** Our idempotency key, echoed from biz_opaque_callback_data. */
  bizOpaqueCallbackData?: string;
}

export type WhatsAppWebhookEvent = WhatsAppMessageEvent | WhatsAppStatusEvent;

const inboundMessageSchema = z.object({
  from: z.string().min(1),
  id: z.string().min(1),
  timestamp: z.string(),
  type: z.string(),
  text: z.object({ body: z.string() }).optional(),
  button: z.object({ text: z.string(), payload: z.string().optional() }).optional(),
  interactive: z
    .object({
      button_reply: z.object({ id: z.string().optional(), title: z.string() }).optional(),
      list_reply: z.object({ id: z.string().optional(), title: z.string() }).optional(),
    })
    .optional(),
  context: z.object({ id: z.string().optional() }).optional(),
});

const statusSchema = z.object({
  id: z.string().min(1),
  status: z.enum(['sent', 'delivered', 'read', 'failed']),
  recipient_id: z.string(),
  // Dropping a failed status over a missing title would hide the failure: fall back to message.
  errors: z
    .array(z.object({ code: z.number().int(), title: z.string().optional(), message: z.string().optional() }))
    .optional(),
  biz_opaque_callback_data: z.string().optional(),
});

const webhookSchema = z.object({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(
    z.object({
      changes: z.array(
        z.object({
          field: z.string(),
          value: z
            .object({ messages: z.array(z.unknown()).optional(), statuses: z.array(z.unknown()).optional() })
            .optional(),
        }),
      ),
    }),
  ),
});

/**
 * Flattens a `messages`-field webhook into events, in payload order. Throws on a payload that isn't a WhatsApp
 * Business Account webhook at all; skips single items it doesn't understand (new message types, statuses such as
 * 'deleted'), since refusing the batch would only make Meta redeliver it until the subscription is disabled.
 */
export function parseWebhookPayload(body: unknown): WhatsAppWebhookEvent[] {
  const parsed = webhookSchema.safeParse(body);
  if (!parsed.success) {
    const paths = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw new Error(`whatsapp webhook: not a whatsapp_business_account payload (${paths})`);
  }
  const events: WhatsAppWebhookEvent[] = [];
  for (const entry of parsed.data.entry) {
    for (const change of entry.changes) {
      if (change.field !== 'messages' || !change.value) continue;
      for (const item of change.value.messages ?? []) {
        const m = inboundMessageSchema.safeParse(item).data;
        if (!m) continue;
        const text =
          m.text?.body ?? m.button?.text ?? m.interactive?.button_reply?.title ?? m.interactive?.list_reply?.title;
        const buttonId = m.interactive?.list_reply?.id ?? m.interactive?.button_reply?.id ?? m.button?.payload;
        events.push({
          type: 'message',
          from: m.from,
          id: m.id,
          timestamp: m.timestamp,
          ...(text !== undefined ? { text } : {}),
          ...(m.context?.id ? { replyTo: m.context.id } : {}),
          ...(buttonId ? { buttonId } : {}),
        });
      }
      for (const item of change.value.statuses ?? []) {
        const s = statusSchema.safeParse(item).data;
        if (!s) continue;
        events.push({
          type: 'status',
          id: s.id,
          status: s.status,
          recipientId: s.recipient_id,
          ...(s.errors ? { errors: s.errors.map((e) => ({ code: e.code, title: e.title ?? e.message ?? '' })) } : {}),
          ...(s.biz_opaque_callback_data !== undefined ? { bizOpaqueCallbackData: s.biz_opaque_callback_data } : {}),
        });
      }
    }
  }
  return events;
}

/**
 * Only "message undeliverable" (not on WhatsApp, or can't receive) is about the number. Other permanent
 * failures (template errors, outside the 24 h window, invalid parameters) are ours to fix and must not block
 * the customer's channel.
 */
export function problemOfFailedStatus(
  e: WhatsAppStatusEvent,
): Extract<DeliveryProblem, 'invalid-address' | 'undelivered'> {
  const err = deliveryErrorForStatus(e);
  return err instanceof PermanentDeliveryError && e.errors?.[0]?.code === GraphErrorCode.messageUndeliverable
    ? 'invalid-address'
    : 'undelivered';
}

/** Status webhooks with status 'failed' carry the asynchronous errors; this classifies them like send() errors. */
export function deliveryErrorForStatus(event: WhatsAppStatusEvent): DeliveryError | undefined {
  if (event.status !== 'failed') return undefined;
  const first = event.errors?.[0];
  return classifyGraphError({
    status: undefined,
    code: first?.code,
    text: `whatsapp-cloud: status failed${first ? ` ${first.code}: ${redact(first.title, event.recipientId)}` : ''}`,
    // Webhooks carry no Retry-After.
    delay: (fallbackMs) => fallbackMs,
  });
}
