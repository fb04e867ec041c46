/**
 * What journeys and the business ask of the lifecycle: a send permit (registered first, as always), and a change
 * to the notes and preferences the business keeps about the customer. Workflow code: deterministic.
 */
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { linkedChatFor } from './contacts';
import { requestSendPermitUpdate, updateCustomerUpdate } from './contract';
import type { Lifecycle } from './context';
import { decidePermit } from './permit';
import { withPersonal } from './personal';
import type { JourneyNews } from './snapshot';
import { loyaltyView } from './value';

/** `takeNews` is how the order handlers apply a journey's news (./orders.ts). */
export function handleRequests(l: Lifecycle, takeNews: (news: JourneyNews) => void, describe: () => void): void {
  const { state } = l;
  setHandler(
    requestSendPermitUpdate,
    (request) => {
      // A lean journey's news rides on its permit request: applied first (an offer, an answer, its completion).
      if (request.news) takeNews(request.news);
      const permit = decidePermit(state.consent, state.profile, request, state.rules!, Date.now(), {
        profileKeys: state.profileKeys,
        linkedChat: linkedChatFor(state, request.orderId),
      });
      if (permit.decision === 'send' && state.loyalty && request.kind === 'thank_you') {
        // The thank-you shows the customer's cashback and tier.
        return withPersonal(state, { ...permit, loyalty: loyaltyView(l) });
      }
      describe();
      return withPersonal(state, permit);
    },
    {
      description: 'May this message go out now, and on which channels? (consent, caps, quiet hours, reachability)',
      validator: (_request) => {
        if (!state.rules) throw new Error('no order has reached this customer yet');
      },
    },
  );
  setHandler(
    updateCustomerUpdate,
    (patch) => {
      if (patch.notes !== undefined) state.notes = patch.notes;
      if (state.profile) {
        state.profile = {
          ...state.profile,
          ...(patch.preferredChannels ? { preferredChannels: patch.preferredChannels } : {}),
          ...(patch.locale ? { locale: patch.locale } : {}),
          ...(patch.timeZone ? { timeZone: patch.timeZone } : {}),
        };
      }
      describe();
      return state;
    },
    {
      description: 'Notes and preferences the business keeps about the customer.',
      validator: (_patch) => {
        if (!state.profile) throw ApplicationFailure.nonRetryable('the customer has no order yet', 'CustomerUnknown');
      },
    },
  );
}
