/**
 * The settings one partition's log runs with: the topic's own configs over the broker's
 * defaults (see config/topic-configs.ts for how they are resolved from property names).
 */
export interface LogConfig {
  readonly segmentBytes: number;
  readonly segmentMs: number;
  readonly retentionMs: number;
  readonly retentionBytes: number;
  readonly indexIntervalBytes: number;
  readonly maxMessageBytes: number;
  readonly flushMessages: number;
  readonly flushMs: number;
  readonly messageTimestampType: 'CreateTime' | 'LogAppendTime';
  /** How far before and after the broker's clock a CreateTime timestamp may be. */
  readonly messageTimestampBeforeMaxMs: number;
  readonly messageTimestampAfterMaxMs: number;
  readonly cleanupPolicy: readonly ('delete' | 'compact')[];
  readonly deleteRetentionMs: number;
  readonly minCompactionLagMs: number;
  readonly minCleanableDirtyRatio: number;
  /** `producer` keeps each batch's own codec; any other value recompresses to it. */
  readonly compressionType: 'producer' | 'uncompressed' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
}

/** Kafka's defaults for a log, before any broker or topic override. */
export const DEFAULT_LOG_CONFIG: LogConfig = {
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  indexIntervalBytes: 4096,
  maxMessageBytes: 1048588,
  flushMessages: Number.MAX_SAFE_INTEGER,
  flushMs: Number.MAX_SAFE_INTEGER,
  messageTimestampType: 'CreateTime',
  messageTimestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
  messageTimestampAfterMaxMs: 60 * 60 * 1000,
  cleanupPolicy: ['delete'],
  deleteRetentionMs: 24 * 60 * 60 * 1000,
  minCompactionLagMs: 0,
  minCleanableDirtyRatio: 0.5,
  compressionType: 'producer',
};
