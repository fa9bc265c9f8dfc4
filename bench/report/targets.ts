/** The issue's targets, judged from the medians of a full run. */
import type { CaseSummary } from './summary.js';
import type { IdleMemory } from './idle.js';

export interface TargetResult {
  readonly target: string;
  readonly figure: string;
  /** undefined: not measured (skipped or failed on a side). */
  readonly met: boolean | undefined;
}

const IDLE_LIMIT_BYTES = 150e6;

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const times = (n: number): string => `${n.toFixed(2)}×`;

export function judgeTargets(summaries: readonly CaseSummary[], idle: readonly IdleMemory[]): TargetResult[] {
  const byId = new Map(summaries.map((s) => [s.result.spec.id, s]));
  const targets: TargetResult[] = [];

  const throughputAtLeast = (s: CaseSummary, factor: number, name: string): void => {
    const k = s.kafka.metrics.recordsPerSec;
    const o = s.strata.metrics.recordsPerSec;
    const r = s.ratio.recordsPerSec;
    targets.push({
      target: `${name}: Strata ≥ ${factor.toFixed(1)}× Kafka's throughput`,
      figure:
        r === undefined ? unmeasured(s) : `${times(r)} (Strata ${int(o!)} vs Kafka ${int(k!)} records/s)`,
      met: r === undefined ? undefined : r >= factor,
    });
  };
  const p99AtMost = (s: CaseSummary, factor: number, name: string): void => {
    const k = s.kafka.metrics.p99Ms;
    const o = s.strata.metrics.p99Ms;
    const bound = factor === 1 ? "≤ Kafka's p99" : `≤ ${factor}× Kafka's p99`;
    targets.push({
      target: `${name}: Strata p99 ${bound}`,
      figure: k === undefined || o === undefined ? unmeasured(s) : `Strata ${o} ms vs Kafka ${k} ms`,
      met: k === undefined || o === undefined ? undefined : o <= factor * k,
    });
  };

  for (const s of summaries.filter((x) => x.result.spec.workload === 'W1')) {
    throughputAtLeast(s, 1, `W1 ${s.result.spec.label}`);
  }
  for (const s of summaries.filter((x) => x.result.spec.workload === 'W2')) {
    p99AtMost(s, 1, `W2 at ${s.result.spec.label}`);
  }
  const w3 = byId.get('w3-consume');
  if (w3) throughputAtLeast(w3, 1, 'W3 consume');
  const w4 = byId.get('w4-e2e');
  if (w4) p99AtMost(w4, 1, 'W4 end-to-end');
  const w5max = byId.get('w5-max');
  if (w5max) throughputAtLeast(w5max, 0.8, 'W5 3 brokers, RF 3, acks=all');
  const w5rate = byId.get('w5-rate');
  if (w5rate) p99AtMost(w5rate, 1.5, `W5 at ${w5rate.result.spec.label.split(', ').pop()}`);

  const w6 = summaries.filter((x) => x.result.spec.workload === 'W6');
  if (w6.length >= 2) targets.push(judgeScale(w6[0]!, w6[w6.length - 1]!));

  for (const m of idle.filter((i) => i.side === 'strata' && i.when === 'fresh')) {
    const worst = Math.max(...m.perNodeRssBytes);
    targets.push({
      target: `Idle resident memory ≤ 150 MB per broker (${m.system})`,
      figure: `${m.perNodeRssBytes.map((b) => `${(b / 1e6).toFixed(0)} MB`).join(', ')} (Kafka: ${idle
        .filter((i) => i.side === 'kafka' && i.system === m.system && i.when === 'fresh')
        .flatMap((i) => i.perNodeRssBytes.map((b) => `${(b / 1e6).toFixed(0)} MB`))
        .join(', ')})`,
      met: worst <= IDLE_LIMIT_BYTES,
    });
  }
  return targets;
}

/** W6: Strata's throughput at the most partitions over at the fewest ≥ 0.8 × Kafka's same ratio. */
function judgeScale(fewest: CaseSummary, most: CaseSummary): TargetResult {
  const name = `W6 ${most.result.spec.label.split(', ').pop()} vs ${fewest.result.spec.label.split(', ').pop()}`;
  const k1 = fewest.kafka.metrics.recordsPerSec;
  const kN = most.kafka.metrics.recordsPerSec;
  const o1 = fewest.strata.metrics.recordsPerSec;
  const oN = most.strata.metrics.recordsPerSec;
  const target = `${name}: Strata's ratio ≥ 0.8 × Kafka's ratio`;
  if (!k1 || !kN || !o1 || !oN) return { target, figure: 'not measured (a side failed)', met: undefined };
  const ours = oN / o1;
  const theirs = kN / k1;
  return {
    target,
    figure: `Strata ${times(ours)} (${int(oN)} / ${int(o1)}), Kafka ${times(theirs)} (${int(kN)} / ${int(k1)}); needed ≥ ${times(0.8 * theirs)}`,
    met: ours >= 0.8 * theirs,
  };
}

function unmeasured(s: CaseSummary): string {
  const failed = [
    s.kafka.succeeded === 0 ? 'Kafka' : undefined,
    s.strata.succeeded === 0 ? 'Strata' : undefined,
  ].filter(Boolean);
  return `not measured (${failed.join(' and ') || 'a side'} failed every run)`;
}
