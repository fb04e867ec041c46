import { z } from 'zod';
import { PermanentDeliveryError, TransientDeliveryError } from '../../errors';
import type { ChannelAdapter, OutgoingMessage, SendResult, WhatsAppContent } from '../../types';
import { parseJson } from '../../../lib/http';
import { graphResponseError, PROVIDER, requestFailedError } from './graph-errors';
import { graphMessageBody, toWhatsAppNumber } from './message-body';

// Split by concern; everything is still importable from here.
export {
  classifyGraphError,
  GraphErrorCode,
  type GraphFailure,
  OutsideServiceWindowError,
  redact,
} from './graph-errors';
export { toWhatsAppNumber } from './message-body';
export { withinServiceWindow } from './service-window';

/**
 * WhatsApp Business Cloud API (Meta Graph API), over plain fetch: text, templates, and one-tap answers as a list.
 *
 * No idempotency: Graph has no idempotency key, so a request that reached Meta but whose answer was lost
 * (timeout, reset connection, a 5xx without Graph's error body) can be delivered and then sent again by a retry.
 * Those errors are Transient, but this adapter is `keyless`: the send activity marks each attempt durably before
 * the request, and the attempt after a mark whose outcome is unknown is not resent but fails as
 * OutcomeUnknownError (Graph cannot list what it sent). Errors where Meta surely did not take the message (Graph
 * answered with its error body, or the connection never opened) say so (`surelyNotSent`): their retry sends. The
 * idempotency key is sent as `biz_opaque_callback_data`, which Meta echoes on status webhooks, so a message can be
 * recognised afterwards.
 *
 * Many rejections are asynchronous: Meta often answers 200 with a wamid and reports 131047/131026 later as a
 * `failed` status on the webhook. `deliveryErrorForStatus` maps those to the same error classes.
 */

export interface WhatsAppCloudAdapterOptions {
  /** System-user access token with whatsapp_business_messaging. */
  token: string;
  /** The business phone number's Graph id (not the phone number itself). */
  phoneNumberId: string;
  /** WHATSAPP_API_BASE_URL; defaults to https://graph.facebook.com. */
  baseUrl?: string;
  /** Graph API version, e.g. "v26.0". */
  graphVersion?: string;
  /** Aborts a hung request. A late success can't be deduplicated (no idempotency key), see above. */
  timeoutMs?: number;
  /** Clock for Retry-After HTTP dates; injectable for tests. */
  now?: () => number;
}

const DEFAULT_BASE_URL = 'https://graph.facebook.com';
// Current Graph version as of 2026-11 (released 2026-07-29); v21.0, often hard-coded, expires 2027-01-21.
const DEFAULT_GRAPH_VERSION = 'v26.0';

export class WhatsAppCloudAdapter implements ChannelAdapter<WhatsAppContent> {
  readonly channel = 'whatsapp' as const;
  readonly provider = PROVIDER;
  readonly keyless = true;
  private readonly url: string;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(opts: WhatsAppCloudAdapterOptions) {
    if (!opts.token) throw new Error('WhatsAppCloudAdapter: token is required');
    if (!opts.phoneNumberId) throw new Error('WhatsAppCloudAdapter: phoneNumberId is required');
    const version = opts.graphVersion ?? DEFAULT_GRAPH_VERSION;
    if (!/^v\d+\.\d+$/.test(version)) throw new Error(`WhatsAppCloudAdapter: graphVersion must look like v26.0`);
    const baseUrl = (opts.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.url = `${baseUrl}/${version}/${encodeURIComponent(opts.phoneNumberId)}/messages`;
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.now = opts.now ?? Date.now;
  }

  async send(message: OutgoingMessage<WhatsAppContent>): Promise<SendResult> {
    const to = toWhatsAppNumber(message.content.to);
    if (!to) throw new PermanentDeliveryError('whatsapp-cloud: recipient is not a phone number', PROVIDER);
    const body = graphMessageBody(to, message);

    let response: Response;
    let raw: string;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.token}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      raw = await response.text();
    } catch (err) {
      throw requestFailedError(err, to);
    }

    const json = parseJson(raw);
    if (response.ok) {
      const id = successSchema.safeParse(json).data?.messages[0]?.id;
      // Accepted but unreadable (a proxy?): retry like an outage, accepting the duplicate risk above.
      if (!id) throw new TransientDeliveryError('whatsapp-cloud: success response without a message id', PROVIDER);
      return { provider: PROVIDER, providerMessageId: id };
    }
    throw graphResponseError(response, json, to, this.now);
  }
}

const successSchema = z.object({ messages: z.array(z.object({ id: z.string().min(1) })).min(1) });
