/** The task queue workers poll and clients start workflows on, unless TEMPORAL_TASK_QUEUE says otherwise. */
export const DEFAULT_TASK_QUEUE = 'aftercare';
