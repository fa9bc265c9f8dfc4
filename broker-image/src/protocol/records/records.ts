import { Reader } from '../primitives/reader.js';
import { Writer, varintSize, varlongSize } from '../primitives/writer.js';
import { ProtocolError } from '../primitives/protocol-error.js';
import { KafkaError, RecordValidationError, type RecordError } from '../errors.js';
import {
  CompressionType,
  compress,
  decompress,
  isKnownCompression,
  type DecompressionLimit,
} from './compression.js';
import { crc32c } from './crc32c.js';
import {
  ATTRIBUTES_OFFSET,
  CONTROL_MASK,
  CRC_OFFSET,
  CURRENT_MAGIC,
  LOG_OVERHEAD,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  RECORD_BATCH_HEADER_SIZE,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_MASK,
  type RecordBatch,
} from './record-batch.js';

export interface RecordHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

/** One record of a batch, with its absolute offset and timestamp. */
export interface Record {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
}

/**
 * Decodes every record of a batch (decompressing it if needed). A batch whose records do not parse
 * is INVALID_RECORD.
 */
export function recordsOf(batch: RecordBatch): Record[] {
  return invalidRecordIfMalformed(() => decodeRecords(batch));
}

export interface ProducedRecordsCheck {
  /** How far the records of a compressed batch may decompress. */
  readonly decompression: DecompressionLimit;
  /** Set on a compacted topic: every record needs a key. Names the partition for the error. */
  readonly keysRequiredIn?: string;
  /**
   * Set for a CreateTime topic: the range a record's timestamp must be in (from the broker's clock,
   * `message.timestamp.before.max.ms` and `.after.max.ms`), else INVALID_TIMESTAMP.
   */
  readonly timestamps?: { readonly min: number; readonly max: number };
}

/**
 * Checks every record of a produced batch as Kafka's LogValidator reads them, without decoding
 * them into objects: a codec Kafka defines (else UNSUPPORTED_COMPRESSION_TYPE), a compressed
 * payload that decompresses within the limit, then in the records themselves exactly the count
 * the header says, offset deltas 0, 1, 2..., timestamps the broker can hold exactly, lengths and
 * counts consistent and nothing after the last record (else INVALID_RECORD). An uncompressed batch
 * is walked where it lies. Nothing here is needed for a follower's copy of its leader's batches.
 */
export function checkProducedRecords(batch: RecordBatch, check: ProducedRecordsCheck): void {
  const codec = batch.compression;
  if (codec === CompressionType.NONE) {
    walkRecords(batch, batch.recordsPayload, 'records', check);
    return;
  }
  if (!isKnownCompression(codec)) {
    throw new KafkaError(
      'UNSUPPORTED_COMPRESSION_TYPE',
      `record batch attributes name compression codec ${codec}, which Kafka does not define`,
    );
  }
  let payload: Buffer;
  try {
    payload = decompress(codec, batch.recordsPayload, check.decompression);
  } catch (error) {
    // The CRC matched, so the producer compressed these bytes wrong: a retry cannot help.
    if (error instanceof KafkaError && error.code === 'CORRUPT_MESSAGE')
      throw new KafkaError('INVALID_RECORD', `${CODEC_NAMES[codec]} record batch: ${error.message}`);
    throw error;
  }
  walkRecords(batch, payload, `${CODEC_NAMES[codec]} records`, check);
}

/** A record with no timestamp (-1) is not checked against the timestamp range. */
const NO_TIMESTAMP = -1;

const CODEC_NAMES = ['uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/** The record walk of {@link checkProducedRecords}, over the batch's uncompressed records. */
function walkRecords(
  batch: RecordBatch,
  records: Buffer,
  what: string,
  { keysRequiredIn, timestamps }: ProducedRecordsCheck,
): void {
  const r = new Reader(records);
  const count = batch.recordsCount;
  const baseTimestamp = batch.baseTimestamp;
  const timestampErrors: RecordError[] = [];
  const keyErrors: RecordError[] = [];
  invalidRecordIfMalformed(() => {
    for (let i = 0; i < count; i++) {
      const length = r.varint();
      if (length <= 0 || length > r.remaining)
        throw new ProtocolError(`record ${i} length ${length} is invalid`);
      const end = r.offset + length;
      r.skip(1);
      const timestamp = baseTimestamp + r.varlong();
      if (!Number.isSafeInteger(timestamp))
        throw new ProtocolError(`record ${i} has a timestamp out of range (${timestamp})`);
      if (
        timestamps &&
        timestamp !== NO_TIMESTAMP &&
        (timestamp < timestamps.min || timestamp > timestamps.max)
      ) {
        timestampErrors.push({
          batchIndex: i,
          message: `Timestamp ${timestamp} of message with offset ${batch.baseOffset + i} is out of range. The timestamp should be within [${timestamps.min}, ${timestamps.max}]`,
        });
      }
      if (r.varint() !== i) throw new ProtocolError(`record ${i} has offset delta out of sequence`);
      const keySize = r.varint();
      if (keySize < -1) throw new ProtocolError(`record ${i} has an invalid key length`);
      if (keySize > 0) r.skip(keySize);
      if (keySize < 0 && keysRequiredIn !== undefined) {
        keyErrors.push({
          batchIndex: i,
          message: `Compacted topic cannot accept message without key in topic partition ${keysRequiredIn}.`,
        });
      }
      const valueSize = r.varint();
      if (valueSize < -1) throw new ProtocolError(`record ${i} has an invalid value length`);
      if (valueSize > 0) r.skip(valueSize);
      const headers = r.varint();
      if (headers < 0 || headers > r.remaining)
        throw new ProtocolError(`record ${i} has an invalid header count`);
      for (let h = 0; h < headers; h++) {
        const headerKeySize = r.varint();
        if (headerKeySize < 0) throw new ProtocolError(`record ${i} has a null header key`);
        r.skip(headerKeySize);
        const headerValueSize = r.varint();
        if (headerValueSize < -1) throw new ProtocolError(`record ${i} has an invalid header value length`);
        if (headerValueSize > 0) r.skip(headerValueSize);
      }
      if (r.offset !== end) throw new ProtocolError(`record ${i} length does not match its fields`);
    }
    if (r.remaining !== 0) throw new ProtocolError('bytes left after the last record of the batch');
  }, what);
  refuseRecordErrors(timestampErrors, keyErrors);
}

/**
 * Refuses a batch some of whose records break a rule of their topic, naming every one, with
 * Kafka's messages: bad timestamps are INVALID_TIMESTAMP, anything else INVALID_RECORD.
 */
function refuseRecordErrors(timestampErrors: RecordError[], keyErrors: RecordError[]): void {
  const errors = [...timestampErrors, ...keyErrors].sort((a, b) => a.batchIndex - b.batchIndex);
  if (errors.length === 0) return;
  if (timestampErrors.length > 0) {
    throw new RecordValidationError(
      'INVALID_TIMESTAMP',
      'One or more records have been rejected due to invalid timestamp',
      errors,
    );
  }
  const shown = errors
    .slice(0, 3)
    .map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.message}')`)
    .join(', ');
  throw new RecordValidationError(
    'INVALID_RECORD',
    `One or more records have been rejected due to ${errors.length} record errors in total, and only showing the first three errors at most: [${shown}]`,
    errors,
  );
}

/** Runs a parse of a batch's records, turning a malformed record (a ProtocolError) into INVALID_RECORD. */
function invalidRecordIfMalformed<T>(parse: () => T, what = 'records'): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ProtocolError)
      throw new KafkaError('INVALID_RECORD', `malformed ${what}: ${error.message}`);
    throw error;
  }
}

function decodeRecords(batch: RecordBatch): Record[] {
  const payload = decompress(batch.compression, batch.recordsPayload);
  const r = new Reader(payload);
  const baseOffset = batch.baseOffset;
  const baseTimestamp = batch.baseTimestamp;
  const logAppendTime = batch.isLogAppendTime ? batch.maxTimestamp : undefined;
  const count = batch.recordsCount;
  const out: Record[] = [];
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    const end = r.offset + length;
    r.int8(); // attributes, unused
    const timestampDelta = r.varlong();
    const offsetDelta = r.varint();
    const keyLength = r.varint();
    const key = keyLength < 0 ? null : r.bytesOf(keyLength);
    const valueLength = r.varint();
    const value = valueLength < 0 ? null : r.bytesOf(valueLength);
    const headerCount = r.varint();
    if (headerCount < 0 || headerCount > r.remaining)
      throw new ProtocolError(`invalid header count ${headerCount}`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const headerKeyLength = r.varint();
      if (headerKeyLength < 0) throw new ProtocolError('null record header key');
      const headerKey = r.utf8Of(headerKeyLength);
      const headerValueLength = r.varint();
      headers.push({ key: headerKey, value: headerValueLength < 0 ? null : r.bytesOf(headerValueLength) });
    }
    if (r.offset !== end) throw new ProtocolError(`record ${i} length does not match its fields`);
    out.push({
      offset: baseOffset + offsetDelta,
      timestamp: logAppendTime ?? baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    });
  }
  if (r.remaining !== 0) throw new ProtocolError('bytes left after the last record of a batch');
  return out;
}

export interface NewRecord {
  readonly key?: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: readonly RecordHeader[];
  readonly timestamp?: number;
  /** Offset delta within the batch; defaults to the record's index (compaction keeps gaps). */
  readonly offsetDelta?: number;
}

export interface BatchOptions {
  readonly baseOffset?: number;
  readonly partitionLeaderEpoch?: number;
  readonly compression?: CompressionType;
  readonly timestamp?: number;
  readonly producerId?: number;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  readonly transactional?: boolean;
  readonly control?: boolean;
  readonly logAppendTime?: boolean;
  /** Last offset delta to record, when the last records were compacted away. */
  readonly lastOffsetDelta?: number;
}

function bytesSize(b: Buffer | null | undefined): number {
  return b == null ? varintSize(-1) : varintSize(b.length) + b.length;
}

/** Builds a RecordBatch v2 with a correct CRC. */
export function buildRecordBatch(records: readonly NewRecord[], options: BatchOptions = {}): Buffer {
  if (records.length === 0) throw new Error('a record batch needs at least one record');
  const now = options.timestamp ?? Date.now();
  const baseTimestamp = records[0]!.timestamp ?? now;
  let maxTimestamp = -1;
  const body = new Writer(256);
  records.forEach((rec, index) => {
    const timestamp = rec.timestamp ?? now;
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    const timestampDelta = timestamp - baseTimestamp;
    const offsetDelta = rec.offsetDelta ?? index;
    const headers = rec.headers ?? [];
    let size =
      1 + varlongSize(timestampDelta) + varintSize(offsetDelta) + bytesSize(rec.key) + bytesSize(rec.value);
    size += varintSize(headers.length);
    for (const h of headers) {
      const k = Buffer.from(h.key, 'utf8');
      size += varintSize(k.length) + k.length + bytesSize(h.value);
    }
    body.varint(size).int8(0).varlong(timestampDelta).varint(offsetDelta);
    writeVarBytes(body, rec.key ?? null);
    writeVarBytes(body, rec.value);
    body.varint(headers.length);
    for (const h of headers) {
      writeVarBytes(body, Buffer.from(h.key, 'utf8'));
      writeVarBytes(body, h.value);
    }
  });
  const compression = options.compression ?? 0;
  const payload = compress(compression, body.toBuffer());
  const lastOffsetDelta =
    options.lastOffsetDelta ?? records[records.length - 1]!.offsetDelta ?? records.length - 1;
  let attributes = compression;
  if (options.logAppendTime) attributes |= TIMESTAMP_TYPE_MASK;
  if (options.transactional) attributes |= TRANSACTIONAL_MASK;
  if (options.control) attributes |= CONTROL_MASK;

  const header = new Writer(RECORD_BATCH_HEADER_SIZE);
  header
    .int64(options.baseOffset ?? 0)
    .int32(RECORD_BATCH_HEADER_SIZE - LOG_OVERHEAD + payload.length)
    .int32(options.partitionLeaderEpoch ?? -1)
    .int8(CURRENT_MAGIC)
    .uint32(0) // CRC, filled below
    .int16(attributes)
    .int32(lastOffsetDelta)
    .int64(baseTimestamp)
    .int64(options.logAppendTime ? now : maxTimestamp)
    .int64(options.producerId ?? NO_PRODUCER_ID)
    .int16(options.producerEpoch ?? NO_PRODUCER_EPOCH)
    .int32(options.baseSequence ?? NO_SEQUENCE)
    .int32(records.length);
  const batch = Buffer.concat([header.toBuffer(), payload]);
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  return batch;
}

function writeVarBytes(w: Writer, b: Buffer | null): void {
  if (b === null) {
    w.varint(-1);
    return;
  }
  w.varint(b.length);
  w.raw(b);
}
