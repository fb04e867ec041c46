/**
 * What `/metrics` serves (the API's route, and the worker's own listener in the split deployment): Aftercare's
 * figures through prom-client, then the Temporal SDK's own exposition appended as the SDK wrote it.
 *
 * Why append the SDK's text rather than re-register it in prom-client: the SDK's metrics live in its Rust core,
 * which exports them only over its own Prometheus endpoint (or OpenTelemetry, or an experimental buffer that
 * would make us rebuild its histograms). Fetching that endpoint (bound to 127.0.0.1, never exposed) and appending
 * it keeps Temporal's documented names, labels, buckets and units exactly, gives Prometheus one target per
 * process, and keeps the operator key in front of both. The two never share a family name (checked by a test).
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { StatsGateway } from './gateway/stats';
import type { StuckGateway } from './gateway/stuck';
import type { Logger } from './logger';
import { WORKFLOW_METRICS } from './workflows/metrics';
import { STUCK_REASONS } from './workflows/order/contract';

/**
 * Every metric family Aftercare's dashboard (`deploy/grafana/aftercare-dashboard.json`) may use, by who produces
 * it. Histograms by their family name (Prometheus adds `_bucket`, `_sum`, `_count`). The SDK's latencies are in
 * milliseconds; its counters have no `_total` (its exporter's defaults, kept).
 */
export const METRIC_FAMILIES = {
  /** prom-client in this process, on each scrape. */
  app: {
    followUps: 'aftercare_followups_total',
    stuckJourneys: 'aftercare_stuck_journeys',
    sourceUp: 'aftercare_metrics_source_up',
    heapUsed: 'nodejs_heap_size_used_bytes',
  },
  /** The workflows' metric meter (`src/workflows/metrics.ts`), through the SDK's endpoint. */
  workflows: WORKFLOW_METRICS,
  /** The Temporal SDK's worker metrics. */
  sdk: {
    workflowTaskScheduleToStart: 'temporal_workflow_task_schedule_to_start_latency',
    workflowTaskExecution: 'temporal_workflow_task_execution_latency',
    workflowTaskFailed: 'temporal_workflow_task_execution_failed',
    activityScheduleToStart: 'temporal_activity_schedule_to_start_latency',
    activityExecution: 'temporal_activity_execution_latency',
    activityFailed: 'temporal_activity_execution_failed',
    slotsAvailable: 'temporal_worker_task_slots_available',
    slotsUsed: 'temporal_worker_task_slots_used',
    stickyCacheSize: 'temporal_sticky_cache_size',
  },
} as const;

/** Reading the stats is a query per shard (billed) and the stuck counts a visibility count per reason. */
export const METRICS_CACHE_MS = 60_000;
/** A failed read is tried again this soon (it is shared by the collectors of one scrape meanwhile). */
const FAILURE_CACHE_MS = 5_000;
const SDK_FETCH_TIMEOUT_MS = 2_000;

export interface MetricsOptions {
  /** The durable follow-up counts (the stats workflows). */
  stats: Pick<StatsGateway, 'get'>;
  /** Running journeys stuck, by reason; without it there is no `aftercare_stuck_journeys`. */
  stuck?: Pick<StuckGateway, 'count'>;
  /** The SDK runtime's Prometheus endpoint in this process (`installTemporalRuntime`'s answer), if any. */
  sdkMetricsUrl?: string;
  /** Node's own process metrics (heap, event loop lag, CPU): on in the real processes, off in tests. */
  processMetrics?: boolean;
  /** How long a read of the stats and of the stuck counts is reused (default a minute). */
  cacheMs?: number;
  logger?: Logger;
}

/** One registry per app (tests build many): nothing lands in prom-client's global one. */
export class AftercareMetrics {
  readonly registry = new Registry();
  private readonly sourceUp: Gauge<'source'>;

  constructor(private readonly opts: MetricsOptions) {
    const ttl = opts.cacheMs ?? METRICS_CACHE_MS;
    const log = opts.logger;
    const stats = new Cached(() => opts.stats.get(), ttl);
    const stuck = opts.stuck ? new Cached(() => opts.stuck!.count(), ttl) : undefined;

    // Counts from the stats workflows survive restarts and never go down: a counter, set from them on each scrape.
    // When they cannot be read the last figures stay (aftercare_metrics_source_up says they are not fresh).
    new Counter({
      name: METRIC_FAMILIES.app.followUps,
      help: 'Follow-up events by kind: sent, answered (surveys), converted (offer/win-back orders, review clicks).',
      labelNames: ['kind', 'event'] as const,
      registers: [this.registry],
      async collect() {
        const view = await stats.get().catch((err: unknown) => void log?.warn({ err }, 'metrics: stats unreadable'));
        if (!view) return;
        this.reset();
        for (const [kind, metrics] of Object.entries(view.totals)) {
          for (const [event, n] of Object.entries(metrics)) this.inc({ kind, event }, n);
        }
      },
    });
    if (stuck) {
      new Gauge({
        name: METRIC_FAMILIES.app.stuckJourneys,
        help: 'Running order journeys marked stuck, by reason (Temporal visibility, AftercareStuck).',
        labelNames: ['reason'] as const,
        registers: [this.registry],
        async collect() {
          const counts = await stuck
            .get()
            .catch((err: unknown) => void log?.warn({ err }, 'metrics: stuck journeys uncountable'));
          if (!counts) return;
          for (const reason of STUCK_REASONS) this.set({ reason }, counts[reason] ?? 0);
        },
      });
    }
    this.sourceUp = new Gauge({
      name: METRIC_FAMILIES.app.sourceUp,
      help: 'Whether the last read of each source of these metrics worked (1) or not (0): stats, stuck, sdk.',
      labelNames: ['source'] as const,
      registers: [this.registry],
      async collect() {
        const ok = (p: Promise<unknown>) =>
          p.then(
            () => 1,
            () => 0,
          );
        this.set({ source: 'stats' }, await ok(stats.get()));
        if (stuck) this.set({ source: 'stuck' }, await ok(stuck.get()));
      },
    });
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Prometheus' text format, as prom-client writes it. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The whole exposition: prom-client's families, then the SDK's. */
  async render(): Promise<string> {
    const sdk = this.opts.sdkMetricsUrl ? await this.sdkExposition(this.opts.sdkMetricsUrl) : undefined;
    if (this.opts.sdkMetricsUrl) this.sourceUp.set({ source: 'sdk' }, sdk === undefined ? 0 : 1);
    const own = await this.registry.metrics();
    if (!sdk) return own;
    return `${own.endsWith('\n') ? own : `${own}\n`}${sdk.endsWith('\n') ? sdk : `${sdk}\n`}`;
  }

  private async sdkExposition(url: string): Promise<string | undefined> {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(SDK_FETCH_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`${url} answered ${res.status}`);
      return await res.text();
    } catch (err) {
      this.opts.logger?.warn({ err }, "metrics: the Temporal SDK's endpoint is unreachable");
      return undefined;
    }
  }
}

/**
 * A read reused for `ttlMs` after it succeeds (FAILURE_CACHE_MS after it fails). A read in flight is shared, so
 * the collectors of one scrape make one read between them.
 */
class Cached<T> {
  private last: { value: Promise<T>; settledAt?: number; failed?: boolean } | undefined;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly ttlMs: number,
  ) {}

  get(): Promise<T> {
    const last = this.last;
    if (last && (last.settledAt === undefined || Date.now() - last.settledAt < this.ttlFor(last))) return last.value;
    const entry: NonNullable<typeof this.last> = { value: this.load() };
    entry.value.then(
      () => (entry.settledAt = Date.now()),
      () => ((entry.failed = true), (entry.settledAt = Date.now())),
    );
    this.last = entry;
    return entry.value;
  }

  private ttlFor(entry: { failed?: boolean }): number {
    return entry.failed ? Math.min(this.ttlMs, FAILURE_CACHE_MS) : this.ttlMs;
  }
}
