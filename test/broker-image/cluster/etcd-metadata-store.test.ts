import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdMetadataStore } from '../../../broker-image/src/cluster/etcd-metadata-store.js';
import type { MetadataChange } from '../../../broker-image/src/cluster/metadata-store.js';
import type { BrokerRegistration } from '../../../broker-image/src/cluster/metadata.js';
import type { AclBinding } from '../../../broker-image/src/security/acl.js';
import { EtcdCluster } from '../../support/etcd-cluster.js';
import { waitUntil } from '../../support/wait-until.js';

/**
 * The etcd metadata store against a real etcd member: two stores of one cluster id stand for two
 * brokers, and see each other's writes through the watch. Each test has a cluster id of its own.
 */
let etcd: EtcdCluster;
const opened: EtcdMetadataStore[] = [];

beforeAll(async () => {
  etcd = await EtcdCluster.start(1);
});
afterAll(async () => {
  for (const store of opened) await store.close();
  await etcd?.destroy();
});

let clusters = 0;
async function stores(count: number): Promise<EtcdMetadataStore[]> {
  const clusterId = `store-test-${++clusters}`;
  const out: EtcdMetadataStore[] = [];
  for (let nodeId = 1; nodeId <= count; nodeId++) {
    const store = new EtcdMetadataStore({
      endpoints: etcd.endpoints.split(','),
      clusterId,
      nodeId,
      leaseTtlSeconds: 5,
      logger: pino({ level: 'silent' }),
    });
    await store.start();
    opened.push(store);
    out.push(store);
  }
  return out;
}

function registration(nodeId: number): BrokerRegistration {
  return {
    nodeId,
    rack: `az-${nodeId}`,
    endpoints: [
      { listener: 'PLAINTEXT', host: '127.0.0.1', port: 9000 + nodeId, securityProtocol: 'PLAINTEXT' },
    ],
  };
}

const newTopic = (
  name: string,
  assignment: number[][] = [
    [1, 2],
    [2, 1],
  ],
) => ({
  name,
  assignment,
  configs: new Map([['cleanup.policy', 'compact']]),
});

describe('EtcdMetadataStore', () => {
  it("creates a topic that every broker's copy then holds, with its partitions and configs", async () => {
    const [a, b] = await stores(2);
    const changes: MetadataChange[] = [];
    b!.subscribe((change) => changes.push(change));
    const created = await a!.createTopic(newTopic('orders'));
    // The writer's copy has caught up when the write resolves.
    expect(a!.topic('orders')).toEqual(created);
    expect(created.partitions.map((p) => [p.replicas, p.isr, p.leader, p.leaderEpoch])).toEqual([
      [[1, 2], [1, 2], 1, 0],
      [[2, 1], [2, 1], 2, 0],
    ]);
    expect(created.configs.get('cleanup.policy')).toBe('compact');
    expect(created.topicId).toHaveLength(16);
    await waitUntil(() => b!.topic('orders') !== undefined, 'the other broker to see the topic');
    expect(b!.topic('orders')).toEqual(created);
    await waitUntil(() => changes.some((c) => c.kind === 'topic-created'), 'a topic-created change');
    expect(changes.find((c) => c.kind === 'topic-created')).toMatchObject({ topic: { name: 'orders' } });
  });

  it('refuses a topic that exists and deletes one that does, partitions included', async () => {
    const [a, b] = await stores(2);
    await a!.createTopic(newTopic('once'));
    await expect(b!.createTopic(newTopic('once'))).rejects.toMatchObject({ code: 'TOPIC_ALREADY_EXISTS' });
    await expect(a!.deleteTopic('never')).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await b!.deleteTopic('once');
    expect(b!.topic('once')).toBeUndefined();
    await waitUntil(() => a!.topic('once') === undefined, 'the deletion to reach the other broker');
    // A topic of the same name created again starts from partition 0 with a new id.
    const again = await a!.createTopic(newTopic('once', [[1]]));
    expect(again.partitions).toHaveLength(1);
  });

  it('adds partitions after the existing ones, and refuses a topic that does not exist', async () => {
    const [a] = await stores(1);
    await a!.createTopic(newTopic('grows', [[1]]));
    const grown = await a!.createPartitions('grows', [[2], [1]]);
    expect(grown.partitions.map((p) => [p.partition, p.leader])).toEqual([
      [0, 1],
      [1, 2],
      [2, 1],
    ]);
    await expect(a!.createPartitions('absent', [[1]])).rejects.toMatchObject({
      code: 'UNKNOWN_TOPIC_OR_PARTITION',
    });
  });

  it("replaces a topic's configs", async () => {
    const [a, b] = await stores(2);
    await a!.createTopic(newTopic('configured'));
    // A broker changes what its own copy holds.
    await waitUntil(() => b!.topic('configured') !== undefined, 'the topic on b');
    await b!.setTopicConfigs('configured', new Map([['retention.ms', '1000']]));
    await waitUntil(
      () => a!.topic('configured')?.configs.get('retention.ms') === '1000',
      'the new configs to reach the other broker',
    );
    expect([...a!.topic('configured')!.configs]).toEqual([['retention.ms', '1000']]);
    await expect(a!.setTopicConfigs('absent', new Map())).rejects.toMatchObject({
      code: 'UNKNOWN_TOPIC_OR_PARTITION',
    });
  });

  it('changes a partition only at the partition epoch it was read at, bumping the epoch', async () => {
    const [a, b] = await stores(2);
    await a!.createTopic(newTopic('isr'));
    await waitUntil(() => b!.topic('isr') !== undefined, 'the topic on both brokers');
    const state = a!.topic('isr')!.partitions[0]!;
    const shrunk = { ...state, isr: [1] };
    const grownAgain = { ...state, isr: [1, 2], leaderEpoch: 1 };
    // Both read epoch 0; only one of the two writes can win.
    const results = await Promise.all([
      a!.updatePartition('isr', shrunk, 0),
      b!.updatePartition('isr', grownAgain, 0),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    await waitUntil(() => a!.topic('isr')!.partitions[0]!.partitionEpoch === 1, 'epoch 1 on a');
    expect(await a!.updatePartition('isr', shrunk, 0)).toBe(false);
    const now = a!.topic('isr')!.partitions[0]!;
    expect(await a!.updatePartition('isr', { ...now, leader: 2 }, 1)).toBe(true);
    expect(a!.topic('isr')!.partitions[0]).toMatchObject({ leader: 2, partitionEpoch: 2 });
    expect(await a!.updatePartition('absent', now, 1)).toBe(false);
  });

  it('hands out producer id blocks that never overlap, even when brokers ask at once', async () => {
    const [a, b] = await stores(2);
    const firsts = await Promise.all([
      a!.allocateProducerIds(1000),
      b!.allocateProducerIds(1000),
      a!.allocateProducerIds(1000),
      b!.allocateProducerIds(1000),
    ]);
    expect([...firsts].sort((x, y) => x - y)).toEqual([0, 1000, 2000, 3000]);
  });

  it('registers brokers under leases, elects the first as controller, and forgets a broker that closes', async () => {
    const [a, b] = await stores(2);
    await a!.registerBroker(registration(1));
    expect(a!.controllerId()).toBe(1);
    await b!.registerBroker(registration(2));
    await waitUntil(() => a!.brokers().length === 2, 'both registrations on a');
    expect(b!.controllerId()).toBe(1);
    const [one, two] = b!.brokers();
    expect(one).toMatchObject({ nodeId: 1, rack: 'az-1', endpoints: [{ port: 9001 }] });
    expect(two!.brokerEpoch).toBeGreaterThan(one!.brokerEpoch!);
    await a!.close();
    // Revoking the lease removes the registration and the controller key at once.
    await waitUntil(() => b!.brokers().length === 1, 'broker 1 to leave');
    expect(b!.controllerId()).toBe(-1);
    await b!.campaign();
    expect(b!.controllerId()).toBe(2);
  });

  it('stores ACLs once each and deletes them by id', async () => {
    const [a, b] = await stores(2);
    const read: AclBinding = {
      resourceType: 2,
      resourceName: 'orders',
      patternType: 3,
      principal: 'User:alice',
      host: '*',
      operation: 3,
      permissionType: 3,
    };
    const write = { ...read, operation: 4 };
    await a!.createAcls([read, write, read]);
    await a!.createAcls([read]);
    expect(a!.acls().map((acl) => acl.binding)).toEqual(expect.arrayContaining([read, write]));
    expect(a!.acls()).toHaveLength(2);
    // The same list until the ACLs change.
    expect(a!.acls()).toBe(a!.acls());
    await waitUntil(() => b!.acls().length === 2, 'the ACLs on b');
    const readId = b!.acls().find((acl) => acl.binding.operation === 3)!.id;
    await b!.deleteAcls([readId, 'no-such-id']);
    await waitUntil(() => a!.acls().length === 1, 'the deletion on a');
    expect(a!.acls()[0]!.binding).toEqual(write);
  });

  it('upserts and deletes SCRAM credentials in one change', async () => {
    const [a, b] = await stores(2);
    const credential = (byte: number) => ({
      salt: Buffer.alloc(16, byte),
      iterations: 4096,
      storedKey: Buffer.alloc(32, byte + 1),
      serverKey: Buffer.alloc(32, byte + 2),
    });
    await a!.alterScramCredentials(
      [
        { user: 'alice', mechanism: 'SCRAM-SHA-256', credential: credential(1) },
        { user: 'bob/ops', mechanism: 'SCRAM-SHA-512', credential: credential(2) },
      ],
      [],
    );
    await waitUntil(() => b!.scramCredentials().length === 2, 'the credentials on b');
    expect(b!.scramCredential('SCRAM-SHA-512', 'bob/ops')).toEqual(credential(2));
    expect(b!.scramCredential('SCRAM-SHA-512', 'alice')).toBeUndefined();
    await b!.alterScramCredentials(
      [{ user: 'alice', mechanism: 'SCRAM-SHA-256', credential: credential(5) }],
      [{ user: 'bob/ops', mechanism: 'SCRAM-SHA-512' }],
    );
    await waitUntil(() => a!.scramCredentials().length === 1, 'the deletion on a');
    expect(a!.scramCredential('SCRAM-SHA-256', 'alice')).toEqual(credential(5));
  });

  it('loads what is already stored when it starts', async () => {
    const [a] = await stores(1);
    await a!.createTopic(newTopic('kept', [[1], [1], [1]]));
    const later = new EtcdMetadataStore({
      endpoints: etcd.endpoints.split(','),
      clusterId: a!.clusterId,
      nodeId: 9,
      leaseTtlSeconds: 5,
      logger: pino({ level: 'silent' }),
    });
    opened.push(later);
    await later.start();
    expect(later.topic('kept')).toEqual(a!.topic('kept'));
  });
});
