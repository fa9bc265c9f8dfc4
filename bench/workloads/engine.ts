/**
 * Runs a case against both systems, alternating which goes first each repetition, and meters each
 * run from the OS's accounting. Everything a case needs before a run (a fresh topic, a sync of the
 * page cache) happens outside the metered window.
 */
import { loadavg } from 'node:os';
import type { WorkloadId } from '../options.js';
import { reapedChildrenCpuSeconds, UsageMeter, type Usage } from '../machine/proc-usage.js';
import { runToCompletion } from '../support/children.js';
import { SIDE_LABEL, type Side, type SystemUnderTest } from '../servers/system.js';
import type { Measured } from '../tools/kafka-tools.js';

export interface Metrics {
  /** Records the run moved (for CPU per record). */
  readonly records?: number;
  readonly recordsPerSec?: number;
  readonly mbPerSec?: number;
  readonly avgMs?: number;
  readonly p50Ms?: number;
  readonly p95Ms?: number;
  readonly p99Ms?: number;
  readonly p999Ms?: number;
  readonly maxMs?: number;
  /** Consumers: time to join the group, and the rate over the fetching time alone. */
  readonly rebalanceMs?: number;
  readonly fetchRecordsPerSec?: number;
}

export type MetricName = keyof Metrics;

export interface Measurement {
  readonly ok: boolean;
  readonly metrics: Metrics;
  /** The tool's command line. */
  readonly command: string;
  readonly error?: string;
}

/** A tool run's measurement: `metrics` picks what the results keep from its summary, if it has one. */
export function measurementOf<T>(result: Measured<T>, metrics: (summary: T) => Metrics): Measurement {
  const s = result.summary;
  return {
    ok: s !== undefined,
    metrics: s !== undefined ? metrics(s) : {},
    command: result.run.command,
    error: result.error,
  };
}

export interface RunContext {
  /** A topic name unique to this case, side and repetition. */
  readonly topic: string;
  readonly repetition: number;
}

export interface CaseSpec {
  /** Unique and stable, e.g. `w1-100b-p1`; also the prefix of its topics. */
  readonly id: string;
  readonly workload: WorkloadId;
  /** What varies within the workload, e.g. "100 B, 1 partition". */
  readonly label: string;
  /** Whether the results table leads with throughput or with latency. */
  readonly headline: 'throughput' | 'latency';
  /** Set-up before each measured run, outside the metered window (e.g. creating the run's topic). */
  before?(system: SystemUnderTest, run: RunContext): Promise<void>;
  measure(system: SystemUnderTest, run: RunContext): Promise<Measurement>;
}

export interface RunRecord {
  readonly side: Side;
  readonly repetition: number;
  readonly measurement: Measurement;
  /** The system's processes during the run. */
  readonly usage: Usage;
  /** CPU seconds of the tool itself (the client shares the machine with the broker). */
  readonly clientCpuSeconds: number;
  readonly wallSeconds: number;
  /** The machine's 1-minute load average when the run ended: how much else was competing for it. */
  readonly loadAverage: number;
}

export interface CaseResult {
  readonly spec: Pick<CaseSpec, 'id' | 'workload' | 'label' | 'headline'>;
  readonly runs: readonly RunRecord[];
}

export type Systems = Record<Side, SystemUnderTest>;

export function log(message: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

/** Flushes dirty pages so no run pays for the writeback of the one before it. */
export async function syncDisks(): Promise<void> {
  await runToCompletion('sync', [], { timeoutMs: 600_000 });
}

export async function runCase(spec: CaseSpec, systems: Systems, repetitions: number): Promise<CaseResult> {
  const runs: RunRecord[] = [];
  for (let repetition = 1; repetition <= repetitions; repetition++) {
    const order: Side[] = repetition % 2 === 1 ? ['kafka', 'strata'] : ['strata', 'kafka'];
    for (const side of order) {
      const system = systems[side];
      const run: RunContext = { topic: `${spec.id}-${side}-${repetition}`, repetition };
      const record = await runOnce(spec, system, run);
      runs.push(record);
      log(`${spec.workload} ${spec.label} · ${SIDE_LABEL[side]} #${repetition}: ${describe(record)}`);
    }
  }
  return { spec: { id: spec.id, workload: spec.workload, label: spec.label, headline: spec.headline }, runs };
}

/** One metered run of a case on one system (also used on its own, e.g. for a profiled run). */
export async function runOnce(spec: CaseSpec, system: SystemUnderTest, run: RunContext): Promise<RunRecord> {
  const meter = new UsageMeter(() => [...system.brokerPids, ...system.supportPids]);
  let measurement: Measurement;
  let usage: Usage = { cpuSeconds: Number.NaN, peakRssBytes: Number.NaN, peakNodeRssBytes: Number.NaN };
  let clientCpuSeconds = Number.NaN;
  const started = process.hrtime.bigint();
  try {
    await spec.before?.(system, run);
    await syncDisks();
    const clientCpuBefore = reapedChildrenCpuSeconds();
    meter.start();
    try {
      measurement = await spec.measure(system, run);
    } finally {
      usage = meter.stop();
    }
    clientCpuSeconds = reapedChildrenCpuSeconds() - clientCpuBefore;
  } catch (err) {
    measurement = { ok: false, metrics: {}, command: '', error: String(err) };
  }
  return {
    side: system.side,
    repetition: run.repetition,
    measurement,
    usage,
    clientCpuSeconds,
    wallSeconds: Number(process.hrtime.bigint() - started) / 1e9,
    loadAverage: loadavg()[0]!,
  };
}

function describe(record: RunRecord): string {
  const m = record.measurement;
  if (!m.ok) return `FAILED: ${m.error?.split('\n')[0] ?? 'no output'}`;
  const parts: string[] = [];
  const { recordsPerSec, mbPerSec, p50Ms, p99Ms, p999Ms, avgMs } = m.metrics;
  if (recordsPerSec !== undefined) parts.push(`${Math.round(recordsPerSec).toLocaleString('en-US')} rec/s`);
  if (mbPerSec !== undefined) parts.push(`${mbPerSec.toFixed(1)} MB/s`);
  if (avgMs !== undefined) parts.push(`avg ${avgMs.toFixed(2)} ms`);
  if (p99Ms !== undefined) parts.push(`p50/p99/p99.9 ${p50Ms}/${p99Ms}/${p999Ms} ms`);
  parts.push(`broker cpu ${record.usage.cpuSeconds.toFixed(1)} s`);
  parts.push(`peak rss ${(record.usage.peakRssBytes / 2 ** 20).toFixed(0)} MiB`);
  return parts.join(', ');
}
