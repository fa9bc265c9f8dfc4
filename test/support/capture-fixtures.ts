/**
 * How test/fixtures/captured/ was made. Not part of the test run: run it by hand, after a build,
 * when a client or a declared version range changes:
 *
 *   npm run build && node --input-type=module -e "import { runnerImport } from 'vite';
 *     await (await runnerImport('./test/support/capture-fixtures.ts')).module.captureFixtures()"
 *
 * Each client runs one workload (admin, producer, consumer group) twice through a CaptureProxy:
 * against a Strata broker, whose requests are kept, and against a real Apache Kafka broker, whose
 * requests and responses are kept. Only frames of an API and version the registry declares are
 * kept, at most FIXTURES_PER_VERSION per (client, API, version), exchanges with Kafka first.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as KafkaJs from 'kafkajs';
import { apiByKey } from '../../broker-image/src/protocol/registry.js';
import { BrokerProcess } from './broker-process.js';
import { CaptureProxy, type CapturedFrame } from './capture-proxy.js';
import { JAVA_PROGRAMS, javaProgramsClasspath } from './java-programs.js';
import { KAFKA_TOOLS, runKafkaTool } from './kafka-jars.js';
import { KafkaServer } from './kafka-server.js';
import { rdkafka, produceAll } from './rdkafka.js';
import { runCommand } from './run-command.js';
import { tempDir } from './temp-dir.js';

export const CAPTURED_FIXTURES_DIR = fileURLToPath(new URL('../fixtures/captured', import.meta.url));

const FIXTURES_PER_VERSION = 2;
/** Larger frames (big fetches, metadata of many topics) are left out to keep the fixtures small. */
const MAX_FIXTURE_BYTES = 24 * 1024;
/** A step that takes longer is abandoned (and reported), so one stuck client call cannot stall the run. */
const STEP_TIMEOUT_MS = 45_000;

type Target = 'strata' | 'kafka';
/** Runs a client's workload against `bootstrap`, reporting its steps under `label`. */
type Workload = (bootstrap: string, label: string) => Promise<void>;
/** Runs one part of a workload; a failure is reported and the workload goes on. */
type Step = (label: string, run: () => Promise<unknown>) => Promise<void>;

const VALUES = ['välue-1 日本', 'value-2 🚀', 'value-3 Ж'];

export async function captureFixtures(outDir = CAPTURED_FIXTURES_DIR): Promise<void> {
  const proxies: Record<Target, CaptureProxy> = {
    strata: await CaptureProxy.start(),
    kafka: await CaptureProxy.start(),
  };
  let strata: BrokerProcess | undefined;
  let kafka: KafkaServer | undefined;
  try {
    strata = await BrokerProcess.start({
      properties: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxies.strata.port}` },
    });
    proxies.strata.forwardTo({ host: '127.0.0.1', port: strata.port });
    kafka = await KafkaServer.start({ advertisedPort: proxies.kafka.port });
    proxies.kafka.forwardTo({ host: '127.0.0.1', port: kafka.port });

    for (const [client, workload] of Object.entries(WORKLOADS)) {
      const captured: { target: Target; frames: CapturedFrame[] }[] = [];
      for (const target of ['strata', 'kafka'] as const) {
        const proxy = proxies[target];
        const firstConnection = proxy.connectionsAccepted + 1;
        await workload(proxy.bootstrap, `${client} → ${target}`);
        // Responses still on their way, and connections closing.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const frames = proxy.takeFrames().filter((f) => f.connection >= firstConnection);
        captured.push({ target, frames });
      }
      const fixtures = selectFixtures(captured);
      writeFixtures(join(outDir, client), fixtures);
      const bytes = fixtures.reduce((n, f) => n + f.request.length + (f.response?.length ?? 0), 0);
      const responses = fixtures.filter((f) => f.response).length;
      console.log(`${client}: ${fixtures.length} requests, ${responses} responses, ${bytes} bytes`);
    }
  } finally {
    await strata?.destroy();
    await kafka?.destroy();
    await proxies.strata.close();
    await proxies.kafka.close();
  }
}

function stepReporter(prefix: string): Step {
  return async (label, run) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
    });
    try {
      await Promise.race([run(), timeout]);
      console.log(`${prefix}: ${label}`);
    } catch (err) {
      console.log(`${prefix}: ${label} FAILED: ${String(err).split('\n')[0]}`);
    } finally {
      clearTimeout(timer);
    }
  };
}

interface Fixture {
  readonly name: string;
  readonly version: number;
  readonly request: Buffer;
  readonly response: Buffer | undefined;
}

/** Up to FIXTURES_PER_VERSION distinct exchanges per declared (API, version), Kafka's responses first. */
function selectFixtures(
  captured: readonly { target: Target; frames: readonly CapturedFrame[] }[],
): Fixture[] {
  const candidates: Fixture[] = [];
  for (const { target, frames } of captured) {
    const responses = new Map(
      frames.filter((f) => f.direction === 'response').map((f) => [`${f.connection}/${f.correlationId}`, f]),
    );
    for (const request of frames.filter((f) => f.direction === 'request')) {
      const api = apiByKey(request.apiKey);
      if (!api || request.apiVersion < api.minVersion || request.apiVersion > api.maxVersion) continue;
      if (request.bytes.length > MAX_FIXTURE_BYTES) continue;
      const response =
        target === 'kafka'
          ? responses.get(`${request.connection}/${request.correlationId}`)?.bytes
          : undefined;
      candidates.push({
        name: api.name,
        version: request.apiVersion,
        request: request.bytes,
        response: response && response.length <= MAX_FIXTURE_BYTES ? response : undefined,
      });
    }
  }
  candidates.sort((a, b) => Number(b.response !== undefined) - Number(a.response !== undefined));
  const kept: Fixture[] = [];
  for (const candidate of candidates) {
    const same = kept.filter((f) => f.name === candidate.name && f.version === candidate.version);
    if (same.length >= FIXTURES_PER_VERSION) continue;
    // The same request again, but for its correlation id, adds nothing.
    if (same.some((f) => withoutCorrelationId(f.request).equals(withoutCorrelationId(candidate.request))))
      continue;
    kept.push(candidate);
  }
  return kept;
}

function withoutCorrelationId(request: Buffer): Buffer {
  return Buffer.concat([request.subarray(0, 4), request.subarray(8)]);
}

function writeFixtures(dir: string, fixtures: readonly Fixture[]): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const counts = new Map<string, number>();
  for (const f of fixtures) {
    const base = `${f.name}-v${f.version}`;
    const n = (counts.get(base) ?? 0) + 1;
    counts.set(base, n);
    writeFileSync(join(dir, `${base}-${n}.request.bin`), f.request);
    if (f.response) writeFileSync(join(dir, `${base}-${n}.response.bin`), f.response);
  }
}

// ---------------------------------------------------------------------------------------------
// workloads

const WORKLOADS: Record<string, Workload> = {
  kafkajs: inChildProcess('kafkajs'),
  kcat: inProcess(kcatWorkload),
  'node-rdkafka': inChildProcess('node-rdkafka'),
  java: inProcess(javaWorkload),
};

/**
 * Clients that run inside Node run in a child process: librdkafka blocks the calling thread on
 * some broker replies (a synchronous commit, a disconnect), and those replies pass through the
 * proxy on this process's event loop.
 */
const NODE_CLIENT_WORKLOADS = {
  kafkajs: kafkajsWorkload,
  'node-rdkafka': nodeRdkafkaWorkload,
};
type NodeClient = keyof typeof NODE_CLIENT_WORKLOADS;

const CHILD_PROCESS_TIMEOUT_MS = 10 * 60_000;

function inProcess(run: (bootstrap: string, step: Step) => Promise<void>): Workload {
  return (bootstrap, label) => run(bootstrap, stepReporter(label));
}

function inChildProcess(client: NodeClient): Workload {
  const script = [
    "import { runnerImport } from 'vite';",
    `const { module } = await runnerImport(${JSON.stringify(fileURLToPath(import.meta.url))});`,
    'await module.runNodeClientWorkload(...process.argv.slice(1));',
    // A step abandoned after its timeout may still hold sockets open.
    'process.exit();',
  ].join('\n');
  return (bootstrap, label) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, client, bootstrap, label], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_PROCESS_TIMEOUT_MS);
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`${label}: the ${client} workload process ended with ${signal ?? code}`));
      });
    });
}

/** The entry point of the child process that {@link inChildProcess} starts. */
export async function runNodeClientWorkload(
  client: NodeClient,
  bootstrap: string,
  label: string,
): Promise<void> {
  await NODE_CLIENT_WORKLOADS[client](bootstrap, stepReporter(label));
}

async function kafkajsWorkload(bootstrap: string, step: Step): Promise<void> {
  const { Kafka, logLevel, ConfigResourceTypes } = createRequire(import.meta.url)(
    'kafkajs',
  ) as typeof KafkaJs;
  const topic = 'capture-kafkajs';
  const groupId = 'capture-kafkajs-group';
  const kafka = new Kafka({ clientId: 'capture-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId, heartbeatInterval: 500 });
  try {
    await admin.connect();
    const topicConfig = { type: ConfigResourceTypes.TOPIC, name: topic };
    await step('create topic', () =>
      admin.createTopics({
        topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
      }),
    );
    await step('topic metadata', () => admin.fetchTopicMetadata({ topics: [topic] }));
    await step('describe cluster', () => admin.describeCluster());
    await step('describe configs', () =>
      admin.describeConfigs({ resources: [topicConfig], includeSynonyms: true }),
    );
    await step('alter configs', () =>
      admin.alterConfigs({
        validateOnly: false,
        resources: [{ ...topicConfig, configEntries: [{ name: 'retention.ms', value: '7200000' }] }],
      }),
    );
    await step('create partitions', () => admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] }));

    await producer.connect();
    await step('produce', () =>
      producer.send({
        topic,
        messages: VALUES.map((value, i) => ({
          key: `k${i}`,
          value,
          partition: 0,
          headers: { source: 'kafkajs' },
        })),
      }),
    );

    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await step('consume in a group', async () => {
      let seen = 0;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out')), 30_000);
        void consumer.run({
          eachMessage: async () => {
            if (++seen === VALUES.length) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
      // Heartbeats and an offset commit before leaving.
      await new Promise((resolve) => setTimeout(resolve, 1500));
    });
    await consumer.disconnect();

    await step('topic offsets', () => admin.fetchTopicOffsets(topic));
    await step('offsets by timestamp', () => admin.fetchTopicOffsetsByTimestamp(topic, Date.now() - 60_000));
    await step('list groups', () => admin.listGroups());
    await step('describe groups', () => admin.describeGroups([groupId]));
    await step('fetch committed offsets', () => admin.fetchOffsets({ groupId, topics: [topic] }));
    await step('reset offsets', () => admin.resetOffsets({ groupId, topic, earliest: true }));
    await step('delete records', () =>
      admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '1' }] }),
    );
    await step('list reassignments', () => admin.listPartitionReassignments({}));
    await step('reassign partitions', () =>
      admin.alterPartitionReassignments({
        topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: [1] }] }],
      }),
    );
    await step('delete group', () => admin.deleteGroups([groupId]));
    await step('delete topic', () => admin.deleteTopics({ topics: [topic] }));
  } finally {
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

async function kcatWorkload(bootstrap: string, step: Step): Promise<void> {
  const topic = 'capture-kcat';
  const kcat = async (args: string[], input?: string) => {
    const result = await runCommand('kcat', ['-b', bootstrap, '-X', 'client.id=capture-kcat', ...args], {
      input,
      timeoutMs: 60_000,
    });
    if (result.code !== 0) throw new Error(`kcat exited ${result.code}: ${result.stderr}`);
  };
  const keyed = VALUES.map((v, i) => `k${i}:${v}`).join('\n') + '\n';
  await step('produce (auto-creating the topic)', () =>
    kcat(['-P', '-t', topic, '-p', '0', '-K', ':', '-H', 'source=kcat'], keyed),
  );
  await step('metadata', () => kcat(['-L']));
  await step('metadata of one topic', () => kcat(['-L', '-t', topic]));
  await step('consume from the beginning', () =>
    kcat(['-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e']),
  );
  await step('consume the last record', () => kcat(['-C', '-t', topic, '-p', '0', '-o', '-1', '-e']));
  await step('offset by timestamp', () => kcat(['-Q', '-t', `${topic}:0:${Date.now() - 60_000}`]));
  await step('consume in a group', () =>
    kcat([
      '-G',
      'capture-kcat-group',
      '-X',
      'auto.offset.reset=earliest',
      '-c',
      String(VALUES.length),
      topic,
    ]),
  );
}

async function nodeRdkafkaWorkload(bootstrap: string, step: Step): Promise<void> {
  const topic = 'capture-node-rdkafka';
  const common = { 'bootstrap.servers': bootstrap, 'client.id': 'capture-node-rdkafka' };
  const admin = rdkafka.AdminClient.create(common);
  const callback = (resolve: () => void, reject: (e: unknown) => void) => (err: unknown) =>
    err ? reject(err) : resolve();
  try {
    await step(
      'create topic',
      () =>
        new Promise<void>((resolve, reject) =>
          admin.createTopic(
            { topic, num_partitions: 2, replication_factor: 1, config: { 'retention.ms': '3600000' } },
            callback(resolve, reject),
          ),
        ),
    );
    await step(
      'create partitions',
      () =>
        new Promise<void>((resolve, reject) => admin.createPartitions(topic, 3, callback(resolve, reject))),
    );
    await step('produce idempotently', () =>
      produceAll({ ...common, 'enable.idempotence': true, 'linger.ms': 5 }, topic, VALUES, 0),
    );
    await step('consume in a group', () => consumeInGroup(common, topic, 'capture-node-rdkafka-group'));
    await step(
      'delete topic',
      () => new Promise<void>((resolve, reject) => admin.deleteTopic(topic, callback(resolve, reject))),
    );
  } finally {
    admin.disconnect();
  }
}

/** Subscribes, reads every value, looks up offsets, commits, and leaves the group. */
async function consumeInGroup(common: Record<string, string>, topic: string, groupId: string): Promise<void> {
  const consumer = new rdkafka.KafkaConsumer(
    { ...common, 'group.id': groupId, 'enable.auto.commit': false },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) =>
    consumer.connect({}, (err) => (err ? reject(err) : resolve())),
  );
  try {
    consumer.subscribe([topic]);
    let seen = 0;
    const deadline = Date.now() + 30_000;
    while (seen < VALUES.length && Date.now() < deadline) {
      seen += (
        await new Promise<unknown[]>((resolve, reject) =>
          consumer.consume(100, (err, messages) => (err ? reject(err) : resolve(messages))),
        )
      ).length;
    }
    consumer.commitSync(null);
    await new Promise<void>((resolve, reject) =>
      consumer.committed(5000, (err) => (err ? reject(err) : resolve())),
    );
    await new Promise<void>((resolve, reject) =>
      consumer.queryWatermarkOffsets(topic, 0, 5000, (err) => (err ? reject(err) : resolve())),
    );
    await new Promise<void>((resolve, reject) =>
      consumer.offsetsForTimes([{ topic, partition: 0, offset: Date.now() - 60_000 }], 5000, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

async function javaWorkload(bootstrap: string, step: Step): Promise<void> {
  const topic = 'capture-java';
  const group = 'capture-java-group';
  const classpath = await javaProgramsClasspath();
  const java = async (main: string, args: string[], input?: string) => {
    const result = await runKafkaTool(main, args, { input, classpath, timeoutMs: STEP_TIMEOUT_MS - 5000 });
    if (result.code !== 0)
      throw new Error(`exited ${result.code}: ${(result.stderr || result.stdout).trim()}`);
  };
  const tool = (main: string, args: string[], input?: string) =>
    java(main, ['--bootstrap-server', bootstrap, ...args], input);
  const dir = tempDir('capture-java-');
  try {
    const deleteRecords = join(dir.path, 'delete-records.json');
    writeFileSync(
      deleteRecords,
      JSON.stringify({ version: 1, partitions: [{ topic, partition: 0, offset: 1 }] }),
    );

    await step('create topic', () =>
      tool(KAFKA_TOOLS.topics, [
        '--create',
        '--topic',
        topic,
        '--partitions',
        '2',
        '--config',
        'retention.ms=3600000',
      ]),
    );
    await step('describe topic', () => tool(KAFKA_TOOLS.topics, ['--describe', '--topic', topic]));
    await step('add partitions', () =>
      tool(KAFKA_TOOLS.topics, ['--alter', '--topic', topic, '--partitions', '3']),
    );
    await step('list topics', () => tool(KAFKA_TOOLS.topics, ['--list']));
    await step('console producer', () =>
      tool(
        KAFKA_TOOLS.consoleProducer,
        ['--topic', topic, '--reader-property', 'parse.key=true', '--reader-property', 'key.separator=:'],
        VALUES.map((v, i) => `k${i}:${v}`).join('\n') + '\n',
      ),
    );
    await step('idempotent producer', () =>
      java(JAVA_PROGRAMS.idempotentProducer, [bootstrap, topic, '5', 'java']),
    );
    await step('console consumer in a group', () =>
      tool(KAFKA_TOOLS.consoleConsumer, [
        '--topic',
        topic,
        '--group',
        group,
        '--from-beginning',
        '--max-messages',
        String(VALUES.length),
        '--timeout-ms',
        '30000',
      ]),
    );
    await step('assign and seek consumer', () =>
      java(JAVA_PROGRAMS.assignSeekConsumer, [bootstrap, topic, '0', 'earliest', '2', '30000']),
    );
    await step('list groups', () => tool(KAFKA_TOOLS.consumerGroups, ['--list']));
    await step('describe group', () => tool(KAFKA_TOOLS.consumerGroups, ['--describe', '--group', group]));
    await step('reset offsets', () =>
      tool(KAFKA_TOOLS.consumerGroups, [
        '--reset-offsets',
        '--group',
        group,
        '--topic',
        topic,
        '--to-earliest',
        '--execute',
      ]),
    );
    await step('delete offsets', () =>
      tool(KAFKA_TOOLS.consumerGroups, ['--delete-offsets', '--group', group, '--topic', topic]),
    );
    await step('delete group', () => tool(KAFKA_TOOLS.consumerGroups, ['--delete', '--group', group]));
    await step('get offsets', () => tool(KAFKA_TOOLS.getOffsets, ['--topic', topic]));
    await step('alter topic config', () =>
      tool(KAFKA_TOOLS.configs, [
        '--entity-type',
        'topics',
        '--entity-name',
        topic,
        '--alter',
        '--add-config',
        'retention.ms=7200000',
      ]),
    );
    await step('describe topic config', () =>
      tool(KAFKA_TOOLS.configs, ['--entity-type', 'topics', '--entity-name', topic, '--describe']),
    );
    await step('describe broker config', () =>
      tool(KAFKA_TOOLS.configs, ['--entity-type', 'brokers', '--entity-name', '1', '--describe']),
    );
    await step('delete records', () => tool(DELETE_RECORDS_COMMAND, ['--offset-json-file', deleteRecords]));
    await step('preferred leader election', () =>
      tool(LEADER_ELECTION_COMMAND, ['--election-type', 'preferred', '--topic', topic, '--partition', '0']),
    );
    await step('describe log dirs', () => tool(LOG_DIRS_COMMAND, ['--describe', '--topic-list', topic]));
    await step('list reassignments', () => tool(KAFKA_TOOLS.reassignPartitions, ['--list']));
    await step('cluster id', () => java(CLUSTER_TOOL, ['cluster-id', '--bootstrap-server', bootstrap]));
    await step('delete topic', () => tool(KAFKA_TOOLS.topics, ['--delete', '--topic', topic]));
  } finally {
    dir.cleanup();
  }
}

const DELETE_RECORDS_COMMAND = 'org.apache.kafka.tools.DeleteRecordsCommand';
const LEADER_ELECTION_COMMAND = 'org.apache.kafka.tools.LeaderElectionCommand';
const LOG_DIRS_COMMAND = 'org.apache.kafka.tools.LogDirsCommand';
const CLUSTER_TOOL = 'org.apache.kafka.tools.ClusterTool';
