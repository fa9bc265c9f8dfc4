/** W4: end-to-end latency, producer → broker → consumer, one record at a time (EndToEndLatency). */
import { createTopic, endToEndLatency } from '../tools/kafka-tools.js';
import { measurementOf, type CaseSpec } from './engine.js';

export function w4Case(options: { records: number; timeoutMs: number }): CaseSpec {
  return {
    id: 'w4-e2e',
    workload: 'W4',
    label: `${options.records.toLocaleString('en-US')} round trips, 100 B, acks=all`,
    headline: 'latency',
    before: async (system, run) => {
      await createTopic(system.bootstrap, { name: run.topic, partitions: 1, replicationFactor: 1 });
    },
    measure: async (system, run) => {
      const result = await endToEndLatency(system.bootstrap, {
        topic: run.topic,
        records: options.records,
        recordSize: 100,
        acks: 'all',
        timeoutMs: options.timeoutMs,
      });
      return measurementOf(result, (s) => ({
        records: options.records,
        avgMs: s.avgMs,
        p50Ms: s.p50Ms,
        p99Ms: s.p99Ms,
        p999Ms: s.p999Ms,
      }));
    },
  };
}
