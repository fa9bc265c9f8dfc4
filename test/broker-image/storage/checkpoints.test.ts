import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedMetadataStore } from '../../../broker-image/src/cluster/embedded-metadata-store.js';
import type { MetadataChange } from '../../../broker-image/src/cluster/metadata-store.js';
import { readCheckpoint, readOffsetCheckpoint } from '../../../broker-image/src/storage/checkpoint-file.js';
import { nodeFileSystem, type StorageFileSystem } from '../../../broker-image/src/storage/file-system.js';
import { LEADER_EPOCH_CHECKPOINT } from '../../../broker-image/src/storage/leader-epoch-cache.js';
import {
  CLEAN_SHUTDOWN_FILE,
  LogManager,
  RECOVERY_POINT_CHECKPOINT,
} from '../../../broker-image/src/storage/log-manager.js';
import { PartitionLog } from '../../../broker-image/src/storage/partition-log.js';
import { tempDir } from '../../support/temp-dir.js';
import { append, batchOf, config } from './log-helpers.js';

let dir: { path: string; cleanup: () => void };
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.cleanup());

/**
 * The real file system on a disk that fills up: with `full` 'all' every write of data fails with
 * ENOSPC; with 'new-files' only writes to temp files do (a checkpoint or snapshot needs a new
 * block, while the segment being appended to still has room).
 */
function fillingDisk(): StorageFileSystem & { full: 'none' | 'new-files' | 'all' } {
  const tempFds = new Set<number>();
  const fs = {
    ...nodeFileSystem,
    full: 'none' as 'none' | 'new-files' | 'all',
    openSync(path: string, flags: string): number {
      const fd = nodeFileSystem.openSync(path, flags);
      if (path.endsWith('.tmp')) tempFds.add(fd);
      else tempFds.delete(fd);
      return fd;
    },
    writeSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
      if (fs.full === 'all' || (fs.full === 'new-files' && tempFds.has(fd))) {
        // Some of it reaches the temp file first, as on a disk that fills mid-write.
        nodeFileSystem.writeSync(fd, buffer, offset, Math.min(length, 3), position);
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      return nodeFileSystem.writeSync(fd, buffer, offset, length, position);
    },
  };
  return fs;
}

/** A logger whose lines the test reads. */
function capturingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

function tempFilesIn(path: string): string[] {
  return readdirSync(path, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.tmp'));
}

describe('checkpoint files', () => {
  const file = (): string => join(dir.path, 'checkpoint');

  it('reads every kind of garbage as unreadable, with the reason, and a missing file as absent', () => {
    const garbage: [string, string | Buffer, RegExp][] = [
      ['wrong version', '1\n1\nt 0 5\n', /unknown checkpoint version "1"/],
      ['bad count', '0\nmany\nt 0 5\n', /bad entry count "many"/],
      ['more entries than counted', '0\n1\nt 0 5\nt 1 6\n', /expected 1 entries/],
      ['fewer entries than counted', '0\n3\nt 0 5\n', /expected 3 entries/],
      ['truncated in a line', '0\n1\nt 0 5', /expected 1 entries/],
      ['non-numeric offset', '0\n1\nt 0 five\n', /malformed entry 1: "t 0 five"/],
      ['negative partition', '0\n1\nt -1 5\n', /malformed entry 1/],
      ['missing field', '0\n1\nt 0\n', /malformed entry 1/],
      ['binary junk', Buffer.from([0, 0xff, 0x0a, 0x13, 0x0a, 0x80]), /unknown checkpoint version/],
      ['empty', '', /unknown checkpoint version ""/],
    ];
    for (const [kind, content, reason] of garbage) {
      writeFileSync(file(), content);
      const read = readOffsetCheckpoint(nodeFileSystem, file());
      expect('unreadable' in read ? read.unreadable : `read as ${JSON.stringify(read)}`, kind).toMatch(
        reason,
      );
    }
    writeFileSync(file(), '0\n2\nmy-topic 0 5\nmy-topic 12 0\n');
    expect(readOffsetCheckpoint(nodeFileSystem, file())).toEqual({
      entries: [
        ['my-topic-0', 5],
        ['my-topic-12', 0],
      ],
    });
    expect(readCheckpoint(nodeFileSystem, join(dir.path, 'missing'), () => 1)).toEqual({ absent: true });
  });
});

describe('checkpoints on a full disk', () => {
  it('lets a clean shutdown finish with one warning, no temp file and no clean-shutdown marker, so the next start recovers', async () => {
    const fs = fillingDisk();
    const { logger, lines } = capturingLogger();
    const options = { logDirs: [dir.path], clock: { now: () => 1000 }, producerIdExpirationMs: 60_000 };
    const manager = new LogManager({ ...options, fs, logger });
    manager.loadLogs(() => config());
    const log = manager.createLog({ topic: 't', partition: 0 }, config());
    await append(log, batchOf(['a', 'b']), 0, 1000);
    fs.full = 'all';

    await manager.shutdown();
    expect(tempFilesIn(dir.path)).toEqual([]);
    expect(existsSync(join(dir.path, CLEAN_SHUTDOWN_FILE))).toBe(false);
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings.map((l) => l.msg)).toEqual([
      'clean shutdown could not write everything: without a clean-shutdown marker, the next start recovers the logs',
    ]);
    expect(warnings[0]!.failed).toEqual(
      expect.arrayContaining([
        join(dir.path, RECOVERY_POINT_CHECKPOINT),
        'producer snapshot and indexes of t-0',
      ]),
    );

    const next = capturingLogger();
    const reloaded = new LogManager({ ...options, fs: nodeFileSystem, logger: next.logger });
    reloaded.loadLogs(() => config());
    expect(next.lines.find((l) => l.msg === 'loaded logs')).toMatchObject({ cleanShutdown: false });
    expect(reloaded.getLog({ topic: 't', partition: 0 })!.logEndOffset).toBe(2);
  });

  it('warns once while a periodic checkpoint keeps failing, and keeps the previous file', () => {
    const fs = fillingDisk();
    const { logger, lines } = capturingLogger();
    const manager = new LogManager({
      fs,
      logger,
      logDirs: [dir.path],
      clock: { now: () => 1000 },
      producerIdExpirationMs: 60_000,
    });
    manager.loadLogs(() => config());
    manager.createLog({ topic: 't', partition: 0 }, config());
    manager.checkpointRecoveryPoints();
    const before = readFileSync(join(dir.path, RECOVERY_POINT_CHECKPOINT), 'utf8');
    fs.full = 'new-files';
    for (let i = 0; i < 3; i++) manager.checkpointRecoveryPoints();
    expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
    expect(readFileSync(join(dir.path, RECOVERY_POINT_CHECKPOINT), 'utf8')).toBe(before);
    expect(tempFilesIn(dir.path)).toEqual([]);
    fs.full = 'none';
    manager.checkpointRecoveryPoints();
    expect(lines.at(-1)!.msg).toBe('checkpoint written again');
  });
});

describe('the leader epoch checkpoint', () => {
  const load = (logDir: string, warn?: (message: string) => void): PartitionLog =>
    PartitionLog.load({
      fs: nodeFileSystem,
      dir: logDir,
      topicPartition: { topic: 't', partition: 0 },
      config: config(),
      now: 2000,
      recoveryPoint: 0,
      logStartOffset: 0,
      cleanShutdown: false,
      warn,
    });

  it('is removed when it cannot be written, and the next load rebuilds it from the batches', async () => {
    const fs = fillingDisk();
    const logDir = join(dir.path, 't-0');
    const warnings: string[] = [];
    const log = PartitionLog.create(fs, logDir, { topic: 't', partition: 0 }, config(), 1000, (m) =>
      warnings.push(m),
    );
    await append(log, batchOf(['a', 'b']), 0, 1000);
    fs.full = 'new-files';
    // The records are in the log; only the checkpoint of their new epoch cannot be written.
    await append(log, batchOf(['c']), 3, 1000);
    await append(log, batchOf(['d']), 3, 1000);
    expect(log.logEndOffset).toBe(4);
    expect(warnings).toEqual([
      'could not write the leader epoch checkpoint: the next start rebuilds it from the log',
    ]);
    expect(existsSync(join(logDir, LEADER_EPOCH_CHECKPOINT))).toBe(false);
    expect(tempFilesIn(logDir)).toEqual([]);

    expect(load(logDir).leaderEpochCache.all()).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 3, startOffset: 2 },
    ]);
    expect(readFileSync(join(logDir, LEADER_EPOCH_CHECKPOINT), 'utf8')).toBe('0\n2\n0 0\n3 2\n');
  });

  it('is rebuilt from the batches when it is unreadable, with a warning naming it', async () => {
    const logDir = join(dir.path, 't-0');
    const log = PartitionLog.create(nodeFileSystem, logDir, { topic: 't', partition: 0 }, config(), 1000);
    await append(log, batchOf(['a']), 1, 1000);
    await append(log, batchOf(['b', 'c']), 4, 1000);
    await append(log, batchOf(['d']), 4, 1000);
    log.close();
    for (const garbage of ['0\n2\n1 0\n', '0\n2\n4 1\n1 0\n', '0\n1\nx y\n', '\u0000\u0001junk']) {
      writeFileSync(join(logDir, LEADER_EPOCH_CHECKPOINT), garbage);
      const warnings: string[] = [];
      const reloaded = load(logDir, (m) => warnings.push(m));
      expect(warnings, garbage).toEqual(['unreadable leader epoch checkpoint: rebuilding it from the log']);
      expect(reloaded.leaderEpochCache.all()).toEqual([
        { epoch: 1, startOffset: 0 },
        { epoch: 4, startOffset: 1 },
      ]);
      reloaded.close();
    }
  });
});

describe('the embedded metadata store on a full disk', () => {
  const spec = (name: string) => ({ name, assignment: [[1]], configs: new Map<string, string>() });

  it('starts, and a change it cannot write fails with KAFKA_STORAGE_ERROR and changes nothing', async () => {
    const setup = new EmbeddedMetadataStore(nodeFileSystem, dir.path, 1, 'cluster');
    await setup.start();
    await setup.createTopic(spec('kept'));
    await setup.close();

    const fs = fillingDisk();
    fs.full = 'all';
    const store = new EmbeddedMetadataStore(fs, dir.path, 1, 'cluster');
    await store.start();
    const changes: MetadataChange[] = [];
    store.subscribe((change) => changes.push(change));
    const storageError = { code: 'KAFKA_STORAGE_ERROR', message: expect.stringMatching(/ENOSPC/) };
    await expect(store.createTopic(spec('refused'))).rejects.toMatchObject(storageError);
    await expect(store.deleteTopic('kept')).rejects.toMatchObject(storageError);
    await expect(store.setTopicConfigs('kept', new Map([['retention.ms', '1']]))).rejects.toMatchObject(
      storageError,
    );
    await expect(store.createPartitions('kept', [[1]])).rejects.toMatchObject(storageError);
    await expect(store.allocateProducerIds(1000)).rejects.toMatchObject(storageError);
    expect(store.topics().map((t) => t.name)).toEqual(['kept']);
    expect(store.topic('kept')!.partitions).toHaveLength(1);
    expect(store.topic('kept')!.configs.size).toBe(0);
    expect(changes).toEqual([]);
    expect(tempFilesIn(dir.path)).toEqual([]);

    fs.full = 'none';
    expect(await store.allocateProducerIds(1000)).toBe(0);
    await store.createTopic(spec('later'));
    const reread = new EmbeddedMetadataStore(nodeFileSystem, dir.path, 1, 'cluster');
    await reread.start();
    expect(reread.topics().map((t) => t.name)).toEqual(['kept', 'later']);
    expect(await reread.allocateProducerIds(1)).toBe(1000);
  });

  it('starts with new leader epochs it cannot write, writes them at close, and never reuses an epoch the log holds', async () => {
    const setup = new EmbeddedMetadataStore(nodeFileSystem, dir.path, 1, 'cluster');
    await setup.start();
    await setup.createTopic(spec('t'));
    const fs = fillingDisk();
    fs.full = 'all';
    const store = new EmbeddedMetadataStore(fs, dir.path, 1, 'cluster');
    await store.start();
    expect(await store.bumpLeaderEpochs()).toMatchObject({ message: expect.stringMatching(/ENOSPC/) });
    expect(store.topic('t')!.partitions[0]!.leaderEpoch).toBe(1);
    fs.full = 'none';
    await store.close();

    // A later start goes past the stored epoch and past any epoch the partition's log holds.
    const next = new EmbeddedMetadataStore(nodeFileSystem, dir.path, 1, 'cluster');
    await next.start();
    expect(next.topic('t')!.partitions[0]!.leaderEpoch).toBe(1);
    expect(
      await next.bumpLeaderEpochs((topic, partition) => (topic === 't' && partition === 0 ? 6 : -1)),
    ).toBe(undefined);
    expect(next.topic('t')!.partitions[0]!.leaderEpoch).toBe(7);
  });
});
