import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../../support/broker-process.js';
import { runCommand } from '../../support/run-command.js';

/**
 * Checkpoints are derived state: whatever one holds, the broker starts, warns naming the file and
 * what is wrong with it, recovers as if it were absent, and serves every acknowledged record.
 */
let broker: BrokerProcess | undefined;
afterEach(async () => broker?.destroy());

async function kcat(args: string[], input?: string): Promise<string> {
  const result = await runCommand('kcat', ['-b', broker!.bootstrap, ...args], { input });
  if (result.code !== 0) throw new Error(`kcat ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

const produce = (topic: string, lines: readonly string[]): Promise<string> =>
  kcat(['-P', '-t', topic, '-p', '0', '-X', 'acks=all'], lines.map((l) => `${l}\n`).join(''));
const readAll = (topic: string): Promise<string> =>
  kcat(['-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e']);
const asText = (lines: readonly string[]): string => lines.map((l) => `${l}\n`).join('');

/** What a checkpoint may hold after a bad disk, a torn write or a stray tool. */
const GARBAGE: readonly { kind: string; content: Buffer }[] = [
  { kind: 'wrong version', content: Buffer.from('7\n1\nkept 0 3\n') },
  { kind: 'wrong count', content: Buffer.from('0\n5\nkept 0 3\n') },
  { kind: 'non-numeric lines', content: Buffer.from('0\n2\nkept zero three\nfour five\n') },
  {
    kind: 'binary junk',
    content: Buffer.from([0xff, 0xfe, 0x00, 0x13, 0x37, 0x0a, 0x80, 0x00, 0x9c, 0x0a, 0x01]),
  },
  { kind: 'truncated', content: Buffer.from('0\n3\nkept 0') },
  { kind: 'empty', content: Buffer.alloc(0) },
];

const DIR_CHECKPOINTS = [
  'recovery-point-offset-checkpoint',
  'log-start-offset-checkpoint',
  'replication-offset-checkpoint',
  'cleaner-offset-checkpoint',
];

describe('unreadable checkpoints', () => {
  it('starts with garbage of every kind in every checkpoint file, warns naming it, and keeps every acknowledged record', async () => {
    broker = await BrokerProcess.start();
    const logDir = join(broker.dataDir, 'logs');
    const acknowledged = Array.from({ length: 50 }, (_, i) => `first-${i}`);
    await produce('kept', acknowledged);
    const files = [
      ...DIR_CHECKPOINTS.map((f) => join(logDir, f)),
      join(logDir, 'kept-0', 'leader-epoch-checkpoint'),
    ];

    for (let round = 0; round < GARBAGE.length; round++) {
      expect(await broker.stop()).toBe(0);
      for (const file of files) expect(existsSync(file)).toBe(true);
      files.forEach((file, i) => writeFileSync(file, GARBAGE[(round + i) % GARBAGE.length]!.content));

      broker = await broker.restart();
      for (const [i, file] of files.entries()) {
        const kind = GARBAGE[(round + i) % GARBAGE.length]!.kind;
        const warning = broker.lines.find((l) => l.file === file && l.level === 40);
        expect(warning, `a warning about ${file} holding ${kind}`).toBeDefined();
        expect(String(warning!.reason)).not.toBe('');
      }
      const loaded = await broker.waitForLog((l) => l.msg === 'loaded logs');
      expect(loaded.cleanShutdown).toBe(false);
      expect(loaded.recoveredSegments).toBeGreaterThan(0);
      expect([...(loaded.unreadableCheckpoints as string[])].sort()).toEqual([...DIR_CHECKPOINTS].sort());
      expect(await readAll('kept')).toBe(asText(acknowledged));

      acknowledged.push(`round-${round}`);
      await produce('kept', [`round-${round}`]);
      expect(await readAll('kept')).toBe(asText(acknowledged));
    }

    // The leader epoch cache was rebuilt from the batches each time, not started empty: it still
    // knows the epoch of the first records and where every later start's epoch began.
    expect(await broker.stop()).toBe(0);
    const epochs = readFileSync(files.at(-1)!, 'utf8').trim().split('\n').slice(2);
    expect(epochs.map((line) => Number(line.split(' ')[1]))).toEqual([
      0,
      ...GARBAGE.map((_, round) => 50 + round),
    ]);
    expect(epochs[0]).toBe('0 0');
  });

  it('removes the temp files of interrupted checkpoint writes at start-up', async () => {
    broker = await BrokerProcess.start();
    const logDir = join(broker.dataDir, 'logs');
    await produce('kept', ['a', 'b']);
    expect(await broker.stop()).toBe(0);
    const leftovers = [
      join(logDir, 'recovery-point-offset-checkpoint.tmp'),
      join(logDir, 'replication-offset-checkpoint.tmp'),
      join(logDir, '.kafka_cleanshutdown.tmp'),
      join(logDir, 'kept-0', 'leader-epoch-checkpoint.tmp'),
    ];
    for (const file of leftovers) writeFileSync(file, '0\n1\nkept 0');

    broker = await broker.restart();
    for (const file of leftovers) expect(existsSync(file), file).toBe(false);
    const removed = await broker.waitForLog((l) => l.msg === 'removed temp files of interrupted writes');
    expect([...(removed.files as string[])].sort()).toEqual([
      '.kafka_cleanshutdown.tmp',
      'recovery-point-offset-checkpoint.tmp',
      'replication-offset-checkpoint.tmp',
    ]);
    // A leftover of a write that never completed says nothing against the clean shutdown.
    expect((await broker.waitForLog((l) => l.msg === 'loaded logs')).cleanShutdown).toBe(true);
    expect(await readAll('kept')).toBe('a\nb\n');
  });
});
