import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type * as KafkaJS from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.js';
import { KAFKA_TOOLS, runKafkaTool } from '../support/kafka-jars.js';

/**
 * ACLs for real SCRAM users: on a SASL_PLAINTEXT listener each client acts as the user it
 * authenticated as, so an ACL for User:alice lets alice, and only her, do what it names, while
 * the super user admin may do everything.
 */
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs') as typeof KafkaJS;

const SCRAM_MODULE = 'org.apache.kafka.common.security.scram.ScramLoginModule';
const ACL_COMMAND = 'org.apache.kafka.tools.AclCommand';
const ADMIN = { username: 'admin', password: 'admin-secret' };
const ALICE = { username: 'alice', password: 'alice-secret' };

const jaas = (options: Record<string, string>): string =>
  `${SCRAM_MODULE} required ${Object.entries(options)
    .map(([k, v]) => `${k}="${v}"`)
    .join(' ')};`;

let broker: BrokerProcess;

beforeAll(async () => {
  broker = await BrokerProcess.start({
    properties: {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': jaas({ user_admin: ADMIN.password }),
      'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': 'User:admin',
    },
  });
}, 120_000);
afterAll(async () => broker?.destroy());

function commandConfig(user: { username: string; password: string }): string {
  const file = join(broker.dataDir, `${user.username}.properties`);
  writeFileSync(
    file,
    [
      'security.protocol=SASL_PLAINTEXT',
      'sasl.mechanism=SCRAM-SHA-512',
      `sasl.jaas.config=${jaas(user)}`,
    ].join('\n') + '\n',
  );
  return file;
}

async function tool(main: string, user: typeof ADMIN, args: string[]) {
  const result = await runKafkaTool(
    main,
    ['--bootstrap-server', broker.bootstrap, '--command-config', commandConfig(user), ...args],
    { timeoutMs: 120_000 },
  );
  return { code: result.code, out: result.stdout + result.stderr };
}

function kafkajs(user: typeof ADMIN): KafkaJS.Kafka {
  return new Kafka({
    clientId: `acl-${user.username}`,
    brokers: [broker.bootstrap],
    sasl: { mechanism: 'scram-sha-512', ...user },
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
}

async function errorType(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    const e = error as { type?: string; cause?: { type?: string }; errors?: { type?: string }[] };
    return e.type ?? e.cause?.type ?? e.errors?.[0]?.type ?? String(error);
  }
}

describe('ACLs for SCRAM users', () => {
  it('let alice do what her ACLs name, and the super user everything', async () => {
    const user = await tool(KAFKA_TOOLS.configs, ADMIN, [
      '--alter',
      '--add-config',
      `SCRAM-SHA-512=[password=${ALICE.password}]`,
      '--entity-type',
      'users',
      '--entity-name',
      'alice',
    ]);
    expect(user.out).toMatch(/Completed updating config for user alice/);
    const added = await tool(ACL_COMMAND, ADMIN, [
      '--add',
      '--allow-principal',
      'User:alice',
      '--operation',
      'Read',
      '--operation',
      'Write',
      '--topic',
      'alice-',
      '--resource-pattern-type',
      'prefixed',
    ]);
    expect(added.code).toBe(0);

    const admin = kafkajs(ADMIN).admin();
    await admin.connect();
    await admin.createTopics({
      topics: ['alice-t', 'other-t'].map((topic) => ({ topic, numPartitions: 1 })),
    });
    const adminProducer = kafkajs(ADMIN).producer();
    await adminProducer.connect();
    await adminProducer.send({ topic: 'other-t', messages: [{ value: 'by admin' }] });
    await adminProducer.disconnect();
    await admin.disconnect();

    const alice = kafkajs(ALICE);
    const aliceAdmin = alice.admin();
    await aliceAdmin.connect();
    const producer = alice.producer();
    await producer.connect();
    try {
      await producer.send({ topic: 'alice-t', messages: [{ value: 'by alice' }] });
      expect(await errorType(producer.send({ topic: 'other-t', messages: [{ value: 'no' }] }))).toBe(
        'TOPIC_AUTHORIZATION_FAILED',
      );
      const { topics } = await aliceAdmin.fetchTopicMetadata();
      expect(topics.map((t) => t.name)).toEqual(['alice-t']);
      expect(await errorType(aliceAdmin.createTopics({ topics: [{ topic: 'alice-new' }] }))).toBe(
        'TOPIC_AUTHORIZATION_FAILED',
      );
    } finally {
      await producer.disconnect();
      await aliceAdmin.disconnect();
    }

    // Alice may not manage ACLs (no Describe or Alter on the cluster).
    const listed = await tool(ACL_COMMAND, ALICE, ['--list']);
    expect(listed.out).toMatch(/ClusterAuthorizationException/);
    const asAdmin = await tool(ACL_COMMAND, ADMIN, ['--list']);
    expect(asAdmin.out).toContain('(principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW)');
  }, 300_000);
});
