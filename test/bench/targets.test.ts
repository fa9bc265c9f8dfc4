import { describe, expect, it } from 'vitest';
import { median } from '../../bench/report/stats.js';
import { summarizeCase } from '../../bench/report/summary.js';
import { judgeTargets } from '../../bench/report/targets.js';
import type { CaseResult, Metrics, RunRecord } from '../../bench/workloads/engine.js';
import type { WorkloadId } from '../../bench/options.js';
import type { Side } from '../../bench/servers/system.js';

function run(side: Side, repetition: number, metrics: Metrics, ok = true): RunRecord {
  return {
    side,
    repetition,
    measurement: {
      ok,
      metrics: ok ? metrics : {},
      command: `java Tool 127.0.0.1:${side === 'kafka' ? 1 : 2}`,
    },
    usage: { cpuSeconds: 1, peakRssBytes: 1e8, peakNodeRssBytes: 1e8 },
    clientCpuSeconds: 1,
    wallSeconds: 1,
    loadAverage: 1,
  };
}

function result(
  id: string,
  workload: WorkloadId,
  headline: 'throughput' | 'latency',
  kafka: Metrics[],
  strata: Metrics[],
): CaseResult {
  return {
    spec: { id, workload, label: id, headline },
    runs: [...kafka.map((m, i) => run('kafka', i + 1, m)), ...strata.map((m, i) => run('strata', i + 1, m))],
  };
}

const bootstraps = { kafka: ['127.0.0.1:1'], strata: ['127.0.0.1:2'] };

describe('median', () => {
  it('takes the middle value, or the mean of the middle two, ignoring NaN', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([NaN, 5])).toBe(5);
    expect(median([])).toBeNaN();
  });
});

describe('summarizeCase', () => {
  it('compares medians and hides the addresses in the command', () => {
    const s = summarizeCase(
      result(
        'w1',
        'W1',
        'throughput',
        [{ recordsPerSec: 100 }, { recordsPerSec: 300 }, { recordsPerSec: 200 }],
        [{ recordsPerSec: 150 }, { recordsPerSec: 250 }, { recordsPerSec: 50 }],
      ),
      bootstraps,
    );
    expect(s.kafka.metrics.recordsPerSec).toBe(200);
    expect(s.strata.metrics.recordsPerSec).toBe(150);
    expect(s.ratio.recordsPerSec).toBe(0.75);
    expect(s.command).toBe('java Tool $BOOTSTRAP');
  });
});

describe('judgeTargets', () => {
  const judge = (...results: CaseResult[]) =>
    judgeTargets(
      results.map((r) => summarizeCase(r, bootstraps)),
      [],
    );

  it('needs W1 at least even with Kafka and W5 at 0.8 of it', () => {
    const [w1, w5] = judge(
      result('w1-100b-p1', 'W1', 'throughput', [{ recordsPerSec: 100 }], [{ recordsPerSec: 99 }]),
      result('w5-max', 'W5', 'throughput', [{ recordsPerSec: 100 }], [{ recordsPerSec: 80 }]),
    );
    expect(w1!.met).toBe(false);
    expect(w5!.met).toBe(true);
  });

  it("holds W6's throughput drop from the fewest to the most partitions against 0.8 × Kafka's", () => {
    const targets = judge(
      result('w6-p1', 'W6', 'throughput', [{ recordsPerSec: 100 }], [{ recordsPerSec: 200 }]),
      result('w6-p1000', 'W6', 'throughput', [{ recordsPerSec: 50 }], [{ recordsPerSec: 79 }]),
    );
    // Kafka keeps 0.5 of its throughput, Strata 0.395: below 0.8 × 0.5.
    expect(targets[0]!.met).toBe(false);
  });

  it('counts a case where one side failed every run as not measured', () => {
    const failed: CaseResult = {
      spec: { id: 'w4-e2e', workload: 'W4', label: 'w4', headline: 'latency' },
      runs: [run('kafka', 1, { p99Ms: 5 }), run('strata', 1, {}, false)],
    };
    expect(judge(failed)[0]!.met).toBeUndefined();
  });
});
