/** Parsers for what Kafka 4.3's perf tools print (kept free of I/O so they are unit-tested). */

export interface ProducerPerfSummary {
  readonly records: number;
  readonly recordsPerSec: number;
  readonly mbPerSec: number;
  readonly avgMs: number;
  readonly maxMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
}

// "%d%s records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency,
//  %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th." — the final line (progress lines lack percentiles).
const PRODUCER_SUMMARY =
  /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$/m;

/** The whole-run summary line of kafka-producer-perf-test, or undefined if it never printed one. */
export function parseProducerPerf(stdout: string): ProducerPerfSummary | undefined {
  const m = PRODUCER_SUMMARY.exec(stdout);
  if (!m) return undefined;
  const n = (i: number): number => Number(m[i]);
  return {
    records: n(1),
    recordsPerSec: n(2),
    mbPerSec: n(3),
    avgMs: n(4),
    maxMs: n(5),
    p50Ms: n(6),
    p95Ms: n(7),
    p99Ms: n(8),
    p999Ms: n(9),
  };
}

export interface ConsumerPerfSummary {
  readonly records: number;
  readonly mb: number;
  /** Over the whole run, group join included. */
  readonly recordsPerSec: number;
  readonly mbPerSec: number;
  readonly rebalanceMs: number;
  /** Over the fetching time only. */
  readonly fetchRecordsPerSec: number;
  readonly fetchMbPerSec: number;
}

/**
 * kafka-consumer-perf-test's result: the line after the `start.time, end.time, ...` header.
 * Undefined when it is missing or the tool gave up early (it then prints a WARNING and a short count).
 */
export function parseConsumerPerf(stdout: string): ConsumerPerfSummary | undefined {
  const lines = stdout.split('\n').map((l) => l.trim());
  const header = lines.findIndex((l) => l.startsWith('start.time, end.time,'));
  if (header < 0) return undefined;
  const names = lines[header]!.split(', ');
  const values = lines[header + 1]?.split(', ');
  if (!values || values.length !== names.length) return undefined;
  const field = (name: string): number => Number(values[names.indexOf(name)]);
  return {
    records: field('data.consumed.in.nMsg'),
    mb: field('data.consumed.in.MB'),
    recordsPerSec: field('nMsg.sec'),
    mbPerSec: field('MB.sec'),
    rebalanceMs: field('rebalance.time.ms'),
    fetchRecordsPerSec: field('fetch.nMsg.sec'),
    fetchMbPerSec: field('fetch.MB.sec'),
  };
}

export interface EndToEndSummary {
  readonly avgMs: number;
  /** Whole milliseconds: the tool truncates each latency to ms before taking percentiles. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
}

/** EndToEndLatency's "Avg latency: %.4f ms" and "Percentiles: 50th = %d, 99th = %d, 99.9th = %d". */
export function parseEndToEnd(stdout: string): EndToEndSummary | undefined {
  const avg = /^Avg latency: ([\d.]+) ms$/m.exec(stdout);
  const pct = /^Percentiles: 50th = (\d+), 99th = (\d+), 99\.9th = (\d+)$/m.exec(stdout);
  if (!avg || !pct) return undefined;
  return { avgMs: Number(avg[1]), p50Ms: Number(pct[1]), p99Ms: Number(pct[2]), p999Ms: Number(pct[3]) };
}
