/**
 * Response schemas of the /v1 routes: what callers get back, documented in the OpenAPI spec and
 * checked on the way out. Each one is pinned to the contract type it shows (`exactly`), so a field
 * added to a workflow's state without its schema fails to compile instead of vanishing from responses.
 * They live by context (order-views.ts, customer-views.ts, stats-views.ts, and view-fields.ts for what
 * they share); this module gathers them, so routes import every response schema from one place.
 */
export * from './order-views';
export * from './customer-views';
export * from './stats-views';
