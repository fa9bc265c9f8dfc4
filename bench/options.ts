/**
 * Command-line options and the sizes of each workload. The full sizes keep a whole run near half an
 * hour on a 2-core machine; `--smoke` shrinks everything so CI can run the harness in a few minutes.
 */
import { parseArgs } from 'node:util';
import type { CeilingSizes } from './machine/ceilings.js';

export const WORKLOADS = ['W1', 'W2', 'W3', 'W4', 'W5', 'W6'] as const;
export type WorkloadId = (typeof WORKLOADS)[number];

export interface Sizes {
  /** Measured repetitions per case and side (alternating which side goes first). */
  readonly repetitions: number;
  /** Seconds a freshly started system is left alone before its idle memory is read. */
  readonly settleSeconds: number;
  /** Unmeasured produce + consume run per single-node system first, so both JITs are warm. */
  readonly warmupRecords: number;
  readonly ceilings: CeilingSizes;
  /** W1: unthrottled acks=1 produce, per record size. */
  readonly w1: { readonly records: Record<100 | 1024, number>; readonly partitions: readonly number[] };
  /** W2: acks=all at fixed fractions of Kafka's W1 maximum (100 B, 1 partition), each for `seconds`. */
  readonly w2: { readonly seconds: number; readonly fractions: readonly number[] };
  /** W3: records produced once per side, then consumed `repetitions` times. */
  readonly w3: { readonly records: number; readonly partitions: number };
  /** W4: synchronous produce-then-poll round trips. */
  readonly w4: { readonly records: number };
  /** W5: unthrottled acks=all on RF 3, then a fixed rate at `rateFraction` of Kafka's maximum. */
  readonly w5: { readonly records: number; readonly seconds: number; readonly rateFraction: number };
  /** W6: unthrottled acks=1 produce to topics of growing partition counts. */
  readonly w6: { readonly records: number; readonly partitions: readonly number[] };
  /** Ceiling on any one tool run, so a stuck broker costs minutes, not the whole run. */
  readonly toolTimeoutMs: number;
}

const FULL: Sizes = {
  repetitions: 3,
  settleSeconds: 10,
  warmupRecords: 1_000_000,
  ceilings: { ddBytes: 1024 * 1024 * 1024, loopSeconds: 3, repetitions: 3 },
  w1: { records: { 100: 5_000_000, 1024: 1_000_000 }, partitions: [1, 6] },
  w2: { seconds: 15, fractions: [0.25, 0.5, 0.75] },
  w3: { records: 10_000_000, partitions: 6 },
  w4: { records: 20_000 },
  w5: { records: 2_000_000, seconds: 15, rateFraction: 0.5 },
  w6: { records: 4_000_000, partitions: [1, 100, 1000] },
  toolTimeoutMs: 10 * 60_000,
};

const SMOKE: Sizes = {
  repetitions: 1,
  settleSeconds: 1,
  warmupRecords: 10_000,
  ceilings: { ddBytes: 64 * 1024 * 1024, loopSeconds: 0.5, repetitions: 1 },
  w1: { records: { 100: 20_000, 1024: 5_000 }, partitions: [1, 6] },
  w2: { seconds: 2, fractions: [0.25, 0.5, 0.75] },
  w3: { records: 50_000, partitions: 6 },
  w4: { records: 200 },
  w5: { records: 20_000, seconds: 2, rateFraction: 0.5 },
  w6: { records: 20_000, partitions: [1, 10, 100] },
  toolTimeoutMs: 90_000,
};

export interface BenchOptions {
  readonly smoke: boolean;
  /** Profile Strata (node --cpu-prof) producing and consuming W3's records; summarise where its time goes. */
  readonly profile: boolean;
  readonly workloads: readonly WorkloadId[];
  /** Where the results go: bench/results (full) or bench/.work/results (smoke) unless given. */
  readonly outDir: string | undefined;
  readonly sizes: Sizes;
  /** The arguments as given, for the results file. */
  readonly argv: readonly string[];
}

export const USAGE = `usage: npm run bench -- [--smoke] [--profile] [--only W1,W3,...] [--repetitions N] [--out DIR]

  --smoke          tiny sizes and one repetition (what CI runs); no targets are judged
  --profile        also profile Strata (node --cpu-prof) producing, then consuming, W3's records
  --only LIST      run only these workloads (W2 needs W1, which then runs too)
  --repetitions N  measured repetitions per case and side (default 3; 1 with --smoke)
  --out DIR        results directory (default bench/results, or bench/.work/results with --smoke)`;

export function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      smoke: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      only: { type: 'string' },
      repetitions: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const base = values.smoke ? SMOKE : FULL;
  const repetitions = values.repetitions === undefined ? base.repetitions : Number(values.repetitions);
  if (!Number.isInteger(repetitions) || repetitions < 1)
    throw new Error(`--repetitions: "${values.repetitions}" is not a positive integer`);
  let workloads: WorkloadId[] = [...WORKLOADS];
  if (values.only !== undefined) {
    const asked = values.only.split(',').map((w) => w.trim().toUpperCase());
    const unknown = asked.filter((w) => !(WORKLOADS as readonly string[]).includes(w));
    if (unknown.length > 0) throw new Error(`--only: unknown workload(s) ${unknown.join(', ')}`);
    workloads = WORKLOADS.filter((w) => asked.includes(w) || (w === 'W1' && asked.includes('W2')));
  }
  return {
    smoke: values.smoke,
    profile: values.profile,
    workloads,
    outDir: values.out,
    sizes: { ...base, repetitions },
    argv,
  };
}
