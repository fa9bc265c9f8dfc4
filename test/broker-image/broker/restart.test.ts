import { afterEach, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../../support/broker-process.js';
import { KAFKA_TOOLS, runKafkaTool } from '../../support/kafka-jars.js';
import { runCommand } from '../../support/run-command.js';

let broker: BrokerProcess | undefined;
afterEach(async () => broker?.destroy());

async function kcat(args: string[], input?: string): Promise<string> {
  const result = await runCommand('kcat', ['-b', broker!.bootstrap, ...args], { input });
  if (result.code !== 0) throw new Error(`kcat ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

describe('broker restarts', () => {
  it('keeps topics, their configs and data across a clean restart, which skips recovery', async () => {
    broker = await BrokerProcess.start();
    const created = await runKafkaTool(KAFKA_TOOLS.topics, [
      '--bootstrap-server',
      broker.bootstrap,
      '--create',
      '--topic',
      'kept',
      '--partitions',
      '2',
      '--config',
      'retention.ms=123456789',
    ]);
    expect(created.code).toBe(0);
    await kcat(['-P', '-t', 'kept', '-p', '1'], 'a\nb\n');
    expect(await broker.stop()).toBe(0);
    broker = await broker.restart();
    const loaded = await broker.waitForLog((l) => l.msg === 'loaded logs');
    expect(loaded.cleanShutdown).toBe(true);
    expect(loaded.recoveredSegments).toBe(0);
    expect(await kcat(['-C', '-t', 'kept', '-p', '1', '-o', 'beginning', '-e'])).toBe('a\nb\n');
    const described = await runKafkaTool(KAFKA_TOOLS.topics, [
      '--bootstrap-server',
      broker.bootstrap,
      '--describe',
      '--topic',
      'kept',
    ]);
    expect(described.stdout).toMatch(/PartitionCount: 2/);
    expect(described.stdout).toMatch(/retention\.ms=123456789/);
  });

  it('recovers after kill -9 and reports it', async () => {
    broker = await BrokerProcess.start();
    await kcat(['-P', '-t', 'crashy', '-p', '0'], 'x\ny\nz\n');
    await broker.kill();
    broker = await broker.restart();
    const loaded = await broker.waitForLog((l) => l.msg === 'loaded logs');
    expect(loaded.cleanShutdown).toBe(false);
    expect(await kcat(['-C', '-t', 'crashy', '-p', '0', '-o', 'beginning', '-e'])).toBe('x\ny\nz\n');
  });

  it('applies STRATA_* variables and --override settings', async () => {
    broker = await BrokerProcess.start({ env: { STRATA_NUM_PARTITIONS: '4' } });
    await kcat(['-P', '-t', 'from-env', '-p', '0'], 'v\n');
    expect(await kcat(['-L', '-t', 'from-env'])).toMatch(/topic "from-env" with 4 partitions/);
  });
});
