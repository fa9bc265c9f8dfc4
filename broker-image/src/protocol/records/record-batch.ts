import { KafkaError } from '../errors.js';
import { crc32c } from './crc32c.js';

/**
 * RecordBatch (magic v2) header layout. The CRC covers everything from the attributes to the end
 * of the batch, so the base offset and the partition leader epoch can be rewritten in place.
 */
export const BASE_OFFSET_OFFSET = 0;
export const LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORDS_COUNT_OFFSET = 57;
export const RECORDS_OFFSET = 61;

/** Base offset and length: the part of a batch outside its `batchLength`. */
export const LOG_OVERHEAD = 12;
export const RECORD_BATCH_HEADER_SIZE = RECORDS_OFFSET;
export const CURRENT_MAGIC = 2;

export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_MASK = 0x10;
export const CONTROL_MASK = 0x20;

export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;

const TWO_POW_32 = 2 ** 32;

function readInt64(buffer: Buffer, at: number): number {
  return buffer.readInt32BE(at) * TWO_POW_32 + buffer.readUInt32BE(at + 4);
}

function writeInt64(buffer: Buffer, at: number, value: number): void {
  const hi = Math.floor(value / TWO_POW_32);
  buffer.writeInt32BE(hi, at);
  buffer.writeUInt32BE(value - hi * TWO_POW_32, at + 4);
}

/**
 * A view over one RecordBatch in a buffer: reads header fields where they lie and rewrites the
 * few a broker may change, without decoding the records.
 */
export class RecordBatch {
  constructor(readonly buffer: Buffer) {}

  get baseOffset(): number {
    return readInt64(this.buffer, BASE_OFFSET_OFFSET);
  }
  get batchLength(): number {
    return this.buffer.readInt32BE(LENGTH_OFFSET);
  }
  /** Bytes of the whole batch, header included. */
  get sizeInBytes(): number {
    return LOG_OVERHEAD + this.batchLength;
  }
  get partitionLeaderEpoch(): number {
    return this.buffer.readInt32BE(PARTITION_LEADER_EPOCH_OFFSET);
  }
  get magic(): number {
    return this.buffer.readInt8(MAGIC_OFFSET);
  }
  get crc(): number {
    return this.buffer.readUInt32BE(CRC_OFFSET);
  }
  get attributes(): number {
    return this.buffer.readInt16BE(ATTRIBUTES_OFFSET);
  }
  get compression(): number {
    return this.attributes & COMPRESSION_MASK;
  }
  get isLogAppendTime(): boolean {
    return (this.attributes & TIMESTAMP_TYPE_MASK) !== 0;
  }
  get isTransactional(): boolean {
    return (this.attributes & TRANSACTIONAL_MASK) !== 0;
  }
  get isControl(): boolean {
    return (this.attributes & CONTROL_MASK) !== 0;
  }
  get lastOffsetDelta(): number {
    return this.buffer.readInt32BE(LAST_OFFSET_DELTA_OFFSET);
  }
  get lastOffset(): number {
    return this.baseOffset + this.lastOffsetDelta;
  }
  get nextOffset(): number {
    return this.lastOffset + 1;
  }
  get baseTimestamp(): number {
    return readInt64(this.buffer, BASE_TIMESTAMP_OFFSET);
  }
  get maxTimestamp(): number {
    return readInt64(this.buffer, MAX_TIMESTAMP_OFFSET);
  }
  get producerId(): number {
    return readInt64(this.buffer, PRODUCER_ID_OFFSET);
  }
  get producerEpoch(): number {
    return this.buffer.readInt16BE(PRODUCER_EPOCH_OFFSET);
  }
  get baseSequence(): number {
    return this.buffer.readInt32BE(BASE_SEQUENCE_OFFSET);
  }
  get lastSequence(): number {
    const base = this.baseSequence;
    if (base === NO_SEQUENCE) return NO_SEQUENCE;
    // sequences wrap at Integer.MAX_VALUE
    const last = base + this.lastOffsetDelta;
    return last > 0x7fffffff ? last - 0x7fffffff - 1 : last;
  }
  get recordsCount(): number {
    return this.buffer.readInt32BE(RECORDS_COUNT_OFFSET);
  }
  get hasProducerId(): boolean {
    return this.producerId >= 0;
  }

  computeCrc(): number {
    return crc32c(this.buffer.subarray(ATTRIBUTES_OFFSET, this.sizeInBytes));
  }

  isValid(): boolean {
    return this.crc === this.computeCrc();
  }

  /** Rewrites the base offset and leader epoch; both lie outside the CRC. */
  assignOffsets(baseOffset: number, partitionLeaderEpoch: number): void {
    writeInt64(this.buffer, BASE_OFFSET_OFFSET, baseOffset);
    this.buffer.writeInt32BE(partitionLeaderEpoch, PARTITION_LEADER_EPOCH_OFFSET);
  }

  /** Marks the batch as LogAppendTime with the broker's time, and recomputes the CRC. */
  setLogAppendTime(now: number): void {
    this.buffer.writeInt16BE(this.attributes | TIMESTAMP_TYPE_MASK, ATTRIBUTES_OFFSET);
    writeInt64(this.buffer, MAX_TIMESTAMP_OFFSET, now);
    this.buffer.writeUInt32BE(this.computeCrc(), CRC_OFFSET);
  }

  /** The record payload (compressed or not). */
  get recordsPayload(): Buffer {
    return this.buffer.subarray(RECORDS_OFFSET, this.sizeInBytes);
  }
}

/**
 * Walks the batches of a record set. Stops at the first incomplete batch; `validBytes` says how
 * far whole batches reach.
 */
export function* batchesOf(records: Buffer): Generator<RecordBatch> {
  let at = 0;
  while (at + LOG_OVERHEAD <= records.length) {
    const size = LOG_OVERHEAD + records.readInt32BE(at + LENGTH_OFFSET);
    if (size < RECORD_BATCH_HEADER_SIZE || at + size > records.length) return;
    yield new RecordBatch(records.subarray(at, at + size));
    at += size;
  }
}

export interface RecordSetSummary {
  readonly batches: RecordBatch[];
  readonly recordCount: number;
  readonly maxTimestamp: number;
  readonly offsetOfMaxTimestamp: number;
}

/**
 * Checks a produced record set the way Kafka's log validator does before anything is written:
 * whole batches only, magic v2, a CRC that matches, consistent offsets and counts.
 * Throws a {@link KafkaError} with the code the producer should see.
 */
export function validateProducedRecords(records: Buffer, maxBatchBytes: number): RecordBatch[] {
  return validateRecordSet(records, maxBatchBytes, { controlAllowed: false });
}

/**
 * The same checks for batches a follower copies from its leader: any size, and control batches
 * (transaction markers) allowed, since the leader wrote them itself.
 */
export function validateReplicatedRecords(records: Buffer): RecordBatch[] {
  return validateRecordSet(records, Number.MAX_SAFE_INTEGER, { controlAllowed: true });
}

function validateRecordSet(
  records: Buffer,
  maxBatchBytes: number,
  options: { readonly controlAllowed: boolean },
): RecordBatch[] {
  const batches: RecordBatch[] = [];
  let at = 0;
  if (records.length === 0) throw new KafkaError('INVALID_RECORD', 'empty record set');
  while (at < records.length) {
    if (records.length - at > MAGIC_OFFSET) {
      const magic = records.readInt8(at + MAGIC_OFFSET);
      if (magic !== CURRENT_MAGIC) {
        throw new KafkaError(
          'INVALID_RECORD',
          `only record batches with magic 2 are accepted, not magic ${magic}`,
        );
      }
    }
    if (records.length - at < RECORD_BATCH_HEADER_SIZE) {
      throw new KafkaError('CORRUPT_MESSAGE', 'record set ends inside a batch header');
    }
    const batchLength = records.readInt32BE(at + LENGTH_OFFSET);
    const size = LOG_OVERHEAD + batchLength;
    if (size < RECORD_BATCH_HEADER_SIZE || at + size > records.length) {
      throw new KafkaError(
        'CORRUPT_MESSAGE',
        `record batch length ${batchLength} does not fit the record set`,
      );
    }
    if (size > maxBatchBytes) {
      throw new KafkaError(
        'MESSAGE_TOO_LARGE',
        `record batch of ${size} bytes exceeds max.message.bytes (${maxBatchBytes})`,
      );
    }
    const batch = new RecordBatch(records.subarray(at, at + size));
    if (!batch.isValid()) throw new KafkaError('CORRUPT_MESSAGE', 'record batch CRC does not match');
    const count = batch.recordsCount;
    if (count <= 0 || batch.lastOffsetDelta !== count - 1) {
      throw new KafkaError(
        'INVALID_RECORD',
        `record batch has ${count} records but last offset delta ${batch.lastOffsetDelta}`,
      );
    }
    if (batch.isControl && !options.controlAllowed)
      throw new KafkaError('INVALID_RECORD', 'clients may not produce control batches');
    batches.push(batch);
    at += size;
  }
  return batches;
}
