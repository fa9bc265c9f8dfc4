/**
 * The workloads' instruments: Kafka's own producer and consumer perf tools, its end-to-end latency
 * tool and kafka-topics, pointed at either system — neither side gets a client of its own.
 */
import { KAFKA_TOOLS } from '../../test/support/kafka-jars.js';
import { runJavaTool, type ToolRun } from './java.js';
import {
  parseConsumerPerf,
  parseEndToEnd,
  parseProducerPerf,
  type ConsumerPerfSummary,
  type EndToEndSummary,
  type ProducerPerfSummary,
} from './tool-output.js';

const END_TO_END_LATENCY = 'org.apache.kafka.tools.EndToEndLatency';
/** kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh give their JVM 512 MiB. */
const PERF_TOOL_HEAP = '512m';

/** A tool run whose output was parsed; `summary` is undefined when the run failed. */
export interface Measured<T> {
  readonly run: ToolRun;
  readonly summary: T | undefined;
  /** Why there is no summary. */
  readonly error?: string;
}

function measured<T>(run: ToolRun, summary: T | undefined): Measured<T> {
  if (summary && run.code === 0) return { run, summary };
  const why = run.timedOut ? `timed out after ${run.wallSeconds.toFixed(0)} s` : `exit ${run.code}`;
  const tail = `${run.stdout}\n${run.stderr}`.trim().split('\n').slice(-12).join('\n');
  return { run, summary: undefined, error: `${why}\n${tail}` };
}

/** Runs a perf tool over `plan.records` records of `plan.topic`, with the heap its script gives it. */
function runPerfTool(
  tool: string,
  bootstrap: string,
  plan: { readonly topic: string; readonly records: number; readonly timeoutMs: number },
  args: readonly string[],
): Promise<ToolRun> {
  return runJavaTool(
    tool,
    ['--bootstrap-server', bootstrap, '--topic', plan.topic, '--num-records', String(plan.records), ...args],
    { timeoutMs: plan.timeoutMs, heap: PERF_TOOL_HEAP },
  );
}

export interface ProducePlan {
  readonly topic: string;
  readonly records: number;
  readonly recordSize: number;
  /** Records per second, or -1 for unthrottled. */
  readonly throughput: number;
  readonly acks: '1' | 'all';
  readonly timeoutMs: number;
}

export async function producerPerf(
  bootstrap: string,
  plan: ProducePlan,
): Promise<Measured<ProducerPerfSummary>> {
  const run = await runPerfTool(KAFKA_TOOLS.producerPerf, bootstrap, plan, [
    '--record-size',
    String(plan.recordSize),
    '--throughput',
    String(plan.throughput),
    '--command-property',
    `acks=${plan.acks}`,
  ]);
  return measured(run, parseProducerPerf(run.stdout));
}

export async function consumerPerf(
  bootstrap: string,
  plan: { topic: string; records: number; group: string; timeoutMs: number },
): Promise<Measured<ConsumerPerfSummary>> {
  const run = await runPerfTool(KAFKA_TOOLS.consumerPerf, bootstrap, plan, [
    '--group',
    plan.group,
    '--timeout',
    '30000',
  ]);
  const summary = parseConsumerPerf(run.stdout);
  // The tool stops early (with a warning) when records stop arriving; a short count is a failure.
  return measured(run, summary && summary.records >= plan.records ? summary : undefined);
}

export async function endToEndLatency(
  bootstrap: string,
  plan: { topic: string; records: number; recordSize: number; acks: '1' | 'all'; timeoutMs: number },
): Promise<Measured<EndToEndSummary>> {
  const run = await runJavaTool(
    END_TO_END_LATENCY,
    [bootstrap, plan.topic, String(plan.records), plan.acks, String(plan.recordSize)],
    { timeoutMs: plan.timeoutMs },
  );
  return measured(run, parseEndToEnd(run.stdout));
}

export async function createTopic(
  bootstrap: string,
  topic: { name: string; partitions: number; replicationFactor: number; configs?: Record<string, string> },
): Promise<ToolRun> {
  const configs = Object.entries(topic.configs ?? {}).flatMap(([k, v]) => ['--config', `${k}=${v}`]);
  const run = await runJavaTool(
    KAFKA_TOOLS.topics,
    [
      '--bootstrap-server',
      bootstrap,
      '--create',
      '--topic',
      topic.name,
      '--partitions',
      String(topic.partitions),
      '--replication-factor',
      String(topic.replicationFactor),
      ...configs,
    ],
    { timeoutMs: 180_000 },
  );
  if (run.code !== 0) {
    throw new Error(`creating topic ${topic.name} failed (exit ${run.code}):\n${run.stdout}${run.stderr}`);
  }
  return run;
}

/** Deletes the topics matching a regular expression (a workload's topics once it is done). */
export async function deleteTopics(bootstrap: string, pattern: string): Promise<ToolRun> {
  return runJavaTool(
    KAFKA_TOOLS.topics,
    ['--bootstrap-server', bootstrap, '--delete', '--if-exists', '--topic', pattern],
    { timeoutMs: 180_000 },
  );
}
