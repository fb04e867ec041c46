/**
 * The questionnaire for regulars, on the lifecycle's side: the invitation once the customer is a repeat customer,
 * their answers, and the greetings on the occasions they gave. Only lifecycles whose playbook has a questionnaire
 * do anything here, so recorded histories replay unchanged. Workflow code: deterministic.
 */
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { answerProblems, greetingKey, nextOccasion, type DueOccasion } from '../../rules/questionnaire';
import { CODE_FORMATS, personalCode } from '../codes';
import type { Outgoing } from '../delivery/deliver';
import { answerQuestionnaireUpdate, type QuestionnaireState } from './contract';
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

/** When the lifecycle must wake next for the questionnaire (an occasion); undefined: never. */
export function questionnaireWakeAt(l: Lifecycle): number | undefined {
  return dueOccasion(l)?.at;
}

/**
 * Sends what is due (the invitation, an occasion's greeting), each in the background and marked first, so it goes
 * once. Returns undefined: nothing for the main loop to await (an extra await would move commands in old histories).
 */
export function runQuestionnaireDuties(l: Lifecycle): Promise<void> | undefined {
  if (!l.state.playbook?.questionnaire || !l.state.profile) return undefined;
  if (inviteDue(l)) invite(l);
  const occasion = dueOccasion(l);
  if (occasion && occasion.at <= Date.now()) greet(l, occasion);
  return undefined;
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

function invite(l: Lifecycle): void {
  const { state } = l;
  (state.questionnaire ??= {}).invitedAt = l.now();
  const message: Outgoing = {
    key: 'questionnaire-invite',
    kind: 'questionnaire_invite',
    data: { orderId: latestOrderId(l) },
  };
  void l.sendInBackground(() => l.deliver(message));
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

const latestOrderId = (l: Lifecycle) => l.state.orders.at(-1)?.orderId ?? '';
