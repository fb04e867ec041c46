/**
 * The questionnaire for regulars, on the lifecycle's side: the invitation once the customer is a repeat customer,
 * their answers, and the greetings on the occasions they gave. Workflow code: deterministic.
 */
import type { Lifecycle } from './context';

export function handleQuestionnaire(_l: Lifecycle, _describe: () => void): void {
  // Filled in by the questionnaire work (answerQuestionnaireUpdate).
}

/** When the lifecycle must wake next for the questionnaire (an invitation, an occasion); undefined: never. */
export function questionnaireWakeAt(_l: Lifecycle): number | undefined {
  return undefined;
}

/**
 * Sends what is due (the invitation, an occasion's greeting); called by the main loop after every wake-up. Returns
 * undefined when nothing is due, so the loop does not await (an extra await would move commands in old histories).
 */
export function runQuestionnaireDuties(_l: Lifecycle): Promise<void> | undefined {
  return undefined;
}
