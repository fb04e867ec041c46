/**
 * The operators' digest of stuck journeys, run by a Temporal Schedule every `operator.digestEvery`
 * (src/temporal/schedules.ts). One activity counts from visibility; only when a journey became stuck since the
 * previous run does one message go to each operator channel. However many journeys one provider outage strands,
 * that is one digest per interval at most, and nothing while nothing new happens. Workflow code: deterministic.
 */
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { Channel } from '../../channels/types';
import { summary } from '../../lib/bounded-text';
import { idempotencyKeyFor } from '../delivery/contract';
import type { StuckDigestInput, StuckDigestResult } from './contract';

/** Set by the server on every run a schedule starts: the time it was due (whole seconds). */
const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/** The digest's one message per run, per channel: with the run's workflow id (scheduled time) it is the send's key. */
export const DIGEST_MESSAGE_KEY = 'stuck-digest';

const { countStuckJourneys, sendMessage } = proxyActivities<Activities>({ startToCloseTimeout: '1m' });

export async function stuckDigest(input: StuckDigestInput): Promise<StuckDigestResult> {
  const info = workflowInfo();
  const scheduledAt = info.typedSearchAttributes.get(SCHEDULED_START) ?? info.startTime;
  const counts = await countStuckJourneys.executeWithOptions(
    {
      startToCloseTimeout: '1m',
      retry: { initialInterval: '1s', maximumInterval: '1m' },
      // A run that cannot count within its interval leaves the window to the next one.
      scheduleToCloseTimeout: input.every,
      summary: 'count stuck journeys in visibility',
    },
    [{ scheduleId: input.scheduleId, scheduledAt: scheduledAt.toISOString(), every: input.every }],
  );
  const { window, total, newlyStuck, ...digest } = counts;
  const result: StuckDigestResult = { window, total, newlyStuck, sent: [], failed: [] };
  if (newlyStuck === 0) return result;

  const targets: { channel: Channel; to: string }[] = [
    ...(input.operator.email ? [{ channel: 'email' as const, to: input.operator.email }] : []),
    ...(input.operator.telegramChatId ? [{ channel: 'telegram' as const, to: input.operator.telegramChatId }] : []),
  ];
  // Side by side: a provider that is down (perhaps the outage the digest reports) does not hold up the other.
  const outcomes = await Promise.allSettled(
    targets.map((target) =>
      sendMessage.executeWithOptions(
        {
          startToCloseTimeout: '30s',
          // Retried within one interval; then the next digest (if anything new) speaks for it.
          scheduleToCloseTimeout: Math.max(input.every, 60_000),
          retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
          summary: summary(`stuck digest via ${target.channel}`),
        },
        [
          {
            idempotencyKey: idempotencyKeyFor(info.workflowId, DIGEST_MESSAGE_KEY, target.channel),
            workflowId: info.workflowId,
            messageKey: DIGEST_MESSAGE_KEY,
            kind: 'operator_digest',
            // About no one order.
            data: { orderId: '', digest: { total, newlyStuck, ...digest } },
            purpose: 'transactional',
            channel: target.channel,
            to: target.to,
            recipientName: input.brand.name,
            locale: input.locale,
            fallbackLocale: input.locale,
            brand: input.brand,
          },
        ],
      ),
    ),
  );
  outcomes.forEach((outcome, i) => {
    const { channel } = targets[i]!;
    if (outcome.status === 'fulfilled') result.sent.push(channel);
    else {
      result.failed.push(channel);
      log.error('stuck digest failed', { channel, failure: (outcome.reason as Error).name });
    }
  });
  return result;
}
