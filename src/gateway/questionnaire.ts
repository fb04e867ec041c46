import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { AftercareError, NotFoundError, UnprocessableError } from '../errors';
import type { QuestionnaireSettings } from '../playbook/questionnaire';
import { questionnaireOpen } from '../rules/questionnaire';
import {
  answerQuestionnaireUpdate,
  customerLifecycleId,
  getCustomerQuery,
  type QuestionnaireAnswers,
  type QuestionnaireState,
} from '../workflows/customer/contract';

/** What the questionnaire page shows: the playbook's questions, in the customer's language, with their answers. */
export interface QuestionnaireForm {
  customerId: string;
  name: string;
  locale?: string;
  questionnaire: QuestionnaireSettings;
  answers: QuestionnaireAnswers;
  answeredAt?: string;
  /** The invitation went: until then the page shows "not yet" (every message's preferences token reaches it). */
  invited: boolean;
}

/** The customer was not (yet) invited: the questionnaire is closed to them. */
export class NotInvitedError extends AftercareError {
  readonly status = 403;
  readonly code = 'not_invited';
}

/**
 * The questionnaire page's way into the customer's lifecycle: one query to show the form (and check an answer at the
 * edge), one update to save it. Unknown customers, and those whose playbook has no questionnaire, are 404s; answers
 * the lifecycle refuses are a 422 naming why.
 */
export interface QuestionnaireSink {
  form(customerId: string): Promise<QuestionnaireForm>;
  answer(customerId: string, answers: QuestionnaireAnswers, eventId: string, at: string): Promise<QuestionnaireState>;
}

export class QuestionnaireGateway implements QuestionnaireSink {
  constructor(
    private readonly client: Client,
    /** Whose customers these are (undefined: the default tenant). */
    private readonly tenant?: string,
  ) {}

  private handle(customerId: string) {
    return this.client.workflow.getHandle(customerLifecycleId(customerId, this.tenant));
  }

  async form(customerId: string): Promise<QuestionnaireForm> {
    let state;
    try {
      state = await this.handle(customerId).query(getCustomerQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`no customer "${customerId}"`);
      throw err;
    }
    const questionnaire = state.playbook?.questionnaire;
    if (!questionnaire || !state.profile) throw new NotFoundError(`no questionnaire for customer "${customerId}"`);
    return {
      customerId,
      name: state.profile.name,
      ...(state.profile.locale ? { locale: state.profile.locale } : {}),
      questionnaire,
      answers: state.questionnaire?.answers ?? {},
      ...(state.questionnaire?.answeredAt ? { answeredAt: state.questionnaire.answeredAt } : {}),
      invited: questionnaireOpen(state.questionnaire),
    };
  }

  async answer(
    customerId: string,
    answers: QuestionnaireAnswers,
    eventId: string,
    at: string,
  ): Promise<QuestionnaireState> {
    try {
      // The answer's id names the update too: the same form posted twice is one update.
      return await this.handle(customerId).executeUpdate(answerQuestionnaireUpdate, {
        args: [{ answers, eventId, at }],
        updateId: `questionnaire:${eventId}`,
      });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`no customer "${customerId}"`);
      if (err instanceof WorkflowUpdateFailedError) {
        const cause = err.cause as { type?: string; message?: string } | undefined;
        if (cause?.type === 'InvalidAnswers') throw new UnprocessableError(cause.message ?? 'invalid answers');
        if (cause?.type === 'NotInvited') throw new NotInvitedError(`customer "${customerId}" was not invited`);
        throw new NotFoundError(`no questionnaire for customer "${customerId}"`);
      }
      throw err;
    }
  }
}
