import { createRequire } from 'node:module';
import type * as KafkaJS from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerCluster } from '../support/broker-cluster.js';
import { runKafkaTool } from '../support/kafka-jars.js';
import { waitUntil } from '../support/wait-until.js';

/**
 * ACLs in a 3-broker cluster: kept in etcd, so one created through any broker is enforced by
 * every broker and survives restarts; with the brokers' principal a super user, replication goes
 * on under the authorizer.
 */
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs') as typeof KafkaJS;

const ACL_COMMAND = 'org.apache.kafka.tools.AclCommand';
let cluster: BrokerCluster;

beforeAll(async () => {
  cluster = await BrokerCluster.start({
    properties: { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer' },
  });
}, 300_000);
afterAll(async () => cluster?.destroy());

async function listOn(nodeId: number): Promise<string> {
  const result = await runKafkaTool(
    ACL_COMMAND,
    ['--bootstrap-server', cluster.broker(nodeId).bootstrap, '--list', '--topic', 'shared'],
    { timeoutMs: 120_000 },
  );
  if (result.code !== 0) throw new Error(`kafka-acls --list exited ${result.code}\n${result.stderr}`);
  return result.stdout;
}

describe('ACLs in a cluster', () => {
  it('replicate to every broker and survive a restart, and replication works under the authorizer', async () => {
    const added = await runKafkaTool(
      ACL_COMMAND,
      [
        '--bootstrap-server',
        cluster.broker(1).bootstrap,
        '--add',
        '--allow-principal',
        'User:alice',
        '--operation',
        'Read',
        '--topic',
        'shared',
      ],
      { timeoutMs: 120_000 },
    );
    expect(added.code).toBe(0);
    const entry = '(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)';
    for (const nodeId of [1, 2, 3]) {
      await waitUntil(async () => (await listOn(nodeId)).includes(entry), `the ACL on broker ${nodeId}`, {
        timeoutMs: 60_000,
        intervalMs: 1000,
      });
    }

    await cluster.restartBroker(3);
    expect(await listOn(3)).toContain(entry);

    // Followers fetch as the brokers' principal, a super user: acks=all produce completes.
    const kafka = new Kafka({
      clientId: 'acl-cluster',
      brokers: cluster.bootstrap.split(','),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    await producer.connect();
    try {
      await admin.createTopics({
        topics: [{ topic: 'replicated', numPartitions: 1, replicationFactor: 3 }],
        waitForLeaders: true,
      });
      const [result] = await producer.send({ topic: 'replicated', acks: -1, messages: [{ value: 'v' }] });
      expect(result!.errorCode).toBe(0);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  }, 300_000);
});
