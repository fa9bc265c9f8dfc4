import { join } from 'node:path';
import type { Logger } from 'pino';
import { KafkaError } from '../protocol/errors.js';
import type { Clock } from '../util/clock.js';
import {
  offsetCheckpointEntries,
  readOffsetCheckpoint,
  tryWriteCheckpoint,
  type CheckpointWarning,
} from './checkpoint-file.js';
import type { StorageFileSystem } from './file-system.js';
import type { LogCleaner } from './log-cleaner.js';
import type { LogConfig } from './log-config.js';
import { PartitionLog } from './partition-log.js';
import { parseTopicPartitionDir, topicPartitionKey, type TopicPartition } from './topic-partition.js';

export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint';
export const HIGH_WATERMARK_CHECKPOINT = 'replication-offset-checkpoint';

export interface LogManagerOptions {
  readonly fs: StorageFileSystem;
  readonly logDirs: readonly string[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** Size of the data volume when the broker cannot read it from the device (a quota). */
  readonly capacityBytes?: number;
  readonly producerIdExpirationMs: number;
}

/** Something a clean shutdown could not write, in the log dir it belongs to. */
interface WriteFailure {
  readonly dir: string;
  readonly what: string;
  readonly error: unknown;
}

export interface DiskUsage {
  readonly dir: string;
  readonly totalBytes: number;
  readonly usableBytes: number;
  readonly logBytes: number;
}

/**
 * All partition logs of the broker, over its `log.dirs`: loading and recovery at start-up, placing
 * new partitions, retention, flushing, checkpoints of recovery points and log start offsets, and
 * the clean-shutdown marker that lets the next start skip recovery.
 *
 * Checkpoints are best-effort, so a full disk never stops a start or a stop: one that cannot be
 * written is warned about and left as it was (each holds lower bounds that stay true: an older
 * recovery point only means more recovery), and the marker is then not written, so the next
 * start recovers the logs instead of trusting state that was not written. One that cannot be
 * read is treated as absent, and its log dir is recovered as after a crash.
 */
export class LogManager {
  private readonly logs = new Map<string, PartitionLog>();
  private readonly dirOf = new Map<string, string>();
  private offline = false;
  private capacityBytes: number | undefined;
  /** Checkpoint files whose last write failed: warned about once until a write succeeds. */
  private readonly failingCheckpoints = new Set<string>();

  constructor(private readonly options: LogManagerOptions) {
    this.capacityBytes = options.capacityBytes;
  }

  get fs(): StorageFileSystem {
    return this.options.fs;
  }

  /**
   * Loads every partition directory. `configFor` gives a partition's config, or undefined when its
   * topic no longer exists (the directory is then removed).
   */
  loadLogs(configFor: (tp: TopicPartition) => LogConfig | undefined): void {
    const { fs, logger, clock } = this.options;
    for (const dir of this.options.logDirs) {
      fs.mkdirSync(dir);
      this.removeInterruptedWrites(dir);
      const markerPath = join(dir, CLEAN_SHUTDOWN_FILE);
      const unreadable: string[] = [];
      const offsetsIn = (file: string): Map<string, number> => {
        const path = join(dir, file);
        const read = readOffsetCheckpoint(fs, path);
        if ('entries' in read) return new Map(read.entries);
        if ('unreadable' in read) {
          unreadable.push(file);
          logger.warn(
            { file: path, reason: read.unreadable },
            'unreadable checkpoint: treated as absent, and the logs of its dir are recovered in full',
          );
        }
        return new Map();
      };
      const recoveryPoints = offsetsIn(RECOVERY_POINT_CHECKPOINT);
      const logStartOffsets = offsetsIn(LOG_START_OFFSET_CHECKPOINT);
      const cleanerOffsets = offsetsIn(CLEANER_OFFSET_CHECKPOINT);
      const highWatermarks = offsetsIn(HIGH_WATERMARK_CHECKPOINT);
      const markerFound = fs.existsSync(markerPath);
      // The marker vouches for the checkpoints written before it: one that cannot be read voids it.
      const cleanShutdown = markerFound && unreadable.length === 0;
      const started = clock.now();
      let recovered = 0;
      for (const name of fs.readdirSync(dir)) {
        if (name.endsWith('-delete')) {
          fs.rmSync(join(dir, name));
          continue;
        }
        const tp = parseTopicPartitionDir(name);
        if (!tp) continue;
        const config = configFor(tp);
        if (!config) {
          logger.info({ partition: name }, 'removing the log of a partition no longer assigned here');
          fs.rmSync(join(dir, name));
          continue;
        }
        const key = topicPartitionKey(tp.topic, tp.partition);
        const log = PartitionLog.load({
          fs,
          dir: join(dir, name),
          topicPartition: tp,
          config,
          now: clock.now(),
          recoveryPoint: recoveryPoints.get(key) ?? 0,
          logStartOffset: logStartOffsets.get(key) ?? 0,
          cleanShutdown,
          onRecovery: (segment, result) => {
            recovered++;
            if (result.truncatedBytes > 0) {
              logger.warn(
                {
                  partition: key,
                  segment: segment.baseOffset,
                  truncatedBytes: result.truncatedBytes,
                  reason: result.reason,
                },
                'recovery truncated an invalid tail',
              );
            }
          },
          warn: this.warnFor(key),
        });
        log.firstDirtyOffset = Math.max(log.logStartOffset, cleanerOffsets.get(key) ?? 0);
        // Only what was known committed stays visible; a leader raises it as its followers confirm.
        log.updateHighWatermark(highWatermarks.get(key) ?? log.logStartOffset);
        this.logs.set(key, log);
        this.dirOf.set(key, dir);
      }
      if (markerFound) fs.unlinkSync(markerPath);
      logger.info(
        {
          dir,
          partitions: this.logs.size,
          cleanShutdown,
          recoveredSegments: recovered,
          unreadableCheckpoints: unreadable.length > 0 ? unreadable : undefined,
          ms: clock.now() - started,
        },
        'loaded logs',
      );
    }
  }

  /**
   * Start-up pass (as Kafka's log loader does): removes the temp files of atomic writes that a
   * crash or a full disk interrupted (`<checkpoint>.tmp` and the like); the file each was to
   * replace still holds its previous content. Partition directories get the same pass as they load.
   */
  private removeInterruptedWrites(dir: string): void {
    const removed: string[] = [];
    for (const name of this.options.fs.readdirSync(dir)) {
      if (!name.endsWith('.tmp')) continue;
      try {
        this.options.fs.unlinkSync(join(dir, name));
        removed.push(name);
      } catch (error) {
        this.options.logger.warn(
          { file: join(dir, name), err: error },
          'could not remove a leftover temp file',
        );
      }
    }
    if (removed.length > 0)
      this.options.logger.info({ dir, files: removed }, 'removed temp files of interrupted writes');
  }

  /** Where a partition log reports a checkpoint of its own it could not read or write. */
  private warnFor(partition: string): CheckpointWarning {
    return (message, details) => this.options.logger.warn({ partition, ...details }, message);
  }

  /** The log dir holding a partition. */
  logDirOf(tp: TopicPartition): string | undefined {
    return this.dirOf.get(topicPartitionKey(tp.topic, tp.partition));
  }

  get logDirs(): readonly string[] {
    return this.options.logDirs;
  }

  getLog(tp: TopicPartition): PartitionLog | undefined {
    return this.logs.get(topicPartitionKey(tp.topic, tp.partition));
  }

  allLogs(): IterableIterator<PartitionLog> {
    return this.logs.values();
  }

  /** Creates a partition's log in the log dir holding the fewest partitions. */
  createLog(tp: TopicPartition, config: LogConfig): PartitionLog {
    const key = topicPartitionKey(tp.topic, tp.partition);
    const existing = this.logs.get(key);
    if (existing) return existing;
    const counts = new Map(this.options.logDirs.map((d) => [d, 0]));
    for (const dir of this.dirOf.values()) counts.set(dir, (counts.get(dir) ?? 0) + 1);
    const dir = [...counts].sort((a, b) => a[1] - b[1])[0]![0];
    const log = PartitionLog.create(
      this.options.fs,
      join(dir, key),
      tp,
      config,
      this.options.clock.now(),
      this.warnFor(key),
    );
    this.logs.set(key, log);
    this.dirOf.set(key, dir);
    return log;
  }

  deleteLog(tp: TopicPartition): void {
    const key = topicPartitionKey(tp.topic, tp.partition);
    const log = this.logs.get(key);
    if (!log) return;
    this.logs.delete(key);
    this.dirOf.delete(key);
    log.delete();
  }

  /** Changes the quota (a grown local volume); false when the capacity is the device's own. */
  setCapacity(bytes: number): boolean {
    if (this.capacityBytes === undefined) return false;
    this.capacityBytes = bytes;
    return true;
  }

  /**
   * Refuses an append that would take the data volume past its capacity (a configured quota, or
   * the file system's free space), so a full disk is a clean KAFKA_STORAGE_ERROR, not a torn write.
   */
  ensureCapacity(incomingBytes: number): void {
    if (this.offline)
      throw new KafkaError('KAFKA_STORAGE_ERROR', 'the log directory is offline after an I/O error');
    const capacity = this.capacityBytes;
    if (capacity === undefined) return;
    const used = this.totalLogBytes();
    if (used + incomingBytes > capacity) {
      throw new KafkaError(
        'KAFKA_STORAGE_ERROR',
        `the data volume is full: ${used} of ${capacity} bytes used (log.dirs.capacity.bytes)`,
      );
    }
  }

  totalLogBytes(): number {
    let total = 0;
    for (const log of this.logs.values()) total += log.size;
    return total;
  }

  diskUsage(): DiskUsage[] {
    return this.options.logDirs.map((dir) => {
      let logBytes = 0;
      for (const [key, d] of this.dirOf) if (d === dir) logBytes += this.logs.get(key)!.size;
      const capacity = this.capacityBytes;
      if (capacity !== undefined) {
        return {
          dir,
          totalBytes: capacity,
          usableBytes: Math.max(0, capacity - this.totalLogBytes()),
          logBytes,
        };
      }
      const stats = this.options.fs.statfsSync(dir);
      return { dir, totalBytes: stats.totalBytes, usableBytes: stats.freeBytes, logBytes };
    });
  }

  /** Retention for every log; returns the number of segments deleted. */
  runRetention(): number {
    const now = this.options.clock.now();
    let deleted = 0;
    for (const log of this.logs.values()) deleted += log.deleteOldSegments(now);
    if (deleted > 0) this.checkpointLogStartOffsets();
    return deleted;
  }

  /** Flushes the logs whose `flush.ms` has passed. */
  async flushDueLogs(): Promise<void> {
    const now = this.options.clock.now();
    await Promise.all(
      [...this.logs.values()].filter((log) => log.flushDue(now)).map((log) => log.flush(now)),
    );
  }

  /** Compacts every compacted log that is dirty enough; returns how many were cleaned. */
  async runCleaner(cleaner: LogCleaner): Promise<number> {
    let cleaned = 0;
    for (const log of [...this.logs.values()]) {
      if (!this.logs.has(log.key)) continue;
      try {
        if (await cleaner.maybeClean(log, this.options.clock.now())) cleaned++;
      } catch (error) {
        this.options.logger.error(
          { err: error, partition: log.key },
          'compaction failed; the log is left as it was',
        );
      }
    }
    if (cleaned > 0) this.checkpointCleanerOffsets();
    return cleaned;
  }

  expireProducers(): void {
    const now = this.options.clock.now();
    for (const log of this.logs.values()) log.producerState.expire(now, this.options.producerIdExpirationMs);
  }

  checkpointRecoveryPoints(): void {
    this.warnOfFailures(this.writeRecoveryPoints());
  }

  checkpointHighWatermarks(): void {
    this.warnOfFailures(this.writeHighWatermarks());
  }

  checkpointLogStartOffsets(): void {
    this.warnOfFailures(this.writeLogStartOffsets());
  }

  private checkpointCleanerOffsets(): void {
    this.warnOfFailures(this.writeCleanerOffsets());
  }

  private writeRecoveryPoints(): WriteFailure[] {
    return this.writeCheckpointPerDir(RECOVERY_POINT_CHECKPOINT, (log) => log.recoveryPoint);
  }

  private writeHighWatermarks(): WriteFailure[] {
    return this.writeCheckpointPerDir(HIGH_WATERMARK_CHECKPOINT, (log) => log.highWatermark);
  }

  private writeLogStartOffsets(): WriteFailure[] {
    return this.writeCheckpointPerDir(LOG_START_OFFSET_CHECKPOINT, (log) => log.logStartOffset);
  }

  private writeCleanerOffsets(): WriteFailure[] {
    return this.writeCheckpointPerDir(CLEANER_OFFSET_CHECKPOINT, (log) => log.firstDirtyOffset);
  }

  /** Writes a checkpoint in every log dir; never throws, returns what could not be written. */
  private writeCheckpointPerDir(file: string, value: (log: PartitionLog) => number): WriteFailure[] {
    const failures: WriteFailure[] = [];
    for (const dir of this.options.logDirs) {
      const offsets = new Map<string, number>();
      for (const [key, d] of this.dirOf) if (d === dir) offsets.set(key, value(this.logs.get(key)!));
      const path = join(dir, file);
      const error = tryWriteCheckpoint(this.options.fs, path, offsetCheckpointEntries(offsets));
      if (error) {
        failures.push({ dir, what: path, error });
      } else if (this.failingCheckpoints.delete(path)) {
        this.options.logger.info({ file: path }, 'checkpoint written again');
      }
    }
    return failures;
  }

  /** A warning for each checkpoint that has just started failing (not again on every retry). */
  private warnOfFailures(failures: readonly WriteFailure[]): void {
    for (const { what, error } of failures) {
      if (this.failingCheckpoints.has(what)) continue;
      this.failingCheckpoints.add(what);
      this.options.logger.warn(
        { file: what, err: error },
        'could not write a checkpoint: it keeps its previous content, retried on the next checkpoint',
      );
    }
  }

  /** Marks the log dirs unusable after an I/O error: every later append is refused. */
  markOffline(): void {
    this.offline = true;
  }

  /**
   * Clean shutdown: flush everything, persist indexes and producer state, write the checkpoints,
   * and last the marker that tells the next start all of that can be trusted. Every step is
   * best-effort, so a full disk does not stop the shutdown; a log dir where anything failed gets
   * no marker (its next start recovers its logs), and one warning lists what failed.
   */
  async shutdown(): Promise<void> {
    const logs = [...this.logs.values()];
    const failures: WriteFailure[] = [];
    const failed = (log: PartitionLog, what: string, error: unknown): void => {
      failures.push({ dir: this.dirOf.get(log.key)!, what: `${what} of ${log.key}`, error });
    };
    await Promise.all(logs.map((log) => log.flush().catch((error: unknown) => failed(log, 'flush', error))));
    for (const log of logs) {
      try {
        log.close();
      } catch (error) {
        failed(log, 'producer snapshot and indexes', error);
      }
    }
    failures.push(
      ...this.writeRecoveryPoints(),
      ...this.writeLogStartOffsets(),
      ...this.writeHighWatermarks(),
      ...this.writeCleanerOffsets(),
    );
    for (const dir of this.options.logDirs) {
      if (this.offline || failures.some((f) => f.dir === dir)) continue;
      try {
        this.options.fs.writeFileAtomicSync(join(dir, CLEAN_SHUTDOWN_FILE), '');
      } catch (error) {
        failures.push({ dir, what: join(dir, CLEAN_SHUTDOWN_FILE), error });
      }
    }
    if (failures.length > 0) {
      this.options.logger.warn(
        { failed: failures.map((f) => f.what), err: failures[0]!.error },
        'clean shutdown could not write everything: without a clean-shutdown marker, the next start recovers the logs',
      );
    }
    this.logs.clear();
    this.dirOf.clear();
  }
}
