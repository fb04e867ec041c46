/**
 * The preview of every message (POST /v1/preview): a hypothetical order and customer, played through the order
 * journey and the customer's lifecycle on virtual time (./journey.ts, ./lifecycle.ts), with the workflows' own
 * pure functions deciding what goes, when and where. Nothing is sent, started or written to Temporal.
 */
import { ValidationError, type ErrorDetail } from '../errors';
import { formatDuration } from '../playbook/duration';
import type { Playbook } from '../playbook/schema';
import type { MessageRenderer } from '../messages/types';
import type { PreviewInput, PreviewResponse } from '../schemas/preview';
import { applyCustomerEvent, emptyConsent } from '../workflows/customer/consent';
import { MAX_NOTICES_PER_ORDER, type Order } from '../workflows/order/contract';
import type { PlannedMessage } from './delivery';
import { playJourney, type StageEvent, type SurveyAnswer } from './journey';
import { LifecyclePlan } from './lifecycle';
import { previewPersonal } from './personal';
import { renderPlanned } from './render';
import { VirtualTime } from './virtual-time';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

export async function previewOrder(
  input: PreviewInput,
  playbook: Playbook,
  renderer: MessageRenderer,
  nowMs: number,
): Promise<PreviewResponse> {
  const assumptions: string[] = [
    `A new customer: no earlier orders, so no earlier messages under the frequency cap (${playbook.frequencyCap.max} marketing messages per ${formatDuration(playbook.frequencyCap.per)}), no cashback or tier yet.`,
  ];
  const placedAt = input.placedAt ? Date.parse(input.placedAt) : nowMs;
  assumptions.push(`The order reaches Aftercare at ${iso(placedAt)}${input.placedAt ? ' (placedAt)' : ' (now)'}.`);
  const events = input.stages ? checkedEvents(input.stages, playbook, placedAt) : defaultEvents(playbook, placedAt);
  if (!input.stages) {
    const when = events.map((e) => `${e.stage} at ${iso(e.at)}`).join(', ');
    assumptions.push(
      `No stage events given: each stage after the one before, after its expectedWithin or else a day: ${when}.`,
    );
  }
  const answer = surveyAnswer(input, playbook, assumptions);
  const personal = previewPersonal(input, playbook, assumptions);

  const { consent: stated, ...customer } = input.customer;
  const order: Order & { placedAt: string } = {
    orderId: input.orderId,
    customer,
    items: input.items,
    currency: input.currency,
    totalMinor: input.totalMinor,
    placedAt: iso(placedAt),
  };
  // Consent as the lifecycle keeps it, each statement applied by the lifecycle's own rules.
  const consent = emptyConsent();
  stated.forEach((c, i) =>
    applyCustomerEvent(consent, {
      type: c.granted ? 'opt-in' : 'opt-out',
      channel: c.channel,
      scope: c.purpose === 'marketing' ? 'marketing' : 'all',
      source: 'preview request',
      eventId: `preview-consent-${i}`,
      at: iso(placedAt),
    }),
  );
  if (!customer.timeZone) assumptions.push('No time zone: quiet hours are kept in UTC.');

  const time = new VirtualTime(placedAt);
  const out: PlannedMessage[] = [];
  const lifecycle = new LifecyclePlan(time, playbook, order, consent, out);
  let outcome: Awaited<ReturnType<typeof playJourney>> | undefined;
  time.spawn(() => lifecycle.run());
  time.spawn(async () => {
    outcome = await playJourney(time, { order, playbook, events, ...(answer ? { answer } : {}), lifecycle, out });
  });
  await time.run();

  if (!outcome) assumptions.push('The order does not reach its last stage here: no thank-you, follow-ups or win-back.');
  if (answer && outcome && outcome.answeredAt === undefined && playbook.followUps.survey) {
    assumptions.push(
      'The survey answer comes too late (after the survey closed) or no survey reached the customer: it is not taken.',
    );
  }
  assumptions.push(
    'Every message is delivered on the first channel the customer allows and can be reached on (no bounces, no provider outages); times are when each falls due, a real send adds a moment, and a wait after it starts from the real send.',
    'Codes are made when each message goes: shown with X for their random part. Links are signed per message: shown as ‹survey link› and the like.',
  );

  const messages = out
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.at - b.p.at || a.i - b.i)
    .map(({ p }) => ({
      key: p.key,
      kind: p.kind,
      purpose: p.purpose,
      to: p.to,
      from: p.from,
      ...(p.channel ? { channel: p.channel } : {}),
      ...(p.variant ? { variant: p.variant.id } : {}),
      at: iso(p.at),
      ...(p.held.length > 0
        ? { dueAt: iso(p.dueAt), held: p.held.map((h) => ({ reason: h.reason, until: iso(h.until) })) }
        : {}),
      ...renderPlanned(renderer, playbook, customer, p, personal),
      ...(p.passedOver.length > 0 ? { passedOver: p.passedOver } : {}),
      ...(p.skipped ? { skipped: p.skipped } : {}),
    }));
  return { messages, assumptions };
}

/** The business's stage events, checked as the journey's advanceStage validator would take them (422 if not). */
function checkedEvents(
  stages: NonNullable<PreviewInput['stages']>,
  playbook: Playbook,
  placedAt: number,
): StageEvent[] {
  const ids = playbook.stages.map((s) => s.id);
  const problems: ErrorDetail[] = [];
  let current = 0;
  let completedBy: number | undefined;
  let previousAt = placedAt;
  const notices: { kind: string; reason: string }[] = [];
  const events = stages.map((s, i): StageEvent => {
    const at = Date.parse(s.at);
    const where = `stages[${i}]`;
    if (at < previousAt) {
      problems.push({
        path: `${where}.at`,
        message: `must not be before ${i === 0 ? 'placedAt' : `stages[${i - 1}].at`} (${iso(previousAt)})`,
      });
    }
    previousAt = Math.max(previousAt, at);
    if (completedBy !== undefined) {
      problems.push({
        path: `${where}.stage`,
        message: `the order is completed by stages[${completedBy}] ("${ids.at(-1)}"); it takes no more stage events`,
      });
    } else if (s.stage === 'delayed' || s.stage === 'problem') {
      const reason = (s.reason ?? s.note)!;
      const said = normalized(reason);
      if (notices.some((n) => n.kind === s.stage && normalized(n.reason) === said)) {
        problems.push({
          path: `${where}.reason`,
          message: `repeats an earlier "${s.stage}" notice; the journey would refuse it`,
        });
      } else if (notices.length >= MAX_NOTICES_PER_ORDER) {
        problems.push({
          path: where,
          message: `an order gets at most ${MAX_NOTICES_PER_ORDER} delay or problem notices`,
        });
      }
      notices.push({ kind: s.stage, reason });
    } else {
      const index = ids.indexOf(s.stage);
      if (index < 0) {
        problems.push({
          path: `${where}.stage`,
          message: `unknown stage "${s.stage}"; this playbook's stages are: ${ids.join(', ')} (or "delayed" / "problem" for a notice)`,
        });
      } else if (index <= current) {
        problems.push({
          path: `${where}.stage`,
          message: `the order is already at "${ids[current]}" here; stages only move forward (next: ${ids.slice(current + 1).join(', ') || 'none'})`,
        });
      } else {
        current = index;
        if (index === ids.length - 1) completedBy = i;
      }
    }
    return {
      stage: s.stage,
      at,
      ...(s.note ? { note: s.note } : {}),
      ...(s.reason ? { reason: s.reason } : {}),
      ...(s.eta ? { eta: s.eta } : {}),
    };
  });
  if (problems.length > 0) throw new ValidationError('the stage events do not fit the playbook', problems);
  return events;
}

/** Every stage after the first, each after its expectedWithin (or a day) from the one before. */
function defaultEvents(playbook: Playbook, placedAt: number): StageEvent[] {
  let at = placedAt;
  return playbook.stages.slice(1).map((s) => {
    at += s.expectedWithin ?? DAY;
    return { stage: s.id, at };
  });
}

/** The customer's answer and when it comes (default: half-way to the survey's reminder). */
function surveyAnswer(input: PreviewInput, playbook: Playbook, assumptions: string[]): SurveyAnswer | undefined {
  const survey = playbook.followUps.survey;
  if (!survey) {
    assumptions.push(
      input.survey ? 'The playbook asks no survey: the answer given is not used.' : 'The playbook asks no survey.',
    );
    return undefined;
  }
  if (!input.survey) {
    assumptions.push(
      `Nobody answers the survey: the reminder goes ${formatDuration(survey.reminderAfter)} after it, and it closes unanswered.`,
    );
    return undefined;
  }
  const afterMs = input.survey.answeredAfter ?? Math.round(survey.reminderAfter / 2);
  const happy = input.survey.rating >= survey.satisfiedAt;
  assumptions.push(
    `The customer rates the order ${input.survey.rating} of 5, ${formatDuration(afterMs)} after the survey reaches them${input.survey.answeredAfter === undefined ? ' (half-way to the reminder)' : ''}: ${happy ? 'satisfied, so a review request (and a referral ask, if the playbook has one)' : 'unhappy, so a care message and an alert to the business'}.`,
  );
  return {
    rating: input.survey.rating,
    ...(input.survey.comment ? { comment: input.survey.comment } : {}),
    afterMs,
  };
}

const normalized = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase();
