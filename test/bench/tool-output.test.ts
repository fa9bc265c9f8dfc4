import { describe, expect, it } from 'vitest';
import { parseConsumerPerf, parseEndToEnd, parseProducerPerf } from '../../bench/tools/tool-output.js';

/** The benchmark harness reads Kafka 4.3's perf tools' output; these pin the formats it relies on. */
describe('parseProducerPerf', () => {
  it('reads the whole-run summary and skips the progress lines, which have no percentiles', () => {
    const stdout = [
      '601023 records sent, 120180.6 records/sec (11.46 MB/sec), 1800.4 ms avg latency, 2900.0 ms max latency.',
      '2000000 records sent, 120736.492605 records/sec (11.51 MB/sec), 2129.40 ms avg latency, 3595.00 ms max latency, 2082 ms 50th, 3258 ms 95th, 3539 ms 99th, 3577 ms 99.9th.',
      '',
    ].join('\n');
    expect(parseProducerPerf(stdout)).toEqual({
      records: 2_000_000,
      recordsPerSec: 120736.492605,
      mbPerSec: 11.51,
      avgMs: 2129.4,
      maxMs: 3595,
      p50Ms: 2082,
      p95Ms: 3258,
      p99Ms: 3539,
      p999Ms: 3577,
    });
  });

  it('is undefined when the run never printed a summary', () => {
    expect(
      parseProducerPerf(
        '12 records sent, 2.4 records/sec (0.00 MB/sec), 5.0 ms avg latency, 9.0 ms max latency.\n',
      ),
    ).toBeUndefined();
  });
});

describe('parseConsumerPerf', () => {
  it('reads the line after the header by column name', () => {
    const stdout = [
      'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec',
      '2026-11-22 01:48:01:123, 2026-11-22 01:48:04:200, 190.7349, 61.9873, 2000000, 649983.7504, 1033, 2044, 93.3145, 978473.5812',
      '',
    ].join('\n');
    expect(parseConsumerPerf(stdout)).toEqual({
      records: 2_000_000,
      mb: 190.7349,
      recordsPerSec: 649983.7504,
      mbPerSec: 61.9873,
      rebalanceMs: 1033,
      fetchRecordsPerSec: 978473.5812,
      fetchMbPerSec: 93.3145,
    });
  });

  it('is undefined without the header', () => {
    expect(
      parseConsumerPerf('WARNING: Exiting before consuming the expected number of records\n'),
    ).toBeUndefined();
  });
});

describe('parseEndToEnd', () => {
  it('reads the average and the whole-millisecond percentiles', () => {
    const stdout =
      '0\t12.5\n1000\t1.2\nAvg latency: 2.9442 ms\nPercentiles: 50th = 1, 99th = 12, 99.9th = 17\n';
    expect(parseEndToEnd(stdout)).toEqual({ avgMs: 2.9442, p50Ms: 1, p99Ms: 12, p999Ms: 17 });
  });
});
