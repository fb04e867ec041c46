/**
 * What templates may say about the customer beyond their name: their tier, the interests they chose in the
 * questionnaire and the last thing they bought. Computed from the lifecycle's state whenever a permit or a
 * snapshot is given, bounded, and absent when there is nothing to say (so old histories see no change).
 * Pure and deterministic: workflow code.
 */
import type { PersonalData } from '../../messages/data';
import { chosenInterests } from '../../rules/questionnaire';
import type { CustomerLifecycleState, CustomerOrderSummary } from './contract';

/** Item names kept per order, and the longest name kept. */
export const MAX_ITEM_NAMES = 3;
export const MAX_ITEM_NAME = 60;

/** An order's item names as the lifecycle keeps them: a few, clipped. */
export function clipItemNames(names: readonly string[] | undefined): string[] | undefined {
  const kept = (names ?? [])
    .map((name) => name.trim())
    .filter(Boolean)
    .slice(0, MAX_ITEM_NAMES)
    .map((name) => (name.length > MAX_ITEM_NAME ? `${name.slice(0, MAX_ITEM_NAME - 1)}…` : name));
  return kept.length > 0 ? kept : undefined;
}

export function personalOf(state: CustomerLifecycleState): PersonalData | undefined {
  const { playbook, loyalty, questionnaire } = state;
  const tier = playbook?.loyalty?.tiers.find((t) => t.id === loyalty?.tier);
  const questions = playbook?.questionnaire?.questions ?? [];
  const interests = questionnaire?.answers ? chosenInterests(questions, questionnaire.answers) : [];
  const lastPurchase = latestCompleted(state.orders)?.items;
  const personal: PersonalData = {
    ...(loyalty?.tier ? { tier: loyalty.tier } : {}),
    ...(tier ? { tierLabel: tier.label } : {}),
    ...(interests.length > 0 ? { interests } : {}),
    ...(lastPurchase && lastPurchase.length > 0 ? { lastPurchase: clipItemNames(lastPurchase) } : {}),
  };
  return Object.keys(personal).length > 0 ? personal : undefined;
}

/** A permit (or anything) with the customer's personal data added, unchanged when there is none. */
export function withPersonal<T extends { decision: string }>(state: CustomerLifecycleState, permit: T): T {
  if (permit.decision !== 'send') return permit;
  const personal = personalOf(state);
  return personal ? { ...permit, personal } : permit;
}

function latestCompleted(orders: readonly CustomerOrderSummary[]): CustomerOrderSummary | undefined {
  let latest: CustomerOrderSummary | undefined;
  for (const order of orders) {
    if (order.status !== 'completed') continue;
    if (!latest || (order.completedAt ?? order.placedAt) >= (latest.completedAt ?? latest.placedAt)) latest = order;
  }
  return latest;
}
