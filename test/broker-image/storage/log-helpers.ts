import pino from 'pino';
import { buildRecordBatch, type NewRecord } from '../../../broker-image/src/protocol/records/records.js';
import { nodeFileSystem } from '../../../broker-image/src/storage/file-system.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../../broker-image/src/storage/log-config.js';
import { PartitionLog, type AppendResult } from '../../../broker-image/src/storage/partition-log.js';

export const silentLogger = pino({ level: 'silent' });

/**
 * A log's settings for these tests, which drive the log with a clock of their own while records
 * carry the wall clock's timestamps: CreateTime timestamps are not bounded unless a test says so.
 */
export function config(overrides: Partial<LogConfig> = {}): LogConfig {
  return {
    ...DEFAULT_LOG_CONFIG,
    messageTimestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
    messageTimestampAfterMaxMs: Number.MAX_SAFE_INTEGER,
    ...overrides,
  };
}

export function values(...texts: string[]): NewRecord[] {
  return texts.map((text) => ({ key: null, value: Buffer.from(text) }));
}

export function batchOf(texts: string[], options: Parameters<typeof buildRecordBatch>[1] = {}): Buffer {
  return buildRecordBatch(values(...texts), options);
}

export function createLog(dir: string, overrides: Partial<LogConfig> = {}, now = 1_000_000): PartitionLog {
  return PartitionLog.create(nodeFileSystem, dir, { topic: 't', partition: 0 }, config(overrides), now);
}

/** Appends as a lone leader: the high watermark follows the log end. */
export async function append(
  log: PartitionLog,
  records: Buffer,
  leaderEpoch: number,
  now: number,
): Promise<AppendResult> {
  const result = await log.appendAsLeader(records, leaderEpoch, now);
  log.updateHighWatermark(log.logEndOffset);
  return result;
}
