/** The two notices a business can send without moving the stage ("delayed", "problem"). No imports: workflows use it. */
export const ISSUE_KINDS = ['delayed', 'problem'] as const;
export type IssueKind = (typeof ISSUE_KINDS)[number];
