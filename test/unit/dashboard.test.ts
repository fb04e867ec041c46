import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRIC_FAMILIES } from '../../src/metrics';

/**
 * The Grafana dashboard asks only for metrics the code produces: every name in every panel's query is one of
 * METRIC_FAMILIES (test/workflow/metrics.test.ts checks that a real scrape has each of those).
 */
interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}

const dashboard = JSON.parse(
  readFileSync(path.resolve(__dirname, '..', '..', 'deploy', 'grafana', 'aftercare-dashboard.json'), 'utf8'),
) as { uid: string; templating: { list: { name: string; type: string; query: string }[] }; panels: Panel[] };
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
const families = new Set<string>([
  ...Object.values(METRIC_FAMILIES.app),
  ...Object.values(METRIC_FAMILIES.workflows),
  ...Object.values(METRIC_FAMILIES.sdk),
]);

/** The metric names in a PromQL expression: identifiers with the prefixes Aftercare's /metrics serves. */
const metricsIn = (expr: string) =>
  [...expr.matchAll(/\b(?:aftercare|temporal|nodejs|process)_[a-z0-9_]+\b/g)].map((m) =>
    m[0].replace(/_(bucket|sum|count)$/, ''),
  );

describe('the Grafana dashboard', () => {
  it('has panels, each with queries, on the Prometheus data source chosen by its variable', () => {
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    expect(panels.length).toBeGreaterThan(10);
    for (const panel of panels) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    }
  });

  it('queries only metric families the code produces', () => {
    for (const panel of panels) {
      for (const { expr } of panel.targets ?? []) {
        const names = metricsIn(expr);
        expect(names.length, `${panel.title}: ${expr}`).toBeGreaterThan(0);
        for (const name of names) expect(families, `${panel.title}: ${name}`).toContain(name);
      }
    }
  });

  it('shows every family the code produces for it', () => {
    const used = new Set(panels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricsIn(t.expr))));
    for (const name of families) expect(used, name).toContain(name);
  });

  it('has the panels operators asked for', () => {
    const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
    for (const needle of [
      'aftercare_messages_total{outcome="skipped"}',
      'sum by (reason) (rate(aftercare_messages_total',
      'aftercare_stuck_journeys',
      'aftercare_operator_actions_total',
      'temporal_workflow_task_schedule_to_start_latency_bucket',
      'temporal_activity_schedule_to_start_latency_bucket',
      'temporal_worker_task_slots_available',
      'temporal_workflow_task_execution_failed',
      'aftercare_followups_total',
    ]) {
      expect(exprs).toContain(needle);
    }
  });
});
