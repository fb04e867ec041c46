/**
 * What the preview assumes the business knows of the customer (POST /v1/preview `personal`): their tier, their
 * interests (option ids or labels, or questionnaire answers) and the last thing they bought, as PersonalData, so
 * the previewed messages read as the personalised ones will. Checked against the playbook (422 naming the field).
 */
import { ValidationError, type ErrorDetail } from '../errors';
import type { PersonalData } from '../messages/data';
import type { LocalizedText } from '../messages/localized';
import type { Playbook } from '../playbook/schema';
import { answerProblems, chosenInterests } from '../rules/questionnaire';
import type { PreviewInput } from '../schemas/preview';
import { clipItemNames } from '../workflows/customer/personal';

export function previewPersonal(
  input: PreviewInput,
  playbook: Playbook,
  assumptions: string[],
): PersonalData | undefined {
  const stated = input.personal;
  const problems: ErrorDetail[] = [];
  const questions = playbook.questionnaire?.questions ?? [];
  const interests: LocalizedText[] = [];
  let tier: Playbook['loyalty']['tiers'][number] | undefined;
  if (stated?.tier !== undefined) {
    tier = playbook.loyalty.tiers.find((t) => t.id === stated.tier);
    if (!tier) problems.push({ path: 'personal.tier', message: `"${stated.tier}" is not one of the playbook's tiers` });
  }
  if (stated?.answers) {
    if (questions.length === 0) {
      problems.push({ path: 'personal.answers', message: 'the playbook has no questionnaire' });
    }
    for (const problem of answerProblems(questions, stated.answers)) {
      const [id, ...rest] = problem.split(': ');
      problems.push({ path: `personal.answers.${id}`, message: rest.join(': ') });
    }
    interests.push(...chosenInterests(questions, stated.answers));
  }
  const options = questions.filter((q) => q.use === 'interests').flatMap((q) => q.options ?? []);
  for (const interest of stated?.interests ?? []) {
    // An option's id or one of its labels picks the option (all its languages); any other text is shown as given.
    const option = options.find(
      (o) => o.id === interest || (typeof o.label === 'string' ? [o.label] : Object.values(o.label)).includes(interest),
    );
    interests.push(option ? option.label : interest);
  }
  if (problems.length > 0) throw new ValidationError('the personal assumptions do not fit the playbook', problems);
  const lastPurchase = clipItemNames(stated?.lastPurchase ?? input.items.map((item) => item.name));
  if (!stated?.lastPurchase) {
    assumptions.push("The last purchase templates name ({{lastPurchase}}) is this order's items once it completes.");
  }
  const personal: PersonalData = {
    ...(tier ? { tier: tier.id, tierLabel: tier.label } : {}),
    ...(interests.length > 0 ? { interests: interests.slice(0, 5) } : {}),
    ...(lastPurchase ? { lastPurchase } : {}),
  };
  return Object.keys(personal).length > 0 ? personal : undefined;
}
