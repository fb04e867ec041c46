export { orderJourney } from './order-journey';
export { customerLifecycle } from './customer-lifecycle';
