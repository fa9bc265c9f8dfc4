/** W3: consume throughput (kafka-consumer-perf-test) over records produced once per side. */
import { consumerPerf } from '../tools/kafka-tools.js';
import { measurementOf, type CaseSpec } from './engine.js';
import { produceCase } from './produce.js';

const W3_TOPIC = 'w3-data';

/** Fills each side's W3 topic; measured too (one repetition), but no target rests on it. */
export function w3PopulateCase(options: {
  records: number;
  partitions: number;
  timeoutMs: number;
}): CaseSpec {
  const produce = produceCase({
    id: 'w3-populate',
    workload: 'W3',
    label: `populate: ${(options.records / 1e6).toLocaleString('en-US')} M × 100 B, ${options.partitions} partitions, acks=1`,
    headline: 'throughput',
    partitions: options.partitions,
    replicationFactor: 1,
    recordSize: 100,
    records: options.records,
    throughput: -1,
    acks: '1',
    timeoutMs: options.timeoutMs,
  });
  const fixed = { topic: W3_TOPIC };
  return {
    ...produce,
    before: (system, run) => produce.before!(system, { ...run, ...fixed }),
    measure: (system, run) => produce.measure(system, { ...run, ...fixed }),
  };
}

/** Each repetition reads the whole topic from the start in a consumer group of its own. */
export function w3ConsumeCase(options: { records: number; partitions: number; timeoutMs: number }): CaseSpec {
  return {
    id: 'w3-consume',
    workload: 'W3',
    label: `consume ${(options.records / 1e6).toLocaleString('en-US')} M × 100 B, ${options.partitions} partitions`,
    headline: 'throughput',
    measure: async (system, run) => {
      const result = await consumerPerf(system.bootstrap, {
        topic: W3_TOPIC,
        records: options.records,
        group: run.topic,
        timeoutMs: options.timeoutMs,
      });
      return measurementOf(result, (s) => ({
        records: s.records,
        recordsPerSec: s.recordsPerSec,
        mbPerSec: s.mbPerSec,
        rebalanceMs: s.rebalanceMs,
        fetchRecordsPerSec: s.fetchRecordsPerSec,
      }));
    },
  };
}
