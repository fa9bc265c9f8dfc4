/** Medians per side and the Strata ÷ Kafka ratios, from a case's runs. */
import type { CaseResult, MetricName, Metrics, RunRecord } from '../workloads/engine.js';
import type { Side } from '../servers/system.js';
import { median } from './stats.js';

export interface SideSummary {
  readonly runs: number;
  readonly succeeded: number;
  /** Median of each metric over the successful runs. */
  readonly metrics: Metrics;
  readonly cpuSeconds: number;
  readonly clientCpuSeconds: number;
  readonly peakRssBytes: number;
  /** Broker CPU microseconds per record moved. */
  readonly cpuMicrosPerRecord: number;
  /** First lines of each failure. */
  readonly errors: readonly string[];
}

export interface CaseSummary {
  readonly result: CaseResult;
  readonly kafka: SideSummary;
  readonly strata: SideSummary;
  /** Strata ÷ Kafka for each metric both sides have. */
  readonly ratio: Metrics;
  /** Kafka's tool command with $BOOTSTRAP for the address and $RUN for the name unique to each run. */
  readonly command: string;
}

const METRICS: readonly MetricName[] = [
  'records',
  'recordsPerSec',
  'mbPerSec',
  'avgMs',
  'p50Ms',
  'p95Ms',
  'p99Ms',
  'p999Ms',
  'maxMs',
  'rebalanceMs',
  'fetchRecordsPerSec',
];

function summarizeSide(runs: readonly RunRecord[]): SideSummary {
  const ok = runs.filter((r) => r.measurement.ok);
  const metrics: Partial<Record<MetricName, number>> = {};
  for (const name of METRICS) {
    const values = ok.map((r) => r.measurement.metrics[name]).filter((v): v is number => v !== undefined);
    if (values.length > 0) metrics[name] = median(values);
  }
  return {
    runs: runs.length,
    succeeded: ok.length,
    metrics,
    cpuSeconds: median(ok.map((r) => r.usage.cpuSeconds)),
    clientCpuSeconds: median(ok.map((r) => r.clientCpuSeconds)),
    peakRssBytes: median(ok.map((r) => r.usage.peakRssBytes)),
    cpuMicrosPerRecord: median(
      ok.map((r) =>
        r.measurement.metrics.records ? (r.usage.cpuSeconds / r.measurement.metrics.records) * 1e6 : NaN,
      ),
    ),
    errors: runs
      .filter((r) => !r.measurement.ok)
      .map((r) => (r.measurement.error ?? 'failed').split('\n')[0]!),
  };
}

export function summarizeCase(result: CaseResult, bootstraps: Record<Side, readonly string[]>): CaseSummary {
  const kafka = summarizeSide(result.runs.filter((r) => r.side === 'kafka'));
  const strata = summarizeSide(result.runs.filter((r) => r.side === 'strata'));
  const ratio: Partial<Record<MetricName, number>> = {};
  for (const name of METRICS) {
    const k = kafka.metrics[name];
    const s = strata.metrics[name];
    if (k !== undefined && s !== undefined) ratio[name] = k === 0 ? (s === 0 ? 1 : Infinity) : s / k;
  }
  const sample = result.runs.find((r) => r.side === 'kafka' && r.measurement.command) ?? result.runs[0];
  let command = sample?.measurement.command ?? '';
  for (const address of [...bootstraps.kafka, ...bootstraps.strata])
    command = command.replaceAll(address, '$BOOTSTRAP');
  if (sample) command = command.replaceAll(`${result.spec.id}-${sample.side}-${sample.repetition}`, '$RUN');
  return { result, kafka, strata, ratio, command };
}
