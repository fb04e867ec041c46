import type { Channel } from '../channels/types';

/** The task queue workers poll and clients start workflows on, unless TEMPORAL_TASK_QUEUE says otherwise. */
export const DEFAULT_TASK_QUEUE = 'aftercare';

/**
 * Sends of lean workflows go to one task queue per channel (so per provider), whose workers enforce the
 * provider's rate across every worker (maxTaskQueueActivitiesPerSecond) and take transactional messages first.
 */
export const sendQueueFor = (taskQueue: string, channel: Channel) => `${taskQueue}-send-${channel}`;

/** Task priority (1 first): what the customer is waiting for goes before marketing. */
export const SEND_PRIORITY = { transactional: 1, marketing: 3 } as const;
