export { orderJourney } from './order-journey';
export { customerLifecycle } from './customer-lifecycle';
export { followUpStats } from './follow-up-stats';
