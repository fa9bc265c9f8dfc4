import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerCluster } from '../support/broker-cluster.js';
import { waitForPartitions } from '../support/cluster-metadata.js';
import { KAFKA_TOOLS, runKafkaTool } from '../support/kafka-jars.js';
import { runCommand } from '../support/run-command.js';
import { waitUntil } from '../support/wait-until.js';

/**
 * Regression: a follower's long-polling fetch parked on its leader, for a partition whose log is
 * then deleted there (topic deleted, or the replica moved away by a reassignment), crashed the
 * leader when the parked fetch was re-checked. The fetch must be answered and the leader stay up.
 */
let cluster: BrokerCluster;
beforeAll(async () => {
  // Followers park their fetches for a long time, so the deletion always finds one parked.
  cluster = await BrokerCluster.start({
    brokers: 2,
    properties: { 'replica.fetch.wait.max.ms': 60_000, 'default.replication.factor': 2 },
  });
});
afterAll(async () => cluster?.destroy());

async function parkedFetches(adminUrl: string): Promise<number> {
  const metrics = await (await fetch(`${adminUrl}/metrics`)).text();
  return Number(/kafka_server_purgatory_size\{delayed_operation="Fetch"\} (\d+)/.exec(metrics)?.[1] ?? 0);
}

describe('deleting a topic while its followers wait on the leader', () => {
  it('answers the parked follower fetches and keeps the leader up', async () => {
    const created = await runKafkaTool(KAFKA_TOOLS.topics, [
      '--bootstrap-server',
      cluster.bootstrap,
      '--create',
      '--topic',
      'doomed',
      '--replica-assignment',
      '1:2',
    ]);
    expect(created.code).toBe(0);
    await waitForPartitions(
      () => cluster.bootstrap,
      'doomed',
      (p) => p[0]?.isr.length === 2,
      'both replicas in sync',
    );
    const leader = cluster.broker(1);
    while ((await parkedFetches(leader.adminUrl)) === 0)
      await new Promise((resolve) => setTimeout(resolve, 50));

    const deleted = await runKafkaTool(KAFKA_TOOLS.topics, [
      '--bootstrap-server',
      cluster.bootstrap,
      '--delete',
      '--topic',
      'doomed',
    ]);
    expect(deleted.code).toBe(0);
    while ((await parkedFetches(leader.adminUrl)) > 0)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(leader.alive).toBe(true);
    expect(leader.lines.filter((l) => (l as { level?: number }).level === 60)).toEqual([]);
    const listed = await runKafkaTool(KAFKA_TOOLS.topics, ['--bootstrap-server', leader.bootstrap, '--list']);
    expect(listed.stdout.split('\n')).not.toContain('doomed');
  });

  it("keeps replicating the leader's other partitions after one of its topics is deleted", async () => {
    // Regression: a deleted topic's partition stayed in the follower's fetcher for that leader,
    // whose next request then failed to build, so every partition on the leader stopped replicating.
    for (const [topic, config] of [
      ['kept', ['--config', 'min.insync.replicas=2']],
      ['dropped', []],
    ] as const) {
      const created = await runKafkaTool(KAFKA_TOOLS.topics, [
        '--bootstrap-server',
        cluster.bootstrap,
        '--create',
        '--topic',
        topic,
        '--replica-assignment',
        '1:2',
        ...config,
      ]);
      expect(created.code, created.stderr).toBe(0);
      await waitForPartitions(
        () => cluster.bootstrap,
        topic,
        (p) => p[0]?.isr.length === 2,
        'both replicas in sync',
      );
    }
    const deleted = await runKafkaTool(KAFKA_TOOLS.topics, [
      '--bootstrap-server',
      cluster.bootstrap,
      '--delete',
      '--topic',
      'dropped',
    ]);
    expect(deleted.code).toBe(0);
    const follower = cluster.broker(2);
    await waitUntil(
      async () =>
        !JSON.stringify(await (await fetch(`${follower.adminUrl}/replication`)).json()).includes('dropped-0'),
      'the follower to stop following the deleted partition',
      { timeoutMs: 30_000 },
    );
    // acks=all with min.insync.replicas=2 needs the follower to keep fetching from broker 1.
    const produced = await runCommand(
      'kcat',
      ['-b', cluster.bootstrap, '-P', '-t', 'kept', '-X', 'acks=all', '-X', 'message.timeout.ms=20000'],
      { input: 'after the deletion\n' },
    );
    expect(produced.code, produced.stderr).toBe(0);
    expect(produced.stderr).toBe('');
    const replication = (await (await fetch(`${follower.adminUrl}/replication`)).json()) as {
      fetchers: { leader: number; partitions: string[]; lastFailure: string | null }[];
    };
    expect(replication.fetchers.find((f) => f.leader === 1)).toMatchObject({
      partitions: ['kept-0'],
      lastFailure: null,
    });
  });
});
