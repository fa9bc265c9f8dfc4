import { createRequire } from 'node:module';
import type * as KafkaJS from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.js';
import { KAFKA_TOOLS, runKafkaTool } from '../support/kafka-jars.js';
import { runCommand } from '../support/run-command.js';

/**
 * ACLs and the StandardAuthorizer with real clients: kafka-acls, kafkajs, kcat and Kafka's Java
 * tools. Without authentication every client is User:ANONYMOUS, so the broker is started with
 * ANONYMOUS a super user to set ACLs up, then again (same data dir: the ACLs persist) without,
 * so the ACLs apply to ANONYMOUS.
 */
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs') as typeof KafkaJS;

const ACL_COMMAND = 'org.apache.kafka.tools.AclCommand';
const AUTHORIZER = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';
const ANON = 'User:ANONYMOUS';

let broker: BrokerProcess;

async function startBroker(properties: Record<string, string | boolean>, from?: BrokerProcess) {
  return BrokerProcess.start({
    properties: { 'group.initial.rebalance.delay.ms': '0', ...properties },
    ...(from ? { dataDir: from.dataDir, port: from.port } : {}),
  });
}

async function restartWith(properties: Record<string, string | boolean>): Promise<void> {
  await broker.stop();
  broker = await startBroker({ 'authorizer.class.name': AUTHORIZER, ...properties }, broker);
}

async function acls(args: string[]): Promise<{ code: number; out: string }> {
  const result = await runKafkaTool(ACL_COMMAND, ['--bootstrap-server', broker.bootstrap, ...args], {
    timeoutMs: 120_000,
  });
  return { code: result.code, out: result.stdout + result.stderr };
}

async function aclsOk(args: string[]): Promise<string> {
  const { code, out } = await acls(args);
  if (code !== 0) throw new Error(`kafka-acls ${args.join(' ')} exited ${code}\n${out}`);
  return out;
}

function kafkajs(): KafkaJS.Kafka {
  return new Kafka({
    clientId: 'acl-test',
    brokers: [broker.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
}

/** The Kafka error type kafkajs reports (on the error, or the protocol error it wraps). */
async function kafkajsErrorType(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    const e = error as { type?: string; cause?: { type?: string }; errors?: { type?: string }[] };
    return e.type ?? e.cause?.type ?? e.errors?.[0]?.type ?? String(error);
  }
}

async function kcat(args: string[], input?: string) {
  return runCommand('kcat', ['-b', broker.bootstrap, ...args], { input, timeoutMs: 60_000 });
}

afterAll(async () => broker?.destroy());

describe('without an authorizer', () => {
  it("answers the ACL APIs with SECURITY_DISABLED, and kafka-acls prints Kafka's message", async () => {
    broker = await startBroker({});
    try {
      const listed = await acls(['--list']);
      expect(listed.out).toMatch(/SecurityDisabledException: No Authorizer is configured/);
      const added = await acls([
        '--add',
        '--allow-principal',
        'User:alice',
        '--operation',
        'Read',
        '--topic',
        't',
      ]);
      expect(added.out).toMatch(/No Authorizer is configured/);
    } finally {
      await broker.destroy();
    }
  });
});

describe('with the StandardAuthorizer', () => {
  beforeAll(async () => {
    broker = await startBroker({ 'authorizer.class.name': AUTHORIZER, 'super.users': `User:admin;${ANON}` });
  });

  it('kafka-acls adds, lists and removes literal and prefixed ACLs of every resource type', async () => {
    await aclsOk(['--add', '--allow-principal', 'User:alice', '--operation', 'Read', '--topic', 'listed-t']);
    await aclsOk([
      '--add',
      '--allow-principal',
      'User:bob',
      '--operation',
      'Write',
      '--operation',
      'Describe',
      '--topic',
      'listed-',
      '--resource-pattern-type',
      'prefixed',
    ]);
    await aclsOk([
      '--add',
      '--deny-principal',
      'User:mallory',
      '--allow-host',
      '*',
      '--deny-host',
      '10.0.0.9',
      '--operation',
      'All',
      '--group',
      'g1',
    ]);
    await aclsOk(['--add', '--allow-principal', 'User:alice', '--operation', 'ClusterAction', '--cluster']);
    await aclsOk([
      '--add',
      '--allow-principal',
      'User:alice',
      '--operation',
      'Write',
      '--transactional-id',
      'tx-1',
    ]);

    const all = await aclsOk(['--list']);
    expect(all).toContain('ResourcePattern(resourceType=TOPIC, name=listed-t, patternType=LITERAL)');
    expect(all).toContain('(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)');
    expect(all).toContain('ResourcePattern(resourceType=TOPIC, name=listed-, patternType=PREFIXED)');
    expect(all).toContain('(principal=User:bob, host=*, operation=WRITE, permissionType=ALLOW)');
    expect(all).toContain('(principal=User:bob, host=*, operation=DESCRIBE, permissionType=ALLOW)');
    expect(all).toContain('ResourcePattern(resourceType=GROUP, name=g1, patternType=LITERAL)');
    expect(all).toContain('(principal=User:mallory, host=10.0.0.9, operation=ALL, permissionType=DENY)');
    expect(all).toContain('ResourcePattern(resourceType=CLUSTER, name=kafka-cluster, patternType=LITERAL)');
    expect(all).toContain('ResourcePattern(resourceType=TRANSACTIONAL_ID, name=tx-1, patternType=LITERAL)');

    // A name alone lists its literal ACLs; MATCH also those that apply to it by prefix.
    const literal = await aclsOk(['--list', '--topic', 'listed-x']);
    expect(literal).not.toContain('User:bob');
    const matching = await aclsOk(['--list', '--topic', 'listed-x', '--resource-pattern-type', 'match']);
    expect(matching).toContain('name=listed-, patternType=PREFIXED');
    expect(matching).toContain('User:bob');
    const byPrincipal = await aclsOk(['--list', '--principal', 'User:alice']);
    expect(byPrincipal).toContain('name=tx-1');
    expect(byPrincipal).not.toContain('User:bob');

    await aclsOk([
      '--remove',
      '--force',
      '--allow-principal',
      'User:alice',
      '--operation',
      'Read',
      '--topic',
      'listed-t',
    ]);
    await aclsOk(['--remove', '--force', '--topic', 'listed-', '--resource-pattern-type', 'prefixed']);
    const after = await aclsOk(['--list']);
    expect(after).not.toContain('name=listed-t,');
    expect(after).not.toContain('name=listed-,');
    await aclsOk(['--remove', '--force', '--group', 'g1']);
    await aclsOk(['--remove', '--force', '--cluster']);
    await aclsOk(['--remove', '--force', '--transactional-id', 'tx-1']);
    expect(await aclsOk(['--list'])).not.toContain('ResourcePattern');
  }, 300_000);

  describe('a principal refused per resource', () => {
    beforeAll(async () => {
      // Set up as a super user.
      const setup = kafkajs().admin();
      await setup.connect();
      await setup.createTopics({
        topics: ['open-t', 'closed-t', 'pre-a', 'denied-t'].map((topic) => ({ topic, numPartitions: 1 })),
      });
      const producer = kafkajs().producer();
      await producer.connect();
      await producer.send({ topic: 'closed-t', messages: [{ value: 'secret' }] });
      await producer.disconnect();
      for (const groupId of ['g-ok', 'g-hidden'])
        await setup.setOffsets({ groupId, topic: 'open-t', partitions: [{ partition: 0, offset: '0' }] });
      await setup.disconnect();
      const allow = (op: string, ...resource: string[]) =>
        aclsOk(['--add', '--allow-principal', ANON, '--operation', op, ...resource]);
      await allow('Read', '--operation', 'Write', '--topic', 'open-t');
      await allow('Read', '--topic', 'pre-', '--resource-pattern-type', 'prefixed');
      await allow('Write', '--topic', 'denied-t');
      await aclsOk(['--add', '--deny-principal', ANON, '--operation', 'Write', '--topic', 'denied-t']);
      await allow('Read', '--group', 'g-ok');
      await allow('Describe', '--group', 'g-describe');

      // Now ANONYMOUS is no super user: only its ACLs count (and they survived the restart).
      await restartWith({ 'super.users': 'User:admin' });
    }, 300_000);

    it('by kafkajs', async () => {
      const kafka = kafkajs();
      const admin = kafka.admin();
      await admin.connect();
      const client = kafka.producer();
      await client.connect();
      try {
        await client.send({ topic: 'open-t', messages: [{ value: 'fine' }] });
        expect(await kafkajsErrorType(client.send({ topic: 'closed-t', messages: [{ value: 'no' }] }))).toBe(
          'TOPIC_AUTHORIZATION_FAILED',
        );
        // Deny beats allow.
        expect(await kafkajsErrorType(client.send({ topic: 'denied-t', messages: [{ value: 'no' }] }))).toBe(
          'TOPIC_AUTHORIZATION_FAILED',
        );

        // Metadata lists only what ANONYMOUS may describe (Read, Write imply Describe; a DENY on
        // Write does not deny Describe).
        const { topics } = await admin.fetchTopicMetadata();
        expect(topics.map((t) => t.name).sort()).toEqual(['denied-t', 'open-t', 'pre-a']);
        // ListGroups: only the groups it may describe.
        const { groups } = await admin.listGroups();
        expect(groups.map((g) => g.groupId)).toEqual(['g-ok']);
        // A group it may only describe: deleting needs DELETE on it.
        const deleted = await admin
          .deleteGroups(['g-describe'])
          .catch((e: { groups?: { error?: { type?: string } }[] }) => e);
        expect((deleted as { groups: { error?: { type?: string } }[] }).groups[0]!.error?.type).toBe(
          'GROUP_AUTHORIZATION_FAILED',
        );
        // A group it may not describe: FindCoordinator refuses it (kafkajs reports no coordinator).
        expect(await kafkajsErrorType(admin.describeGroups(['g-hidden']))).toMatch(
          /GroupCoordinatorNotFound|GROUP_AUTH/,
        );
        // No CREATE on the cluster or the topic.
        expect(await kafkajsErrorType(admin.createTopics({ topics: [{ topic: 'new-t' }] }))).toBe(
          'TOPIC_AUTHORIZATION_FAILED',
        );
      } finally {
        await client.disconnect();
        await admin.disconnect();
      }
    });

    it('by kcat', async () => {
      const kcatProduce = await kcat(['-P', '-t', 'closed-t', '-p', '0'], 'no\n');
      expect(kcatProduce.code).not.toBe(0);
      expect(kcatProduce.stderr).toMatch(/Topic authorization failed/i);
      const kcatConsume = await kcat(['-C', '-t', 'closed-t', '-p', '0', '-o', 'beginning', '-e']);
      expect(kcatConsume.stdout).not.toContain('secret');
      expect(kcatConsume.stderr).toMatch(/authorization failed/i);
      const kcatList = await kcat(['-L']);
      expect(kcatList.stdout).toContain('"open-t"');
      expect(kcatList.stdout).not.toContain('"closed-t"');
    });

    it("by the Java client (Kafka's tools)", async () => {
      const javaProduce = await runKafkaTool(
        KAFKA_TOOLS.consoleProducer,
        ['--bootstrap-server', broker.bootstrap, '--topic', 'closed-t'],
        { input: 'no\n', timeoutMs: 120_000 },
      );
      expect(javaProduce.stdout + javaProduce.stderr).toMatch(
        /TopicAuthorizationException: Not authorized to access topics: \[closed-t\]/,
      );
      const javaTopics = await runKafkaTool(
        KAFKA_TOOLS.topics,
        ['--bootstrap-server', broker.bootstrap, '--list'],
        {
          timeoutMs: 120_000,
        },
      );
      expect(javaTopics.stdout.split('\n').filter(Boolean).sort()).toEqual(['denied-t', 'open-t', 'pre-a']);
      const javaGroup = await runKafkaTool(
        KAFKA_TOOLS.consumerGroups,
        ['--bootstrap-server', broker.bootstrap, '--describe', '--group', 'g-hidden'],
        { timeoutMs: 120_000 },
      );
      expect(javaGroup.stdout + javaGroup.stderr).toMatch(/GroupAuthorizationException/);
      const javaAcls = await acls(['--list']);
      expect(javaAcls.out).toMatch(/ClusterAuthorizationException/);
      const javaConfigs = await runKafkaTool(
        KAFKA_TOOLS.configs,
        [
          '--bootstrap-server',
          broker.bootstrap,
          '--describe',
          '--entity-type',
          'topics',
          '--entity-name',
          'closed-t',
        ],
        { timeoutMs: 120_000 },
      );
      // As with Kafka, the tool finds no such topic: Metadata does not show it.
      expect(javaConfigs.stdout + javaConfigs.stderr).toMatch(/The topic 'closed-t' doesn't exist/);
    }, 300_000);

    it('with allow.everyone.if.no.acl.found, except what an ACL names', async () => {
      await restartWith({ 'super.users': '', 'allow.everyone.if.no.acl.found': true });
      const open = kafkajs().producer();
      await open.connect();
      try {
        await open.send({ topic: 'closed-t', messages: [{ value: 'now open' }] });
        expect(await kafkajsErrorType(open.send({ topic: 'denied-t', messages: [{ value: 'no' }] }))).toBe(
          'TOPIC_AUTHORIZATION_FAILED',
        );
      } finally {
        await open.disconnect();
      }
    });
  });
});
