import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFileSystem, type StorageFileSystem } from '../../../broker-image/src/storage/file-system.js';
import { PartitionLog } from '../../../broker-image/src/storage/partition-log.js';
import { tempDir } from '../../support/temp-dir.js';
import { append, batchOf, config } from './log-helpers.js';

let dir: { path: string; cleanup: () => void };
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.cleanup());

/** The real file system, with faults switched on by the test: torn writes and failing fsyncs. */
function faultyFileSystem(): StorageFileSystem & { failWrites: 'none' | 'torn' | 'eio'; fsyncs: number } {
  const fs = {
    ...nodeFileSystem,
    failWrites: 'none' as 'none' | 'torn' | 'eio',
    fsyncs: 0,
    writeSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
      if (fs.failWrites === 'eio') throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
      if (fs.failWrites === 'torn') {
        // Half the bytes reach the file, then the disk is full.
        nodeFileSystem.writeSync(fd, buffer, offset, Math.floor(length / 2), position);
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      return nodeFileSystem.writeSync(fd, buffer, offset, length, position);
    },
    async fsync(fd: number): Promise<void> {
      fs.fsyncs++;
      return nodeFileSystem.fsync(fd);
    },
  };
  return fs;
}

function load(fs: StorageFileSystem, logDir: string): PartitionLog {
  const log = PartitionLog.load({
    fs,
    dir: logDir,
    topicPartition: { topic: 't', partition: 0 },
    config: config(),
    now: 2000,
    recoveryPoint: 0,
    logStartOffset: 0,
    cleanShutdown: false,
  });
  log.updateHighWatermark(log.logEndOffset);
  return log;
}

describe('storage faults', () => {
  it('refuses an append torn by a full disk with KAFKA_STORAGE_ERROR and leaves no partial batch', async () => {
    const fs = faultyFileSystem();
    const logDir = join(dir.path, 't-0');
    const log = PartitionLog.create(fs, logDir, { topic: 't', partition: 0 }, config(), 1000);
    await append(log, batchOf(['kept-1', 'kept-2']), 0, 1000);
    const sizeBefore = log.size;
    fs.failWrites = 'torn';
    await expect(log.appendAsLeader(batchOf(['lost']), 0, 1000)).rejects.toMatchObject({
      code: 'KAFKA_STORAGE_ERROR',
    });
    expect(log.logEndOffset).toBe(2);
    expect(log.size).toBe(sizeBefore);
    fs.failWrites = 'none';
    const next = await append(log, batchOf(['after']), 0, 1000);
    expect(next.baseOffset).toBe(2);
    const reloaded = load(nodeFileSystem, logDir);
    expect(reloaded.logEndOffset).toBe(3);
  });

  it('refuses an append on an I/O error with KAFKA_STORAGE_ERROR', async () => {
    const fs = faultyFileSystem();
    const log = PartitionLog.create(fs, join(dir.path, 't-0'), { topic: 't', partition: 0 }, config(), 1000);
    fs.failWrites = 'eio';
    await expect(log.appendAsLeader(batchOf(['x']), 0, 1000)).rejects.toMatchObject({
      code: 'KAFKA_STORAGE_ERROR',
    });
    expect(log.logEndOffset).toBe(0);
  });

  it('fsyncs every batch with flush.messages=1 and none by default', async () => {
    const fs = faultyFileSystem();
    const synced = PartitionLog.create(
      fs,
      join(dir.path, 'a-0'),
      { topic: 'a', partition: 0 },
      config({ flushMessages: 1 }),
      1000,
    );
    for (let i = 0; i < 5; i++) await synced.appendAsLeader(batchOf([`v${i}`]), 0, 1000);
    expect(fs.fsyncs).toBe(5);
    expect(synced.recoveryPoint).toBe(5);
    fs.fsyncs = 0;
    const lazy = PartitionLog.create(fs, join(dir.path, 'b-0'), { topic: 'b', partition: 0 }, config(), 1000);
    for (let i = 0; i < 5; i++) await lazy.appendAsLeader(batchOf([`v${i}`]), 0, 1000);
    expect(fs.fsyncs).toBe(0);
    expect(lazy.recoveryPoint).toBe(0);
  });

  it('flushes on flush.ms', async () => {
    const fs = faultyFileSystem();
    const log = PartitionLog.create(
      fs,
      join(dir.path, 't-0'),
      { topic: 't', partition: 0 },
      config({ flushMs: 1000 }),
      1000,
    );
    await log.appendAsLeader(batchOf(['v']), 0, 1000);
    expect(log.flushDue(1500)).toBe(false);
    expect(log.flushDue(2000)).toBe(true);
    await log.flush(2000);
    expect(fs.fsyncs).toBe(1);
    expect(log.flushDue(3500)).toBe(false);
  });
});
