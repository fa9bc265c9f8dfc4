import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerCluster } from '../support/broker-cluster.js';
import { KAFKA_TOOLS, runKafkaTool } from '../support/kafka-jars.js';
import { runCommand } from '../support/run-command.js';

let cluster: BrokerCluster;
beforeAll(async () => {
  cluster = await BrokerCluster.start();
});
afterAll(async () => cluster?.destroy());

describe('cluster smoke', () => {
  it('creates an RF 3 topic across zones and replicates records', async () => {
    const created = await runKafkaTool(KAFKA_TOOLS.topics, [
      '--bootstrap-server',
      cluster.bootstrap,
      '--create',
      '--topic',
      'rep',
      '--partitions',
      '3',
    ]);
    expect(created.stdout + created.stderr).toContain('Created topic rep');
    const produce = await runCommand('kcat', ['-b', cluster.bootstrap, '-P', '-t', 'rep', '-X', 'acks=all'], {
      input: 'a\nb\nc\n',
    });
    expect(produce.code, produce.stderr).toBe(0);
    const consumed = await runCommand('kcat', [
      '-b',
      cluster.bootstrap,
      '-C',
      '-t',
      'rep',
      '-o',
      'beginning',
      '-e',
    ]);
    expect(consumed.stdout.trim().split('\n').sort()).toEqual(['a', 'b', 'c']);
    const described = await runKafkaTool(KAFKA_TOOLS.topics, [
      '--bootstrap-server',
      cluster.bootstrap,
      '--describe',
      '--topic',
      'rep',
    ]);
    console.log(described.stdout);
    expect(described.stdout).toMatch(/ReplicationFactor: 3/);
  });
});
