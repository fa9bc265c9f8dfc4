/** Workloads measured with kafka-producer-perf-test: W1, W2, W5 and W6. */
import type { WorkloadId } from '../options.js';
import { createTopic, producerPerf } from '../tools/kafka-tools.js';
import { measurementOf, type CaseSpec } from './engine.js';

export interface ProduceCase {
  readonly id: string;
  readonly workload: WorkloadId;
  readonly label: string;
  readonly headline: 'throughput' | 'latency';
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly topicConfigs?: Record<string, string>;
  readonly recordSize: number;
  readonly records: number;
  /** Records per second, or -1 for unthrottled. */
  readonly throughput: number;
  readonly acks: '1' | 'all';
  readonly timeoutMs: number;
}

/** Each run produces into a topic of its own, created (unmetered) just before. */
export function produceCase(c: ProduceCase): CaseSpec {
  return {
    id: c.id,
    workload: c.workload,
    label: c.label,
    headline: c.headline,
    before: async (system, run) => {
      await createTopic(system.bootstrap, {
        name: run.topic,
        partitions: c.partitions,
        replicationFactor: c.replicationFactor,
        configs: c.topicConfigs,
      });
    },
    measure: async (system, run) => {
      const result = await producerPerf(system.bootstrap, {
        topic: run.topic,
        records: c.records,
        recordSize: c.recordSize,
        throughput: c.throughput,
        acks: c.acks,
        timeoutMs: c.timeoutMs,
      });
      return measurementOf(result, (s) => ({
        records: s.records,
        recordsPerSec: s.recordsPerSec,
        mbPerSec: s.mbPerSec,
        avgMs: s.avgMs,
        p50Ms: s.p50Ms,
        p95Ms: s.p95Ms,
        p99Ms: s.p99Ms,
        p999Ms: s.p999Ms,
        maxMs: s.maxMs,
      }));
    },
  };
}

export function sizeLabel(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} B`;
}

export function partitionsLabel(n: number): string {
  return `${n} partition${n === 1 ? '' : 's'}`;
}

/** W1: unthrottled, acks=1, per record size and partition count. */
export function w1Cases(options: {
  records: Record<100 | 1024, number>;
  partitions: readonly number[];
  timeoutMs: number;
}): CaseSpec[] {
  return ([100, 1024] as const).flatMap((recordSize) =>
    options.partitions.map((partitions) =>
      produceCase({
        id: w1CaseId(recordSize, partitions),
        workload: 'W1',
        label: `${sizeLabel(recordSize)}, ${partitionsLabel(partitions)}`,
        headline: 'throughput',
        partitions,
        replicationFactor: 1,
        recordSize,
        records: options.records[recordSize],
        throughput: -1,
        acks: '1',
        timeoutMs: options.timeoutMs,
      }),
    ),
  );
}

export function w1CaseId(recordSize: number, partitions: number): string {
  return `w1-${recordSize}b-p${partitions}`;
}

/** W2 runs at fractions of Kafka's W1 maximum for this case. */
export const W2_BASE = { recordSize: 100, partitions: 1 } as const;

/** W2: acks=all at fixed rates; what matters is the latency distribution at each rate. */
export function w2Cases(options: {
  kafkaMaxRecordsPerSec: number;
  fractions: readonly number[];
  seconds: number;
  timeoutMs: number;
}): CaseSpec[] {
  return options.fractions.map((fraction) => {
    const rate = Math.max(1, Math.round(options.kafkaMaxRecordsPerSec * fraction));
    const pct = Math.round(fraction * 100);
    return produceCase({
      id: `w2-${pct}pct`,
      workload: 'W2',
      label: `${pct} % of Kafka's W1 max (${rate.toLocaleString('en-US')} rec/s)`,
      headline: 'latency',
      partitions: W2_BASE.partitions,
      replicationFactor: 1,
      recordSize: W2_BASE.recordSize,
      records: Math.max(100, Math.round(rate * options.seconds)),
      throughput: rate,
      acks: 'all',
      timeoutMs: options.timeoutMs,
    });
  });
}

/** W6: the same unthrottled produce into topics of growing partition counts. */
export function w6Cases(options: {
  records: number;
  partitions: readonly number[];
  timeoutMs: number;
}): CaseSpec[] {
  return options.partitions.map((partitions) =>
    produceCase({
      id: `w6-p${partitions}`,
      workload: 'W6',
      label: `100 B, ${partitionsLabel(partitions)}`,
      headline: 'throughput',
      partitions,
      replicationFactor: 1,
      recordSize: 100,
      records: options.records,
      throughput: -1,
      acks: '1',
      timeoutMs: options.timeoutMs,
    }),
  );
}

/** W5 on three brokers: RF 3, min ISR 2, acks=all, 100 B records over 6 partitions. */
const W5_TOPIC = {
  partitions: 6,
  replicationFactor: 3,
  topicConfigs: { 'min.insync.replicas': '2' },
  recordSize: 100,
  acks: 'all',
} as const;

export function w5MaxCase(options: { records: number; timeoutMs: number }): CaseSpec {
  return produceCase({
    ...W5_TOPIC,
    id: 'w5-max',
    workload: 'W5',
    label: 'RF 3, acks=all, unthrottled',
    headline: 'throughput',
    records: options.records,
    throughput: -1,
    timeoutMs: options.timeoutMs,
  });
}

export function w5RateCase(options: {
  kafkaMaxRecordsPerSec: number;
  fraction: number;
  seconds: number;
  timeoutMs: number;
}): CaseSpec {
  const rate = Math.max(1, Math.round(options.kafkaMaxRecordsPerSec * options.fraction));
  return produceCase({
    ...W5_TOPIC,
    id: 'w5-rate',
    workload: 'W5',
    label: `RF 3, acks=all, ${Math.round(options.fraction * 100)} % of Kafka's max (${rate.toLocaleString('en-US')} rec/s)`,
    headline: 'latency',
    records: Math.max(100, Math.round(rate * options.seconds)),
    throughput: rate,
    timeoutMs: options.timeoutMs,
  });
}
