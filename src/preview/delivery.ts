/**
 * The delivery loop (workflows/delivery/deliver.ts) played on virtual time: the same permit decision (consent,
 * quiet hours, frequency cap, reachability), waited out the same way, the message going on the first permitted
 * channel that can carry it. Sends are assumed to succeed: a preview cannot know a bounce in advance.
 */
import type { Channel } from '../channels/types';
import type { RecordedMessageData } from '../messages/data';
import { PURPOSE_OF, type MessageKind, type Purpose } from '../messages/kinds';
import { variantFor, type MessageVariant } from '../messages/variants';
import type { Playbook } from '../playbook/schema';
import { channelsFor, type SendPermit, type SendPermitRequest } from '../workflows/delivery/contract';
import type { Outgoing } from '../workflows/delivery/deliver';
import type { VirtualTime } from './virtual-time';

type Allowed = Extract<SendPermit, { decision: 'send' }>;

/** One message as the preview plans it. */
export interface PlannedMessage {
  key: string;
  kind: MessageKind;
  purpose: Purpose;
  /** The customer, or the business's own team (operator alerts). */
  to: 'customer' | 'business';
  /** Which workflow sends it. */
  from: 'order journey' | 'customer lifecycle';
  /** When it goes (or, skipped, when that was decided). */
  at: number;
  /** When it fell due, before quiet hours or the frequency cap held it. */
  dueAt: number;
  held: { reason: 'quiet-hours' | 'frequency-cap'; until: number }[];
  channel?: Channel;
  /** Channels the permit allowed that cannot carry this message, passed over as the send would be. */
  passedOver: { channel: Channel; reason: string }[];
  skipped?: string;
  data: RecordedMessageData;
  /** The customer's A/B variant of the kind (the playbook's), as the delivery loop deals it. */
  variant?: MessageVariant;
  /** Whom it is addressed to, as the permit said (skipped ones: the order's customer). */
  permit?: Allowed;
}

export interface PreviewDeliverer {
  from: PlannedMessage['from'];
  playbook: Playbook;
  /** The customer's id: it picks their A/B variants. */
  customerId: string;
  time: VirtualTime;
  /** The permit decision, as the journey (transactional) or the lifecycle (marketing, its own) makes it. */
  permit(request: SendPermitRequest): SendPermit;
  /** Every planned message, in the order planned. */
  out: PlannedMessage[];
}

/** Plays deliver(): ask, wait while told to, then the first channel that can carry the message. */
export async function planDelivery(d: PreviewDeliverer, message: Outgoing): Promise<PlannedMessage> {
  const { time, playbook } = d;
  const planned: PlannedMessage = {
    key: message.key,
    kind: message.kind,
    purpose: PURPOSE_OF[message.kind],
    to: 'customer',
    from: d.from,
    at: time.now,
    dueAt: time.now,
    held: [],
    passedOver: [],
    data: message.data,
  };
  const variant = variantFor(playbook, message.kind, d.customerId);
  if (variant) planned.variant = variant;
  d.out.push(planned);
  let permit: SendPermit;
  for (let round = 0; ; round++) {
    permit = d.permit({
      permitId: `preview/${d.from}/${message.key}/${round}`,
      kind: message.kind,
      purpose: planned.purpose,
      channels: channelsFor(playbook, message.kind),
    });
    if (permit.decision !== 'wait') break;
    const until = Date.parse(permit.until);
    planned.held.push({ reason: permit.reason, until });
    await time.until(until);
  }
  planned.at = time.now;
  if (permit.decision === 'skip') {
    planned.skipped = permit.reason;
    return planned;
  }
  planned.permit = permit;
  for (const { channel, notBefore } of permit.channels) {
    if (notBefore) {
      planned.held.push({ reason: 'quiet-hours', until: Date.parse(notBefore) });
      await time.until(Date.parse(notBefore));
    }
    planned.at = time.now;
    const refused = cannotCarry(playbook, message.kind, channel, permit);
    if (refused) {
      planned.passedOver.push({ channel, reason: refused });
      continue;
    }
    planned.channel = channel;
    return planned;
  }
  planned.skipped = `would fail on every channel (${planned.passedOver.map((p) => `${p.channel}: ${p.reason}`).join('; ')})`;
  return planned;
}

/**
 * Why a channel would refuse this message for certain (activities/delivery/compose.ts): outside the customer's
 * 24-hour window WhatsApp takes only an approved template, and the playbook has none for this kind.
 */
function cannotCarry(playbook: Playbook, kind: MessageKind, channel: Channel, permit: Allowed): string | undefined {
  if (channel !== 'whatsapp' || permit.whatsappWindowOpen || playbook.whatsapp.templates[kind]) return undefined;
  return `no WhatsApp template for ${kind}, and the customer has not written in the last 24 hours`;
}
