import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerCluster } from '../support/broker-cluster.js';
import { describePartitions, waitForPartitions } from '../support/cluster-metadata.js';
import { KAFKA_TOOLS, runKafkaTool } from '../support/kafka-jars.js';
import { runCommand } from '../support/run-command.js';

/**
 * The coordinator quorum (etcd): with one member of three down everything works; with the quorum
 * lost, leaders keep serving produce and fetch but no metadata changes; when the quorum returns
 * everything works again.
 */
let cluster: BrokerCluster;
beforeAll(async () => {
  cluster = await BrokerCluster.start();
});
afterAll(async () => cluster?.destroy());

async function createTopic(name: string, timeoutMs = 120_000): Promise<{ code: number; output: string }> {
  const result = await runKafkaTool(
    KAFKA_TOOLS.topics,
    ['--bootstrap-server', cluster.bootstrap, '--create', '--topic', name, '--partitions', '2'],
    { timeoutMs },
  );
  return { code: result.code, output: result.stdout + result.stderr };
}

async function produce(topic: string, lines: string[], acks: string): Promise<void> {
  const result = await runCommand(
    'kcat',
    [
      '-b',
      cluster.bootstrap,
      '-P',
      '-t',
      topic,
      '-p',
      '0',
      '-X',
      `acks=${acks}`,
      '-X',
      'message.timeout.ms=20000',
    ],
    {
      input: lines.join('\n') + '\n',
    },
  );
  expect(result.code, result.stderr).toBe(0);
}

async function consume(topic: string): Promise<string[]> {
  const result = await runCommand('kcat', [
    '-b',
    cluster.bootstrap,
    '-C',
    '-t',
    topic,
    '-p',
    '0',
    '-o',
    'beginning',
    '-e',
  ]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim().split('\n').filter(Boolean);
}

describe('coordinator quorum', () => {
  it('works with one member down, serves data without quorum, and recovers', async () => {
    expect((await createTopic('before')).code).toBe(0);
    await waitForPartitions(
      () => cluster.bootstrap,
      'before',
      (p) => p.every((x) => x.isr.length === 3),
      'full ISRs',
    );
    await produce('before', ['a', 'b'], 'all');

    // One member down: metadata changes still work.
    await cluster.etcd.kill(0);
    expect((await createTopic('one-down')).code).toBe(0);
    await produce('one-down', ['x'], 'all');
    expect(await consume('one-down')).toEqual(['x']);

    // Quorum lost: produce and fetch go on with the metadata as it is; metadata cannot change.
    await cluster.etcd.kill(1);
    await produce('before', ['c'], '1');
    await produce('before', ['d'], 'all');
    expect(await consume('before')).toEqual(['a', 'b', 'c', 'd']);
    const refused = await createTopic('no-quorum', 60_000);
    expect(refused.code).not.toBe(0);
    expect((await describePartitions(cluster.bootstrap, 'before')).every((p) => p.leader >= 0)).toBe(true);

    // Quorum back: metadata changes work again and every broker is still there.
    await cluster.etcd.restart(1);
    await cluster.etcd.restart(0);
    let created = await createTopic('after');
    for (
      let attempt = 0;
      created.code !== 0 && created.output.includes('already exists') === false && attempt < 5;
      attempt++
    ) {
      created = await createTopic('after');
    }
    expect(created.output).toMatch(/Created topic after|already exists/);
    await waitForPartitions(
      () => cluster.bootstrap,
      'after',
      (p) => p.length === 2 && p.every((x) => x.isr.length === 3),
      'the new topic fully replicated',
    );
    await produce('after', ['y'], 'all');
    expect(await consume('after')).toEqual(['y']);
    expect(await consume('before')).toEqual(['a', 'b', 'c', 'd']);
  });
});
