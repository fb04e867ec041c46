import { describe, expect, it } from 'vitest';
import { extraKeysOf, kindSpec, MESSAGE_KINDS, PURPOSE_OF } from '../../src/messages/kinds';

describe('the registry of message kinds', () => {
  it('keeps the kinds, in order, that playbooks and recorded journeys name', () => {
    expect(MESSAGE_KINDS).toEqual([
      'order_status',
      'order_delayed',
      'order_problem',
      'thank_you',
      'offer',
      'survey',
      'survey_reminder',
      'review_request',
      'referral_request',
      'care_followup',
      'operator_alert',
      'operator_notice',
      'warranty_checkin',
      'tier_upgrade',
      'winback',
      'operator_digest',
      'order_cancelled',
      'refund_issued',
      'reply_received',
      'operator_message',
      'questionnaire_invite',
      'occasion_greeting',
    ]);
  });

  it('derives the purpose of each kind from its spec: marketing needs consent and obeys caps', () => {
    const marketing = MESSAGE_KINDS.filter((kind) => PURPOSE_OF[kind] === 'marketing');
    expect(marketing).toEqual([
      'offer',
      'review_request',
      'referral_request',
      'tier_upgrade',
      'winback',
      'questionnaire_invite',
      'occasion_greeting',
    ]);
    for (const kind of MESSAGE_KINDS) expect(['transactional', 'marketing']).toContain(PURPOSE_OF[kind]);
  });

  it('names the strings each kind adds to the locale files', () => {
    const extras = Object.fromEntries(MESSAGE_KINDS.map((kind) => [kind, extraKeysOf(kind)]));
    expect(extras).toMatchObject({
      offer: ['servicesHeading', 'codeLabel', 'validUntil', 'conditionsLabel'],
      referral_request: ['codeLabel', 'rewardNote'],
      winback: ['codeLabel', 'validUntil'],
      operator_alert: ['footer'],
      operator_notice: ['footer'],
      operator_digest: ['footer'],
      order_status: [],
      order_cancelled: [],
      refund_issued: [],
      survey: [],
      operator_message: ['footer'],
      occasion_greeting: ['codeLabel', 'validUntil'],
      questionnaire_invite: [],
    });
  });

  it('has no spec for a kind it does not know (recorded data may name one)', () => {
    expect(kindSpec('birthday' as never)).toBeUndefined();
  });
});
