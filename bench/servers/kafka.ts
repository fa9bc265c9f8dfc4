/**
 * Apache Kafka as the harness runs it: N KRaft nodes, each broker and controller, from the jars
 * test/support/kafka-jars.ts resolves from Maven Central, with the heap and JVM flags of Kafka's own
 * kafka-server-start.sh, data on the harness's work dir and logs beside it.
 * (test/support/kafka-server.ts starts one node in a temp dir for tests; the harness needs N nodes,
 * a chosen disk, the pids and a clean stop.)
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../test/support/free-port.js';
import { javaCommand, KAFKA_TOOLS } from '../../test/support/kafka-jars.js';
import { spawnTracked, stopChild } from '../support/children.js';
import type { SystemUnderTest } from './system.js';
import { displayJava, KAFKA_JVM_FLAGS, runJavaTool, type ToolRun } from '../tools/java.js';

export type Properties = Record<string, string | number | boolean>;

export interface KafkaOptions {
  readonly nodes: number;
  /** Parent of each node's data dir (`kafka-<id>/logs`). */
  readonly dataDir: string;
  /** Where each node's stdout/stderr goes (`kafka-<nodes>-nodes-<id>.log`). */
  readonly logDir: string;
  /** server.properties entries on top of the KRaft basics. */
  readonly properties: Properties;
}

const READY_LINE = 'Kafka Server started';
const START_TIMEOUT_MS = 180_000;
/** kafka-server-start.sh's KAFKA_HEAP_OPTS. */
const BROKER_HEAP = ['-Xms1g'];

export async function startKafka(options: KafkaOptions): Promise<SystemUnderTest> {
  const ids = Array.from({ length: options.nodes }, (_, i) => i + 1);
  const ports = new Map<number, { broker: number; controller: number }>();
  for (const id of ids) ports.set(id, { broker: await freePort(), controller: await freePort() });
  const voters = ids.map((id) => `${id}@127.0.0.1:${ports.get(id)!.controller}`).join(',');
  const replicas = Math.min(3, options.nodes);
  const files = ids.map((id) => {
    const { broker, controller } = ports.get(id)!;
    const nodeDir = join(options.dataDir, `kafka-${id}`);
    rmSync(nodeDir, { recursive: true, force: true });
    mkdirSync(nodeDir, { recursive: true });
    const properties: Properties = {
      'process.roles': 'broker,controller',
      'node.id': id,
      'controller.quorum.voters': voters,
      listeners: `PLAINTEXT://127.0.0.1:${broker},CONTROLLER://127.0.0.1:${controller}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${broker}`,
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      'log.dirs': join(nodeDir, 'logs'),
      'offsets.topic.replication.factor': replicas,
      'transaction.state.log.replication.factor': replicas,
      'transaction.state.log.min.isr': Math.min(2, replicas),
      'share.coordinator.state.topic.replication.factor': replicas,
      'share.coordinator.state.topic.min.isr': Math.min(2, replicas),
      ...options.properties,
    };
    const file = join(nodeDir, 'server.properties');
    writeFileSync(file, propertiesText(properties));
    return { id, file, nodeDir, port: broker };
  });

  const clusterId = (await checkedTool(KAFKA_TOOLS.storage, ['random-uuid'])).stdout.trim();
  const formats = await Promise.all(
    files.map(({ file }) =>
      checkedTool(KAFKA_TOOLS.storage, ['format', '--config', file, '--cluster-id', clusterId]),
    ),
  );

  mkdirSync(options.logDir, { recursive: true });
  const nodes = await Promise.all(
    files.map(async ({ id, file, nodeDir }) => {
      const [command, args] = await javaCommand(KAFKA_TOOLS.kafkaServer, [file], {
        heap: '1g',
        logLevel: 'info',
        jvmArgs: [...BROKER_HEAP, ...KAFKA_JVM_FLAGS],
      });
      const logFile = join(options.logDir, `kafka-${options.nodes}-nodes-${id}.log`);
      const fd = openSync(logFile, 'w');
      const child = spawnTracked(command, args, { stdio: ['ignore', fd, fd] });
      closeSync(fd);
      return { id, child, logFile, nodeDir, startCommand: displayJava(command, args) };
    }),
  );

  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => stopChild(n.child, 30_000)));
    for (const n of nodes) rmSync(n.nodeDir, { recursive: true, force: true });
  };
  try {
    await Promise.all(nodes.map((n) => waitForLine(n.child, n.logFile, READY_LINE)));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    side: 'kafka',
    bootstrap: files.map((f) => `127.0.0.1:${f.port}`).join(','),
    brokerPids: nodes.map((n) => n.child.pid!),
    supportPids: [],
    configText: readFileSync(files[0]!.file, 'utf8'),
    startCommand: [formats[0]!.command, nodes[0]!.startCommand].join('\n'),
    stop,
  };
}

function propertiesText(properties: Properties): string {
  return Object.entries(properties)
    .map(([k, v]) => `${k}=${v}\n`)
    .join('');
}

async function checkedTool(mainClass: string, args: string[]): Promise<ToolRun> {
  const result = await runJavaTool(mainClass, args, { timeoutMs: 180_000 });
  if (result.code !== 0) {
    throw new Error(`${mainClass} ${args.join(' ')} exited ${result.code}\n${result.stdout}${result.stderr}`);
  }
  return result;
}

async function waitForLine(
  child: ReturnType<typeof spawnTracked>,
  logFile: string,
  line: string,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    if (text.includes(line)) return;
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      throw new Error(`Kafka did not start (exit ${child.exitCode}); ${logFile}:\n${text.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
