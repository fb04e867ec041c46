import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type FakeResponse,
  HttpFake,
  isRecord,
  type RecordedJsonRequest,
  recordJson,
  sleep,
  writeResponse,
} from './http-fake';

export type { FakeResponse };

/**
 * A fake of the WhatsApp Cloud API send endpoint (POST /<version>/<phone-number-id>/messages) on 127.0.0.1.
 * Error bodies follow Graph's `{ error: { message, type, code, error_data, fbtrace_id } }`, with the HTTP
 * statuses Meta documents per code. Also builds signed webhook payloads for driving inbound handlers.
 */

export const FAKE_WHATSAPP_TOKEN = 'EAAG-test-aftercare';
export const FAKE_PHONE_NUMBER_ID = '106540352242922';

export type RecordedRequest = RecordedJsonRequest;

export interface SentWhatsApp {
  id: string;
  phoneNumberId: string;
  graphVersion: string;
  to: string;
  type: 'text' | 'template' | 'interactive';
  text?: { body: string; preview_url?: boolean };
  /** A list message (one-tap answers): its body, the label of the button that opens it, its sections' rows. */
  interactive?: {
    type: 'list';
    body: { text: string };
    action: {
      button: string;
      sections: { title?: string; rows: { id: string; title: string; description?: string }[] }[];
    };
  };
  template?: {
    name: string;
    language: { code: string };
    components?: { type: string; parameters: { type: string; text?: string }[] }[];
  };
  bizOpaqueCallbackData?: string;
}

export interface FakeWhatsApp {
  /** Base URL without a trailing slash, for the adapter's `baseUrl`. */
  url: string;
  token: string;
  phoneNumberId: string;
  /** Every request received, in order, including rejected ones. */
  requests: RecordedRequest[];
  /** Messages accepted. Graph has no idempotency: a resend is a second entry. */
  sent: SentWhatsApp[];
  /** The next `n` requests to the messages endpoint get `response` instead of being processed. */
  failNext(n: number, response: FakeResponse): void;
  /** Delays processing, for timeout tests. */
  setLatency(ms: number): void;
  reset(): void;
  close(): Promise<void>;
}

/** Ready-made failures, shaped like Graph's (v16+ responses no longer carry error_subcode). */
export const whatsappFailures = {
  outsideWindow: (): FakeResponse => ({
    status: 400,
    body: graphError(
      131047,
      'Re-engagement message',
      'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
    ),
  }),
  undeliverable: (): FakeResponse => ({
    status: 400,
    body: graphError(131026, 'Message Undeliverable', 'Message Undeliverable.'),
  }),
  throttled: (retryAfterSeconds?: number): FakeResponse => ({
    status: 429,
    ...(retryAfterSeconds !== undefined ? { headers: { 'retry-after': String(retryAfterSeconds) } } : {}),
    body: graphError(
      130429,
      'Rate limit hit',
      'Message failed to send because there were too many messages sent from this phone number in a short period of time',
    ),
  }),
  serverError: (): FakeResponse => ({
    status: 500,
    body: graphError(131000, 'Something went wrong', 'Message failed to send due to an unknown error.'),
  }),
};

export interface FakeWhatsAppOptions {
  token?: string;
  phoneNumberId?: string;
}

export async function startFakeWhatsApp(opts: FakeWhatsAppOptions = {}): Promise<FakeWhatsApp> {
  const token = opts.token ?? FAKE_WHATSAPP_TOKEN;
  const phoneNumberId = opts.phoneNumberId ?? FAKE_PHONE_NUMBER_ID;
  const http = new HttpFake<RecordedRequest>();
  const sent: SentWhatsApp[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const { path, method, parsed } = recordJson(http, req, raw);

    const route = /^\/(v\d+\.\d+)\/([^/]+)\/messages$/.exec(path);
    if (!route) {
      return reply(res, 400, rawGraphError(2500, `Unknown path components: ${path}`, 'OAuthException'));
    }
    const [, graphVersion = '', idInPath = ''] = route;
    if (method !== 'POST') {
      return reply(res, 400, rawGraphError(100, 'Unsupported get request.', 'GraphMethodException'));
    }

    const failure = http.failures.shift();
    if (failure) return reply(res, failure.status, failure.body, failure.headers);
    if (http.latencyMs > 0) await sleep(http.latencyMs);

    const auth = req.headers.authorization;
    if (!auth) {
      return reply(
        res,
        401,
        rawGraphError(190, 'An access token is required to request this resource.', 'OAuthException'),
        {
          'www-authenticate': 'OAuth "Facebook Platform" "invalid_request" "An access token is required"',
        },
      );
    }
    if (auth !== `Bearer ${token}`) {
      return reply(
        res,
        401,
        rawGraphError(190, 'Invalid OAuth access token - Cannot parse access token', 'OAuthException'),
        {
          'www-authenticate': 'OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token"',
        },
      );
    }
    if (decodeURIComponent(idInPath) !== phoneNumberId) {
      return reply(
        res,
        400,
        rawGraphError(
          100,
          `Unsupported post request. Object with ID '${idInPath}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
          'GraphMethodException',
          undefined,
          33,
        ),
      );
    }

    if (!parsed.ok || !isRecord(parsed.value)) return reply(res, 400, invalidParameter('Invalid JSON body.'));
    const body = parsed.value;
    const invalid = validateMessage(body);
    if (invalid) return reply(res, 400, invalid);

    const to = body.to as string;
    const message: SentWhatsApp = {
      id: `wamid.${randomBytes(24).toString('base64url')}`,
      phoneNumberId,
      graphVersion,
      to,
      type: body.type as SentWhatsApp['type'],
      ...(body.type === 'text' ? { text: body.text as SentWhatsApp['text'] } : {}),
      ...(body.type === 'interactive' ? { interactive: body.interactive as SentWhatsApp['interactive'] } : {}),
      ...(body.type === 'template' ? { template: body.template as SentWhatsApp['template'] } : {}),
      ...(typeof body.biz_opaque_callback_data === 'string'
        ? { bizOpaqueCallbackData: body.biz_opaque_callback_data }
        : {}),
    };
    sent.push(message);
    return reply(res, 200, {
      messaging_product: 'whatsapp',
      contacts: [{ input: to, wa_id: to }],
      // Templates also report message_status ("accepted", or "held_for_quality_assessment"/"paused").
      messages: [{ id: message.id, ...(message.type === 'template' ? { message_status: 'accepted' } : {}) }],
    });
  }

  const url = await http.listen(handle, (res, err) => reply(res, 500, graphError(1, String(err))));

  return {
    url,
    token,
    phoneNumberId,
    sent,
    ...http.controls(() => {
      sent.length = 0;
    }),
  };
}

/** The checks Graph makes before accepting a text or template message (subset that matters here). */
function validateMessage(body: Record<string, unknown>): unknown {
  if (body.messaging_product !== 'whatsapp') {
    return invalidParameter('The parameter messaging_product is required.');
  }
  if (body.recipient_type !== undefined && body.recipient_type !== 'individual' && body.recipient_type !== 'group') {
    return invalidParameter('Param recipient_type must be one of {individual, group}.');
  }
  // Graph tolerates a '+', but the adapter promises digits only, so the fake is stricter.
  if (typeof body.to !== 'string' || !/^\d{7,15}$/.test(body.to)) {
    return invalidParameter('Invalid parameter: to must be a phone number in digits.');
  }
  if (body.biz_opaque_callback_data !== undefined) {
    if (typeof body.biz_opaque_callback_data !== 'string' || body.biz_opaque_callback_data.length > 512) {
      return invalidParameter('biz_opaque_callback_data must be a string of at most 512 characters.');
    }
  }
  if (body.type === 'text') {
    const text = body.text;
    if (!isRecord(text) || typeof text.body !== 'string' || text.body === '') {
      return graphError(131008, 'Required parameter is missing', 'The parameter text[body] is required.');
    }
    if (text.body.length > 4096) return invalidParameter('Param text[body] must be at most 4096 characters long.');
    return undefined;
  }
  if (body.type === 'template') {
    const template = body.template;
    if (!isRecord(template) || typeof template.name !== 'string' || template.name === '') {
      return graphError(131008, 'Required parameter is missing', 'The parameter template[name] is required.');
    }
    if (!isRecord(template.language) || typeof template.language.code !== 'string') {
      return graphError(131008, 'Required parameter is missing', 'The parameter template[language][code] is required.');
    }
    if (template.components !== undefined) {
      const ok =
        Array.isArray(template.components) &&
        template.components.every(
          (c) =>
            isRecord(c) &&
            typeof c.type === 'string' &&
            Array.isArray(c.parameters) &&
            c.parameters.length > 0 &&
            c.parameters.every((p) => isRecord(p) && p.type === 'text' && typeof p.text === 'string' && p.text !== ''),
        );
      if (!ok) return graphError(132000, 'Number of parameters does not match the expected number of params');
    }
    return undefined;
  }
  if (body.type === 'interactive') return validateList(body.interactive);
  return invalidParameter('Param type must be one of {text, template, interactive, image, …}.');
}

/**
 * An interactive list as Graph checks it: a body of 1-4096 characters, a button label of 1-20, 1-10 sections (a
 * title each when there are several) with 1-10 rows in all, row ids unique and at most 200 characters, row titles
 * at most 24. Only lists: the adapter sends no other interactive type.
 */
function validateList(interactive: unknown): unknown {
  const missing = (name: string) =>
    graphError(131008, 'Required parameter is missing', `The parameter ${name} is required.`);
  const notValid = (details: string) => graphError(131009, 'Parameter value is not valid', details);
  if (!isRecord(interactive) || typeof interactive.type !== 'string') return missing('interactive[type]');
  if (interactive.type !== 'list') return invalidParameter('The adapter only sends interactive lists.');
  const body = interactive.body;
  if (!isRecord(body) || typeof body.text !== 'string' || body.text === '') return missing('interactive[body][text]');
  if ([...body.text].length > 4096) return notValid('Body text is too long. Max length is 4096');
  const action = interactive.action;
  if (!isRecord(action) || typeof action.button !== 'string' || action.button === '') {
    return missing('interactive[action][button]');
  }
  if ([...action.button].length > 20) return notValid('Button title length is too long. Max length is 20');
  const sections = action.sections;
  if (!Array.isArray(sections) || sections.length === 0 || sections.length > 10) {
    return notValid('Number of sections must be between 1 and 10');
  }
  const rows: unknown[] = [];
  for (const section of sections) {
    if (!isRecord(section) || !Array.isArray(section.rows) || section.rows.length === 0) {
      return missing('interactive[action][sections][rows]');
    }
    if (sections.length > 1 && (typeof section.title !== 'string' || section.title === '')) {
      return missing('interactive[action][sections][title]');
    }
    rows.push(...(section.rows as unknown[]));
  }
  if (rows.length > 10) return notValid('Total row count exceed max allowed count: 10');
  const ids = new Set<string>();
  for (const row of rows) {
    if (
      !isRecord(row) ||
      typeof row.id !== 'string' ||
      row.id === '' ||
      typeof row.title !== 'string' ||
      row.title === ''
    ) {
      return missing('interactive[action][sections][rows][id|title]');
    }
    if (row.id.length > 200) return notValid('Row id is too long. Max length is 200');
    if ([...row.title].length > 24) return notValid('Row title is too long. Max length is 24');
    if (ids.has(row.id)) return notValid('Row ids must be unique');
    ids.add(row.id);
  }
  return undefined;
}

/** Graph's error envelope for WhatsApp errors; `message` is "(#code) title" as Meta formats those. */
export function graphError(code: number, title: string, details?: string, type = 'OAuthException') {
  return rawGraphError(code, `(#${code}) ${title}`, type, details);
}

/** Generic Graph errors (tokens, unknown objects) carry a plain message, sometimes an error_subcode. */
function rawGraphError(code: number, message: string, type: string, details?: string, subcode?: number) {
  return {
    error: {
      message,
      type,
      code,
      ...(subcode !== undefined ? { error_subcode: subcode } : {}),
      ...(details ? { error_data: { messaging_product: 'whatsapp', details } } : {}),
      fbtrace_id: `A${randomBytes(16).toString('base64url')}`,
    },
  };
}

function invalidParameter(details: string) {
  return graphError(100, 'Invalid parameter', details);
}

/** The X-Hub-Signature-256 value Meta sends with a webhook POST. */
export function signWebhook(body: string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body, 'utf8').digest('hex')}`;
}

/** Webhook payloads shaped like Meta's `messages` field notifications. */
export const webhookPayloads = {
  inboundText(opts: {
    from: string;
    text: string;
    id?: string;
    timestamp?: string;
    name?: string;
    contextId?: string;
  }) {
    return envelope({
      contacts: [{ profile: { name: opts.name ?? 'Ana Customer' }, wa_id: opts.from }],
      messages: [
        {
          // A reply to one of our messages (swipe to reply) names it.
          ...(opts.contextId ? { context: { from: '15550783881', id: opts.contextId } } : {}),
          from: opts.from,
          id: opts.id ?? `wamid.${randomBytes(24).toString('base64url')}`,
          timestamp: opts.timestamp ?? String(Math.floor(Date.now() / 1000)),
          type: 'text',
          text: { body: opts.text },
        },
      ],
    });
  },
  /**
   * What a customer's choice in a list (interactive.list_reply), a reply button (interactive.button_reply) or a
   * template's quick-reply button (button.payload) looks like; `context` names the message they answered.
   */
  inboundChoice(opts: {
    from: string;
    kind: 'list_reply' | 'button_reply' | 'quick_reply';
    choiceId: string;
    title: string;
    contextId?: string;
    id?: string;
    timestamp?: string;
  }) {
    const choice =
      opts.kind === 'quick_reply'
        ? { type: 'button', button: { payload: opts.choiceId, text: opts.title } }
        : {
            type: 'interactive',
            interactive: {
              type: opts.kind,
              [opts.kind]: {
                id: opts.choiceId,
                title: opts.title,
                ...(opts.kind === 'list_reply' ? { description: '' } : {}),
              },
            },
          };
    return envelope({
      contacts: [{ profile: { name: 'Ana Customer' }, wa_id: opts.from }],
      messages: [
        {
          ...(opts.contextId ? { context: { from: '15550783881', id: opts.contextId } } : {}),
          from: opts.from,
          id: opts.id ?? `wamid.${randomBytes(24).toString('base64url')}`,
          timestamp: opts.timestamp ?? String(Math.floor(Date.now() / 1000)),
          ...choice,
        },
      ],
    });
  },
  status(opts: {
    id: string;
    recipientId: string;
    status: 'sent' | 'delivered' | 'read' | 'failed';
    timestamp?: string;
    bizOpaqueCallbackData?: string;
    error?: { code: number; title: string; details?: string };
  }) {
    const timestamp = opts.timestamp ?? String(Math.floor(Date.now() / 1000));
    return envelope({
      statuses: [
        {
          id: opts.id,
          status: opts.status,
          timestamp,
          recipient_id: opts.recipientId,
          ...(opts.bizOpaqueCallbackData !== undefined ? { biz_opaque_callback_data: opts.bizOpaqueCallbackData } : {}),
          ...(opts.status === 'failed'
            ? {
                errors: [
                  {
                    code: opts.error?.code ?? 131026,
                    title: opts.error?.title ?? 'Message Undeliverable',
                    message: opts.error?.title ?? 'Message Undeliverable',
                    error_data: { details: opts.error?.details ?? opts.error?.title ?? 'Message Undeliverable' },
                    href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
                  },
                ],
              }
            : {
                conversation: {
                  id: randomBytes(16).toString('hex'),
                  expiration_timestamp: String(Number(timestamp) + 24 * 60 * 60),
                  origin: { type: 'utility' },
                },
                pricing: { billable: true, pricing_model: 'PMP', category: 'utility', type: 'regular' },
              }),
        },
      ],
    });
  },
};

function envelope(value: Record<string, unknown>) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: FAKE_PHONE_NUMBER_ID },
              ...value,
            },
            field: 'messages',
          },
        ],
      },
    ],
  };
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  writeResponse(res, status, body, headers, 'application/json; charset=UTF-8', {
    'x-fb-trace-id': randomBytes(8).toString('base64url'),
  });
}
