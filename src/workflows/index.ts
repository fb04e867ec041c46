import type { CustomerLifecycleWorkflow } from './customer/contract';
import type { customerLifecycle } from './customer/lifecycle';
import type { OrderJourneyWorkflow } from './order/contract';
import type { orderJourney } from './order/journey';
import type { FollowUpStatsWorkflow } from './stats/contract';
import type { followUpStats } from './stats/follow-up-stats';

export { orderJourney } from './order/journey';
export { customerLifecycle } from './customer/lifecycle';
export { followUpStats } from './stats/follow-up-stats';
export { stuckDigest } from './operations/stuck-digest';
export { wooCommerceReconcile } from './woocommerce/reconcile';

// Clients start and signal workflows by name with the contracts' signatures: these must stay true.
type Assert<T extends true> = T;
export type _Signatures = Assert<
  typeof orderJourney extends OrderJourneyWorkflow
    ? typeof customerLifecycle extends CustomerLifecycleWorkflow
      ? typeof followUpStats extends FollowUpStatsWorkflow
        ? true
        : false
      : false
    : false
>;
