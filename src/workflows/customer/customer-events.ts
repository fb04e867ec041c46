/**
 * Events about the customer (consent, delivery problems, a linked Telegram chat, offers, feedback, replies), as a
 * signal from journeys and as the business's own update. Workflow code: deterministic.
 */
import { log, setHandler } from '@temporalio/workflow';
import { applyCustomerEvent } from './consent';
import { currentContactKeys, linkTelegram } from './contacts';
import { applyCustomerEventUpdate, customerEventSignal, type CustomerEvent } from './contract';
import type { Lifecycle } from './context';
import { rememberInbound } from './conversation';
import { pushSnapshots, rememberFeedback, rememberOffer, toConsentAnswer } from './journeys';

/** Events that change what lean journeys keep of the customer. */
const CHANGES_SNAPSHOTS = new Set(['opt-out', 'opt-in', 'delivery-problem', 'telegram-linked', 'inbound']);

/**
 * A reply on SMS or Telegram changes nothing a journey decides by (only WhatsApp's 24-hour window reads when the
 * customer last wrote): no snapshot push, one signal per running journey saved. Replies carry their text; inbound
 * events from before replies were kept carry none, and push as they always did (recorded histories replay).
 */
const replyJourneysNeedNot = (event: CustomerEvent) =>
  event.type === 'inbound' && event.text !== undefined && event.channel !== 'whatsapp';

/** Registers the customer event signal, then the business's consent update (in that order). */
export function handleCustomerEvents(l: Lifecycle, describe: () => void): void {
  const { state } = l;
  /** Applies an event; what lean journeys keep of the customer changed: each gets the new snapshot (awaitable). */
  const applyEvent = (event: CustomerEvent): Promise<void> => {
    const outcome = applyCustomerEvent(state.consent, event, state.profileKeys);
    if (outcome.ignored)
      log.info('customer event ignored', { type: event.type, eventId: event.eventId, why: outcome.ignored });
    if (outcome.profilePatch && state.profile) state.profile = { ...state.profile, ...outcome.profilePatch };
    if (event.type === 'telegram-linked' && outcome.applied) {
      linkTelegram(state, event);
      state.contactKeys = state.profileKeys
        ? currentContactKeys(state)
        : [...new Set([...state.contactKeys, event.contactKey])];
    }
    if (outcome.applied && event.type === 'offer-issued') rememberOffer(l, event);
    if (outcome.applied && event.type === 'feedback') rememberFeedback(l, event);
    if (outcome.applied && event.type === 'inbound') rememberInbound(l, event);
    const pushed =
      outcome.applied && CHANGES_SNAPSHOTS.has(event.type) && !replyJourneysNeedNot(event)
        ? pushSnapshots(l)
        : Promise.resolve();
    describe();
    return pushed;
  };
  setHandler(customerEventSignal, (event) => void applyEvent(event));
  // The business's own consent calls: answered once every lean journey of the customer has the change, so the
  // next call it makes (a stage update) already finds it there.
  setHandler(applyCustomerEventUpdate, async (event) => {
    await applyEvent(event);
    return toConsentAnswer(state);
  });
}
