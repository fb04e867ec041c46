/**
 * The questionnaire for regulars, on the lifecycle's side: the invitation once the customer is a repeat customer,
 * their answers, and the greetings on the occasions they gave. Only lifecycles whose playbook has a questionnaire
 * do anything here, so recorded histories replay unchanged. Workflow code: deterministic.
 */
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import {
  answerProblems,
  greetingKey,
  nextOccasion,
  questionnaireOpen,
  type DueOccasion,
} from '../../rules/questionnaire';
import { CODE_FORMATS, personalCode } from '../codes';
import type { Outgoing } from '../delivery/deliver';
import { answerQuestionnaireUpdate, type QuestionnaireAnswers, type QuestionnaireState } from './contract';
import type { Lifecycle } from './context';
import { pushSnapshots } from './journeys';

/** Occasion greetings remembered ("<question id>/<year>"): a few years of a few occasions. */
const MAX_GREETED = 20;
/** Answer event ids remembered, so a form posted twice (or an update retried) is applied once. */
const MAX_EVENT_IDS = 20;

/**
 * The answers from the customer's page: validated against the playbook's questions (the update is rejected,
 * and nothing changes, when they do not fit), they replace earlier ones, and every running journey gets the new
 * personal data. `replan`: the main loop computes its next wake-up again (an occasion may now be due).
 */
export function handleQuestionnaire(l: Lifecycle, describe: () => void, replan: () => void = () => {}): void {
  setHandler(
    answerQuestionnaireUpdate,
    async ({ answers, eventId, at }) => {
      const kept = (l.state.questionnaire ??= {});
      if (kept.eventIds?.includes(eventId)) return view(kept);
      kept.occasionSetAt = occasionTimes(l, kept, answers);
      kept.answers = answers;
      kept.answeredAt = at;
      kept.eventIds = [...(kept.eventIds ?? []), eventId].slice(-MAX_EVENT_IDS);
      replan();
      describe();
      await pushSnapshots(l);
      return view(kept);
    },
    {
      description: "The customer's answers to the questionnaire (they replace earlier ones).",
      validator: ({ answers, eventId }) => {
        const questions = l.state.playbook?.questionnaire?.questions;
        if (!questions || !l.state.profile) {
          throw ApplicationFailure.nonRetryable('this customer has no questionnaire', 'NoQuestionnaire');
        }
        // Every message carries the preferences token: only an invitation that went opens the questionnaire.
        if (!questionnaireOpen(l.state.questionnaire)) {
          throw ApplicationFailure.nonRetryable('this customer was not invited to the questionnaire', 'NotInvited');
        }
        if (l.state.questionnaire?.eventIds?.includes(eventId)) return;
        const problems = answerProblems(questions, answers);
        if (problems.length > 0) throw ApplicationFailure.nonRetryable(problems.join('; '), 'InvalidAnswers');
      },
    },
  );
}

/** What the update answers and the profile shows: no bookkeeping. */
function view(kept: QuestionnaireState): QuestionnaireState {
  const { eventIds: _ids, ...rest } = kept;
  return rest;
}

/**
 * When each occasion date was given: kept for a date that stays the same, now for a new or changed one (the
 * lifecycle's clock, not the page's). Bounded by the playbook's questions.
 */
function occasionTimes(l: Lifecycle, kept: QuestionnaireState, answers: QuestionnaireAnswers): Record<string, string> {
  const times: Record<string, string> = {};
  for (const q of l.state.playbook?.questionnaire?.questions ?? []) {
    const answer = answers[q.id];
    if (q.use !== 'occasion' || typeof answer !== 'string') continue;
    const same = kept.answers?.[q.id] === answer;
    times[q.id] = (same ? (kept.occasionSetAt?.[q.id] ?? kept.answeredAt) : undefined) ?? l.now();
  }
  return times;
}

/** When the lifecycle must wake next for the questionnaire (an occasion); undefined: never. */
export function questionnaireWakeAt(l: Lifecycle): number | undefined {
  return dueOccasion(l)?.at;
}

/**
 * Sends what is due (the invitation, an occasion's greeting), each in the background and marked first, so it goes
 * once. Never awaits: an await in the main loop would move commands in recorded histories.
 */
export function runQuestionnaireDuties(l: Lifecycle): void {
  if (!l.state.playbook?.questionnaire || !l.state.profile) return;
  if (inviteDue(l)) invite(l);
  const occasion = dueOccasion(l);
  if (occasion && occasion.at <= Date.now()) greet(l, occasion);
}

/** Once, when the customer's completed orders reach the playbook's threshold. */
function inviteDue(l: Lifecycle): boolean {
  const { state } = l;
  const settings = state.playbook?.questionnaire;
  if (!settings || state.questionnaire?.invitedAt) return false;
  const completed = Math.max(
    state.loyalty?.completedOrders ?? 0,
    state.orders.filter((o) => o.status === 'completed').length,
  );
  return completed >= settings.afterOrders;
}

/**
 * Once (marked first). Marketing: the permit decides consent, quiet hours and the cap; when marketing is not
 * allowed at the threshold the send is recorded as skipped, the questionnaire stays closed, and it is not retried.
 */
function invite(l: Lifecycle): void {
  (l.state.questionnaire ??= {}).invitedAt = l.now();
  const message: Outgoing = {
    key: 'questionnaire-invite',
    kind: 'questionnaire_invite',
    data: { orderId: latestOrderId(l) },
  };
  void l.sendInBackground(async () => {
    const record = await l.deliver(message);
    if (record.status === 'skipped') (l.state.questionnaire ??= {}).inviteSkipped = record.reason ?? 'skipped';
  });
}

function dueOccasion(l: Lifecycle): DueOccasion | undefined {
  const { state } = l;
  const settings = state.playbook?.questionnaire;
  const answers = state.questionnaire?.answers;
  if (!settings?.occasion || !answers) return undefined;
  return nextOccasion(
    settings.questions,
    answers,
    state.questionnaire?.greeted ?? [],
    settings.occasion,
    Date.now(),
    state.profile?.timeZone,
    // Answers from before per-date times count from when they were given.
    state.questionnaire?.occasionSetAt ?? answeredAtFor(settings.questions, answers, state.questionnaire?.answeredAt),
  );
}

/** The greeting with the playbook's offer and a personal code; marketing, so the permit decides consent and caps. */
function greet(l: Lifecycle, occasion: DueOccasion): void {
  const { state } = l;
  const settings = state.playbook!.questionnaire!.occasion!;
  const kept = (state.questionnaire ??= {});
  const key = greetingKey(occasion.questionId, occasion.year);
  kept.greeted = [...(kept.greeted ?? []), key].slice(-MAX_GREETED);
  const offer =
    settings.discountPercent > 0
      ? {
          code: personalCode(state.playbook!.brand.name, CODE_FORMATS.occasion),
          discountPercent: settings.discountPercent,
          expiresAt: new Date(Date.now() + settings.validFor).toISOString(),
        }
      : undefined;
  const message: Outgoing = {
    key: `occasion-${key}`,
    kind: 'occasion_greeting',
    data: {
      orderId: latestOrderId(l),
      occasion: { label: occasion.name, date: occasion.date },
      ...(offer ? { offer } : {}),
    },
  };
  void l.sendInBackground(() => l.deliver(message));
}

function answeredAtFor(
  questions: readonly { id: string }[],
  answers: QuestionnaireAnswers,
  at: string | undefined,
): Record<string, string> {
  return at ? Object.fromEntries(questions.filter((q) => answers[q.id] !== undefined).map((q) => [q.id, at])) : {};
}

const latestOrderId = (l: Lifecycle) => l.state.orders.at(-1)?.orderId ?? '';
