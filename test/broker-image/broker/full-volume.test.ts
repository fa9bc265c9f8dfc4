import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CreateTopics } from '../../../broker-image/src/protocol/messages/index.js';
import { BrokerProcess } from '../../support/broker-process.js';
import { withRawClient } from '../../support/raw-client.js';
import { CREATE_TOPICS_VERSION } from '../../support/raw-requests.js';
import { runCommand } from '../../support/run-command.js';
import { SmallVolume, tempFilesUnder } from '../../support/small-volume.js';

/**
 * A data volume that is really out of space (not the `log.dirs.capacity.bytes` quota, which only
 * refuses appends): checkpoints, producer snapshots and metadata cannot be written either. The
 * broker must still stop cleanly and start again on it, and serve what was acknowledged.
 */
const KAFKA_STORAGE_ERROR = 56;
let broker: BrokerProcess | undefined;
let volume: SmallVolume | undefined;
afterEach(async () => {
  await broker?.destroy();
  broker = undefined;
  volume?.unmount();
  volume = undefined;
});

async function kcat(args: string[], input?: string): Promise<string> {
  const result = await runCommand('kcat', ['-b', broker!.bootstrap, ...args], { input });
  if (result.code !== 0) throw new Error(`kcat ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

const readAll = (topic: string, partition: number): Promise<string> =>
  kcat(['-C', '-t', topic, '-p', String(partition), '-o', 'beginning', '-e']);

/** A broker on a fresh small volume, with `lines` produced (acks=all) to `topic` partition 0. */
async function brokerWithRecords(topic: string, lines: readonly string[]): Promise<void> {
  volume = SmallVolume.mount(32 * 1024 * 1024);
  broker = await BrokerProcess.start({ properties: { 'log.dirs': volume.logDir } });
  await kcat(['-P', '-t', topic, '-p', '0', '-X', 'acks=all'], lines.map((l) => `${l}\n`).join(''));
  expect(await readAll(topic, 0)).toBe(lines.map((l) => `${l}\n`).join(''));
}

describe.skipIf(!SmallVolume.available)('a data volume out of space', () => {
  it('stops cleanly with exit code 0 and no temp file left, then starts on the full volume with every record', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => `record-${i}`);
    await brokerWithRecords('kept', lines);
    volume!.fill();

    expect(await broker!.stop()).toBe(0);
    expect(tempFilesUnder(volume!.logDir)).toEqual([]);
    expect(readdirSync(volume!.logDir)).not.toContain('.kafka_cleanshutdown');
    const warning = broker!.lines.find((l) => String(l.msg).startsWith('clean shutdown could not write'));
    expect(warning?.level).toBe(40);
    expect(broker!.lines.filter((l) => l.level === 50 || l.level === 60)).toEqual([]);

    // Still full: the start needs no write, and what it could not write it does without.
    broker = await broker!.restart();
    const loaded = await broker.waitForLog((l) => l.msg === 'loaded logs');
    expect(loaded.cleanShutdown).toBe(false);
    expect(await readAll('kept', 0)).toBe(lines.map((l) => `${l}\n`).join(''));

    expect(await broker.stop()).toBe(0);
    expect(tempFilesUnder(volume!.logDir)).toEqual([]);
    volume!.free();
    broker = await broker.restart();
    expect(await readAll('kept', 0)).toBe(lines.map((l) => `${l}\n`).join(''));
    await kcat(['-P', '-t', 'kept', '-p', '0', '-X', 'acks=all'], 'after\n');
    expect(await readAll('kept', 0)).toBe([...lines, 'after'].map((l) => `${l}\n`).join(''));
  });

  it('refuses a topic creation it cannot write with KAFKA_STORAGE_ERROR, creating nothing, and keeps serving', async () => {
    await brokerWithRecords('existing', ['a', 'b']);
    volume!.fill();
    const create = () =>
      withRawClient(broker!.port, (client) =>
        client.request(CreateTopics, CREATE_TOPICS_VERSION, {
          topics: [{ name: 'refused', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
          timeoutMs: 30_000,
        }),
      );
    const refused = await create();
    expect(refused.topics[0]!.errorCode).toBe(KAFKA_STORAGE_ERROR);
    expect(refused.topics[0]!.errorMessage).toMatch(/no space left on device/i);
    expect(broker!.alive).toBe(true);
    expect(await kcat(['-L'])).not.toMatch(/topic "refused"/);
    expect(readdirSync(volume!.logDir).filter((name) => name.startsWith('refused'))).toEqual([]);
    expect(await readAll('existing', 0)).toBe('a\nb\n');

    // Nothing of it was kept: with space again the same creation succeeds, and survives a restart.
    volume!.free();
    const created = await create();
    expect(created.topics[0]!.errorCode).toBe(0);
    broker = await broker!.restart();
    expect(await kcat(['-L'])).toMatch(/topic "refused" with 1 partitions/);
    expect(readdirSync(join(volume!.logDir))).toContain('refused-0');
  });
});
