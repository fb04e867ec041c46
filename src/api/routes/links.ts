/** Links an API response gives for a workflow: where to look at it in the Temporal UI. */
export type LinksFor = (workflowId: string) => Record<string, string>;

export function linksFor(temporalUi: { baseUrl: string; namespace: string } | undefined): LinksFor {
  return (workflowId): Record<string, string> =>
    temporalUi
      ? {
          temporalUi: `${temporalUi.baseUrl}/namespaces/${encodeURIComponent(temporalUi.namespace)}/workflows/${encodeURIComponent(workflowId)}`,
        }
      : {};
}
