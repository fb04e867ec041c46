/**
 * A burst of marketing sends, the way 2,000 customers' win-backs would fall due at once: each on the email
 * provider's send queue, at marketing priority, through Aftercare's own send activity (the bench's own worker
 * runs this workflow; Aftercare's senders run the activities).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { SendMessageRequest } from '../../src/workflows/delivery/contract';

export async function sendBurst(input: { queue: string; requests: SendMessageRequest[] }): Promise<number> {
  const { sendMessage } = proxyActivities<{ sendMessage(r: SendMessageRequest): Promise<unknown> }>({
    taskQueue: input.queue,
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: '30 minutes',
    priority: { priorityKey: 3 },
  });
  await Promise.all(input.requests.map((r) => sendMessage(r)));
  return input.requests.length;
}
