import { COMPRESSION_NAMES } from '../protocol/records/compression.js';
import type { RecordBatch } from '../protocol/records/record-batch.js';
import { buildRecordBatch, recordsOf } from '../protocol/records/records.js';
import type { LogConfig } from './log-config.js';

/**
 * The record set as the topic's `compression.type` wants it stored: unchanged for `producer` or
 * when every batch already uses the codec; otherwise each batch is rebuilt with the topic's codec,
 * keeping its records, timestamps, headers, producer id, epoch and sequence.
 */
export function recompressForTopic(
  records: Buffer,
  batches: readonly RecordBatch[],
  compressionType: LogConfig['compressionType'],
): Buffer {
  if (compressionType === 'producer') return records;
  const codec = COMPRESSION_NAMES[compressionType]!;
  if (batches.every((b) => b.compression === codec)) return records;
  return Buffer.concat(
    batches.map((batch) => {
      if (batch.compression === codec) return batch.buffer;
      const base = batch.baseOffset;
      return buildRecordBatch(
        recordsOf(batch).map((r) => ({
          key: r.key,
          value: r.value,
          headers: r.headers,
          timestamp: r.timestamp,
          offsetDelta: r.offset - base,
        })),
        {
          baseOffset: base,
          compression: codec,
          timestamp: batch.maxTimestamp,
          producerId: batch.producerId,
          producerEpoch: batch.producerEpoch,
          baseSequence: batch.baseSequence,
          transactional: batch.isTransactional,
          logAppendTime: batch.isLogAppendTime,
          lastOffsetDelta: batch.lastOffsetDelta,
        },
      );
    }),
  );
}
