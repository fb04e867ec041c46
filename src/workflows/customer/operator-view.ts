/**
 * What an operator sees of a customer in the Temporal UI: current details, and the search
 * attributes they filter on (upserted only when they change: each upsert is a billed action).
 * Workflow code: deterministic.
 */
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { CHANNELS } from '../../channels/types';
import { marketingAllowed } from './consent';
import { CUSTOMER_SA, type CustomerLifecycleState } from './contract';
import { DETAILS_MAX_BYTES, fitBytes, fitKeywordList } from '../../lib/bounded-text';

export function customerView(
  state: CustomerLifecycleState,
  patches: { withConsent: boolean; withLoyalty: boolean; lean?: boolean },
): () => void {
  let shown = '';
  return () => {
    const blocked = CHANNELS.filter((c) => state.consent.channels[c]?.blocked);
    const consent =
      state.profile && state.rules
        ? marketingAllowed(state.consent, state.profile, state.rules)
          ? 'granted'
          : 'denied'
        : 'unknown';
    setCurrentDetails(
      fitBytes(
        [
          `**Customer** ${state.customerId}`,
          `**Orders** ${state.orders.length} (${state.orders.filter((o) => o.status === 'active').length} active)`,
          `**Last order** ${state.lastOrderAt ?? 'none yet'}`,
          ...(state.loyalty
            ? [
                `**Loyalty** ${state.loyalty.tier ?? 'no tier yet'} · cashback ${state.loyalty.cashbackBalanceMinor} (minor units ${state.loyalty.currency ?? ''})`,
              ]
            : []),
          ...(state.value ? [`**Value** ${state.value.score} · ${state.value.segment}`] : []),
          `**Marketing** ${consent}${state.consent.marketing.source ? ` (${state.consent.marketing.source})` : ''}`,
          `**Blocked channels** ${blocked.length ? blocked.map((c) => `${c} (${state.consent.channels[c]!.blocked!.reason})`).join(', ') : 'none'}`,
        ].join('\n\n'),
        DETAILS_MAX_BYTES,
      ),
    );
    const loyaltyKeys = patches.withLoyalty
      ? [
          state.value?.segment ?? null,
          state.loyalty?.tier ?? null,
          state.value?.score ?? null,
          state.loyalty?.spendMinor ?? 0,
        ]
      : [];
    // Lean lifecycles upsert on transitions an operator filters on (channels blocked, consent, contact keys,
    // segment, tier); the RFM score and lifetime value ride along. Older runs upsert on every change.
    const key = JSON.stringify(
      patches.lean
        ? [blocked, consent, state.contactKeys, state.value?.segment ?? null, state.loyalty?.tier ?? null]
        : [blocked, consent, state.contactKeys, ...loyaltyKeys],
    );
    if (patches.withConsent && key !== shown) {
      upsertSearchAttributes([
        { key: CUSTOMER_SA.blockedChannels, value: blocked },
        { key: CUSTOMER_SA.marketingConsent, value: consent },
        // Bounded upstream (currentContactKeys); checked here too: an oversized value would end the lifecycle.
        { key: CUSTOMER_SA.contactKeys, value: fitKeywordList(state.contactKeys) },
        ...(patches.withLoyalty
          ? [
              { key: CUSTOMER_SA.segment, value: state.value?.segment ?? null },
              { key: CUSTOMER_SA.tier, value: state.loyalty?.tier ?? null },
              { key: CUSTOMER_SA.rfm, value: state.value?.score ?? null },
              { key: CUSTOMER_SA.lifetimeValue, value: state.loyalty?.spendMinor ?? 0 },
            ]
          : []),
      ]);
      shown = key;
    }
  };
}
