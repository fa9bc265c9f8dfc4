import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JAVA_PROGRAMS, javaProgramsClasspath } from '../support/java-programs.js';
import { javaCommand } from '../support/kafka-jars.js';
import { LineProcess } from '../support/line-process.js';
import { runCommand } from '../support/run-command.js';
import { tempDir } from '../support/temp-dir.js';
import { waitUntil } from '../support/wait-until.js';
import type { ApiResponse } from './support/api-request.js';
import {
  ControlPlaneProcess,
  isAlive,
  killProcessesUnder,
  processesUnder,
} from './support/control-plane-process.js';

/**
 * The control plane with the local provider, end to end, as an operator uses it: create a
 * three-zone cluster, use it with real clients, scale it out under load, let a volume fill past
 * its target, kill -9 a broker, kill -9 the control plane in the middle of a scale-in, delete.
 * The control plane is its own process (as `npm start` runs it); the cluster's etcd members and
 * brokers are real processes it starts.
 */
const { Kafka, logLevel } = kafkajs;
const GIB = 1024 ** 3;

const state = tempDir('strata-e2e-');
let controlPlane: ControlPlaneProcess;
let classpath: string;
let clusterId: string;
let bootstrap: string;

beforeAll(async () => {
  classpath = await javaProgramsClasspath();
  controlPlane = await ControlPlaneProcess.start(state.path);
});
afterAll(async () => {
  await controlPlane?.kill();
  killProcessesUnder(state.path);
  state.cleanup();
});

function ok(response: ApiResponse, status = 200): ApiResponse {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  return response;
}

async function describeCluster() {
  return ok(await controlPlane.request('GET', `/v1/clusters/${clusterId}`)).body;
}

/** Waits for the cluster to be ACTIVE again with its operation done; every state seen on the way. */
async function untilActive(operationId: string, timeoutMs = 180_000): Promise<string[]> {
  const seen: string[] = [];
  await waitUntil(
    async () => {
      const cluster = await describeCluster();
      if (seen.at(-1) !== cluster.state) seen.push(cluster.state);
      if (cluster.state === 'FAILED') throw new Error(`the cluster failed: ${cluster.stateInfo}`);
      const operation = ok(await controlPlane.request('GET', `/v1/operations/${operationId}`)).body;
      return cluster.state === 'ACTIVE' && operation.state === 'SUCCEEDED';
    },
    `operation ${operationId} to finish`,
    {
      timeoutMs,
      intervalMs: 100,
      describe: () => `states: ${seen.join(' → ')}\n${controlPlane.process.tail(20)}`,
    },
  );
  return seen;
}

/**
 * Why a consumer did not read every acknowledged record: which of them the log itself lacks (read
 * back with kcat) and which only the consumer has not read, with the partitions' offsets and ISRs
 * and the consumer's last lines other than records.
 */
async function unreadRecords(acknowledged: ReadonlySet<string>, consumer: LineProcess): Promise<string> {
  const read = new Set(consumer.lines.filter((l) => l.startsWith('RECORD ')).map((l) => l.split(' ')[3]));
  const log = await runCommand('kcat', ['-b', bootstrap, '-C', '-t', 'orders', '-e', '-q', '-f', '%s\\n'], {
    timeoutMs: 120_000,
  });
  const inLog = new Set(log.stdout.split('\n'));
  const missing = [...acknowledged].filter((v) => !inLog.has(v));
  const unread = [...acknowledged].filter((v) => inLog.has(v) && !read.has(v));
  const admin = kafka().admin();
  let partitions: unknown;
  try {
    await admin.connect();
    partitions = {
      offsets: await admin.fetchTopicOffsets('orders'),
      metadata: (await admin.fetchTopicMetadata({ topics: ['orders'] })).topics[0]?.partitions,
    };
  } catch (error) {
    partitions = String(error);
  } finally {
    await admin.disconnect();
  }
  return [
    `acknowledged ${acknowledged.size}, read by the consumer ${read.size}, in the log ${inLog.size - 1}`,
    `missing from the log: ${missing.length} ${missing.slice(0, 20).join(' ')}`,
    `in the log but not read: ${unread.length} ${unread.slice(0, 20).join(' ')}`,
    `kcat: ${log.stderr.slice(-2000)}`,
    `partitions: ${JSON.stringify(partitions)}`,
    `control plane:\n${controlPlane.process.tail(80)}`,
    `consumer threads:\n${(await runCommand('jstack', [String(consumer.pid)], { timeoutMs: 60_000 })).stdout}`,
    `consumer log:\n${consumer.stderr.slice(-20_000)}`,
    `consumer:\n${consumer.lines
      .filter((l) => !l.startsWith('RECORD '))
      .slice(-30)
      .join('\n')}`,
  ].join('\n');
}

function kafka() {
  return new Kafka({ brokers: bootstrap.split(','), clientId: 'e2e', logLevel: logLevel.NOTHING });
}

async function healOperations(): Promise<string[]> {
  const operations = ok(
    await controlPlane.request('GET', `/v1/clusters/${clusterId}/operations?maxResults=100`),
  ).body.operations as { id: string; type: string }[];
  return operations.filter((o) => o.type === 'HEAL_CLUSTER').map((o) => o.id);
}

/** Every message of the topic greetings, read from the beginning with kcat. */
async function readGreetings(): Promise<string[]> {
  const read = await runCommand('kcat', [
    '-b',
    bootstrap,
    '-C',
    '-t',
    'greetings',
    '-o',
    'beginning',
    '-e',
    '-q',
  ]);
  return read.stdout.trim().split('\n');
}

function brokerPid(brokerId: number): number {
  return Number(readFileSync(join(state.path, 'clusters', clusterId, `broker-${brokerId}`, 'pid'), 'utf8'));
}

/** Replicas and leaders per broker over every partition, incl. __consumer_offsets. */
async function placement(): Promise<{ replicas: Map<number, number>; leaders: Map<number, number> }> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const topics = await admin.listTopics();
    const metadata = await admin.fetchTopicMetadata({ topics });
    const cluster = await admin.describeCluster();
    const replicas = new Map(cluster.brokers.map((b) => [b.nodeId, 0]));
    const leaders = new Map(cluster.brokers.map((b) => [b.nodeId, 0]));
    for (const topic of metadata.topics) {
      for (const p of topic.partitions) {
        for (const id of p.replicas) replicas.set(id, (replicas.get(id) ?? 0) + 1);
        leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1);
      }
    }
    return { replicas, leaders };
  } finally {
    await admin.disconnect();
  }
}

const spread = (counts: Map<number, number>) => Math.max(...counts.values()) - Math.min(...counts.values());

describe('a three-zone cluster on the local provider', () => {
  it('is ACTIVE in under 15 s, with three brokers in three zones', async () => {
    const started = Date.now();
    const created = ok(
      await controlPlane.request('POST', '/v1/clusters', {
        body: {
          name: 'e2e',
          zones: ['az-a', 'az-b', 'az-c'],
          brokersPerZone: 1,
          storage: {
            volumeSizeGiB: 1,
            autoExpansion: { enabled: true, targetUtilizationPercent: 10, maxVolumeSizeGiB: 3, cooldown: 0 },
          },
        },
      }),
      202,
    );
    clusterId = created.body.cluster.id;
    const states = await untilActive(created.body.operation.id, 60_000);
    const elapsed = Date.now() - started;
    expect(states[0]).toBe('CREATING');
    expect(elapsed).toBeLessThan(15_000);

    const cluster = await describeCluster();
    expect(cluster.numberOfBrokerNodes).toBe(3);
    for (const zone of ['az-a', 'az-b', 'az-c']) {
      const roles = cluster.nodesByZone[zone].map(
        (n: { role: string; state: string }) => `${n.role}:${n.state}`,
      );
      expect(roles.sort()).toEqual(['broker:RUNNING', 'coordinator:RUNNING']);
    }
    bootstrap = ok(await controlPlane.request('GET', `/v1/clusters/${clusterId}/bootstrap-brokers`)).body
      .bootstrapBrokerString;
    expect(bootstrap.split(',')).toHaveLength(3);
    const admin = kafka().admin();
    await admin.connect();
    const described = await admin.describeCluster();
    await admin.disconnect();
    expect(described.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
  });

  it('serves kcat and kafkajs through the bootstrap brokers', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => `hello-${i}`);
    const produced = await runCommand('kcat', ['-b', bootstrap, '-P', '-t', 'greetings', '-X', 'acks=all'], {
      input: `${lines.join('\n')}\n`,
    });
    expect(produced.code, produced.stderr).toBe(0);
    const consumer = kafka().consumer({ groupId: 'e2e-greeters' });
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: 'greetings', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitUntil(() => seen.length >= lines.length, 'kafkajs to read what kcat wrote', {
      timeoutMs: 60_000,
    });
    await consumer.disconnect();
    expect(seen.sort()).toEqual([...lines].sort());
  });

  it(
    'scales to 6 brokers under a producer and a consumer: nothing lost, partitions and leaders balanced',
    { timeout: 300_000 },
    async () => {
      const admin = kafka().admin();
      await admin.connect();
      await admin.createTopics({
        topics: [{ topic: 'orders', numPartitions: 12, replicationFactor: 3 }],
        waitForLeaders: true,
      });
      await admin.disconnect();

      const [java, producerArgs] = await javaCommand(
        JAVA_PROGRAMS.idempotentProducer,
        [bootstrap, 'orders', '-1', 'order', 'linger.ms=5', 'metadata.max.age.ms=1000'],
        { classpath },
      );
      const producer = new LineProcess(java, producerArgs);
      const [, consumerArgs] = await javaCommand(
        JAVA_PROGRAMS.subscribeConsumer,
        [bootstrap, 'e2e-order-readers', 'orders', '-1', '900000', 'metadata.max.age.ms=1000'],
        { classpath, logLevel: 'info' },
      );
      // What the consumer read, kept as it prints: the wait below is checked on every chunk of
      // output, so it must not scan every line (a test busy scanning reads the consumer's output
      // too slowly, and the consumer blocks writing it).
      const read = new Set<string>();
      let unread: Set<string> | undefined;
      const consumer = new LineProcess(
        java,
        consumerArgs,
        {},
        {
          onLine: (line) => {
            if (!line.startsWith('RECORD ')) return;
            const value = line.split(' ')[3] ?? '';
            read.add(value);
            unread?.delete(value);
          },
        },
      );
      try {
        await producer.waitFor(
          () => producer.count('ACK ') >= 500,
          120_000,
          'acknowledgements before scaling',
        );
        const version = (await describeCluster()).currentVersion;
        const scaling = ok(
          await controlPlane.request('PUT', `/v1/clusters/${clusterId}/broker-count`, {
            body: { currentVersion: version, targetBrokerCount: 6 },
          }),
          202,
        );
        const states = await untilActive(scaling.body.operation.id);
        expect(states).toContain('UPDATING');
        const acked = producer.count('ACK ');
        await producer.waitFor(
          () => producer.count('ACK ') >= acked + 500,
          120_000,
          'acknowledgements after scaling',
        );
      } finally {
        await producer.stop();
      }
      try {
        const acknowledged = new Set(
          producer.lines.filter((l) => l.startsWith('ACK ')).map((l) => l.split(' ')[3] ?? ''),
        );
        unread = new Set([...acknowledged].filter((v) => !read.has(v)));
        await consumer
          .waitFor(() => unread!.size === 0, 120_000, 'the consumer to read every acknowledged record')
          .catch(async (error: Error) => {
            throw new Error(`${error.message}\n${await unreadRecords(acknowledged, consumer)}`);
          });
        expect([...acknowledged].filter((v) => !read.has(v))).toEqual([]);
        expect(producer.lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
      } finally {
        await consumer.terminate();
      }

      const cluster = await describeCluster();
      expect(cluster.numberOfBrokerNodes).toBe(6);
      const { replicas, leaders } = await placement();
      expect([...replicas.keys()].sort()).toEqual([1, 2, 3, 4, 5, 6]);
      expect(spread(replicas), JSON.stringify([...replicas])).toBeLessThanOrEqual(1);
      expect(spread(leaders), JSON.stringify([...leaders])).toBeLessThanOrEqual(1);
    },
  );

  it('grows a volume filled past its target, with no client error', async () => {
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        {
          topic: 'filling',
          replicaAssignment: [{ partition: 0, replicas: [1] }],
          configEntries: [{ name: 'min.insync.replicas', value: '1' }],
        },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();
    const producer = kafka().producer();
    await producer.connect();
    const chunk = Array.from({ length: 10 }, () => ({ value: Buffer.alloc(100 * 1024, 'x') }));
    const expansionOf = async () => {
      const storage = (await describeCluster()).brokerStorage.find(
        (s: { brokerId: number }) => s.brokerId === 1,
      );
      return storage.volumeSizeGiB as number;
    };
    try {
      // 10 % of a 1 GiB volume is about 107 MB: write 130 MB to broker 1's partition.
      for (let i = 0; i < 130; i++) await producer.send({ topic: 'filling', acks: -1, messages: chunk });
      await waitUntil(async () => (await expansionOf()) === 2, 'broker 1 volume to grow to 2 GiB', {
        timeoutMs: 60_000,
      });
      // The broker enforces the new size at once; writes go on with no error.
      for (let i = 0; i < 20; i++) await producer.send({ topic: 'filling', acks: -1, messages: chunk });
    } finally {
      await producer.disconnect();
    }
    const cluster = await describeCluster();
    const grown = cluster.brokerStorage.find((s: { brokerId: number }) => s.brokerId === 1);
    expect(grown.lastExpandedAt).not.toBeNull();
    // The broker reports the new capacity (the control plane's latest sample of it).
    await waitUntil(
      async () =>
        (await describeCluster()).brokerStorage.find((s: { brokerId: number }) => s.brokerId === 1)
          .capacityBytes ===
        2 * GIB,
      'broker 1 to report a 2 GiB volume',
      { timeoutMs: 30_000 },
    );
    const operations = ok(await controlPlane.request('GET', `/v1/clusters/${clusterId}/operations`)).body
      .operations;
    const expansion = operations.find((o: { type: string }) => o.type === 'EXPAND_STORAGE');
    expect(expansion).toMatchObject({
      state: 'SUCCEEDED',
      targetInfo: { volumes: [{ brokerId: 1, sizeGiB: 2 }] },
    });
    // The other brokers hold little: their volumes stay as they were.
    expect(
      cluster.brokerStorage
        .filter((s: { volumeSizeGiB: number }) => s.volumeSizeGiB !== 1)
        .map((s: { brokerId: number }) => s.brokerId),
    ).toEqual([1]);
  });

  it('replaces a broker killed with -9: HEALING, then ACTIVE with the same id and data', async () => {
    const before = brokerPid(2);
    // Only a heal started by this kill counts (an earlier one may be on record).
    const healsBefore = await healOperations();
    process.kill(before, 'SIGKILL');
    let healId: string | undefined;
    await waitUntil(
      async () => {
        healId = (await healOperations()).find((id) => !healsBefore.includes(id));
        return healId !== undefined;
      },
      'a HEAL_CLUSTER operation',
      { timeoutMs: 60_000 },
    );
    const states = await untilActive(healId!);
    expect(states).toContain('HEALING');
    expect(states.at(-1)).toBe('ACTIVE');
    const heal = ok(await controlPlane.request('GET', `/v1/operations/${healId}`)).body;
    expect(heal.sourceInfo).toEqual({ failedNodes: ['broker 2'] });
    expect(brokerPid(2)).not.toBe(before);

    // Broker 2 is back with its data: every greeting is still there.
    expect((await readGreetings()).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `hello-${i}`).sort());
  });

  it('replaces a coordinator killed with -9, on its own data', async () => {
    const pidFile = join(state.path, 'clusters', clusterId, 'coordinator-1', 'pid');
    const before = Number(readFileSync(pidFile, 'utf8'));
    const healsBefore = await healOperations();
    process.kill(before, 'SIGKILL');
    let healId: string | undefined;
    await waitUntil(
      async () => {
        healId = (await healOperations()).find((id) => !healsBefore.includes(id));
        return healId !== undefined;
      },
      'a second HEAL_CLUSTER operation',
      { timeoutMs: 60_000 },
    );
    await untilActive(healId!);
    const heal = ok(await controlPlane.request('GET', `/v1/operations/${healId}`)).body;
    expect(heal.sourceInfo).toEqual({ failedNodes: ['coordinator 1'] });
    expect(Number(readFileSync(pidFile, 'utf8'))).not.toBe(before);
    // The quorum took the member back: metadata changes work again through it.
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'after-heal', numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
  });

  it('reboots one broker: REBOOTING_BROKER, then ACTIVE, its leaderships handed over first', async () => {
    const before = brokerPid(3);
    const rebooting = ok(
      await controlPlane.request('POST', `/v1/clusters/${clusterId}/reboot-broker`, {
        body: { brokerId: 3 },
      }),
      202,
    );
    expect(rebooting.body.cluster.state).toBe('REBOOTING_BROKER');
    await untilActive(rebooting.body.operation.id);
    expect(brokerPid(3)).not.toBe(before);
    const log = readFileSync(join(state.path, 'clusters', clusterId, 'broker-3', 'process.log'), 'utf8');
    expect(log).toMatch(/controlled shutdown/i);
    expect(await readGreetings()).toHaveLength(50);
  });

  it('refuses a scale-in below the replication factor of a topic', async () => {
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: 'wide', numPartitions: 1, replicationFactor: 6 }],
      waitForLeaders: true,
    });
    const version = (await describeCluster()).currentVersion;
    const refused = await controlPlane.request('PUT', `/v1/clusters/${clusterId}/broker-count`, {
      body: { currentVersion: version, targetBrokerCount: 3 },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([
      { field: 'targetBrokerCount', rule: expect.stringMatching(/6 replicas per partition/) },
    ]);
    expect((await describeCluster()).currentVersion).toBe(version);
    await admin.deleteTopics({ topics: ['wide'] });
    await waitUntil(async () => !(await admin.listTopics()).includes('wide'), 'topic wide to go');
    await admin.disconnect();
  });

  it('finishes a scale-in after the control plane is killed with -9 in the middle of it', async () => {
    const version = (await describeCluster()).currentVersion;
    const leaving = [4, 5, 6].map((id) => brokerPid(id));
    // Broker 6 paused: moves off it wait for its partitions' leadership to fail over, which holds
    // the operation in its first step long enough to crash the control plane there.
    process.kill(leaving[2]!, 'SIGSTOP');
    let operationId: string;
    try {
      const scaling = ok(
        await controlPlane.request('PUT', `/v1/clusters/${clusterId}/broker-count`, {
          body: { currentVersion: version, targetBrokerCount: 3 },
        }),
        202,
      );
      operationId = scaling.body.operation.id;
      await waitUntil(
        async () => {
          const operation = ok(await controlPlane.request('GET', `/v1/operations/${operationId}`)).body;
          return operation.steps[0].status === 'RUNNING';
        },
        'the scale-in to be under way',
        { timeoutMs: 60_000, intervalMs: 50 },
      );
      const running = ok(await controlPlane.request('GET', `/v1/operations/${operationId}`)).body;
      expect(running.state).toBe('RUNNING');
      controlPlane = await controlPlane.crashAndRestart();
    } finally {
      process.kill(leaving[2]!, 'SIGCONT');
    }
    const restartedAt = Date.now();
    await untilActive(operationId);
    const operation = ok(await controlPlane.request('GET', `/v1/operations/${operationId}`)).body;
    expect(operation.steps.map((s: { status: string }) => s.status)).toEqual(['DONE', 'DONE', 'DONE']);
    // The steps after the crash ran in the new process.
    expect(Date.parse(operation.steps.at(-1).finishedAt)).toBeGreaterThan(restartedAt);

    const cluster = await describeCluster();
    expect(cluster.numberOfBrokerNodes).toBe(3);
    expect(cluster.brokerStorage.map((s: { brokerId: number }) => s.brokerId)).toEqual([1, 2, 3]);
    for (const pid of leaving) expect(isAlive(pid)).toBe(false);
    for (const id of [4, 5, 6])
      expect(existsSync(join(state.path, 'clusters', clusterId, `broker-${id}`))).toBe(false);
    bootstrap = ok(await controlPlane.request('GET', `/v1/clusters/${clusterId}/bootstrap-brokers`)).body
      .bootstrapBrokerString;
    const { replicas } = await placement();
    expect([...replicas.keys()].sort()).toEqual([1, 2, 3]);
    expect(await readGreetings()).toHaveLength(50);
  });

  it('deletes the cluster: no process and no data left', async () => {
    const deleting = ok(await controlPlane.request('DELETE', `/v1/clusters/${clusterId}`), 202);
    expect(deleting.body.cluster.state).toBe('DELETING');
    await waitUntil(
      async () => (await controlPlane.request('GET', `/v1/clusters/${clusterId}`)).status === 404,
      'the cluster to go',
      {
        timeoutMs: 120_000,
      },
    );
    const clusterDir = join(state.path, 'clusters', clusterId);
    expect(processesUnder(clusterDir)).toEqual([]);
    expect(existsSync(clusterDir)).toBe(false);
  });
});
