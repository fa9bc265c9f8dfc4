import { KafkaError } from '../errors.js';
import type { RecordBatch } from './record-batch.js';
import { buildRecordBatch, recordsOf } from './records.js';

/** Kafka's ControlRecordType: the type field of a control record's key. */
export const ControlRecordType = { ABORT: 0, COMMIT: 1 } as const;

const CONTROL_KEY_VERSION = 0;
const END_TXN_MARKER_VERSION = 0;
const CONTROL_KEY_SIZE = 4;
const END_TXN_MARKER_SIZE = 6;

/** A COMMIT or ABORT marker: the end of a producer's transaction in one partition. */
export interface EndTxnMarker {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly committed: boolean;
}

/**
 * The control batch Kafka writes for a transaction marker: attributes isControl + isTransactional,
 * the producer's id and epoch, no sequence, and one record whose key is (version 0, type 0 ABORT /
 * 1 COMMIT) and whose value is the EndTransactionMarker (version 0, coordinator epoch).
 */
export function buildEndTxnMarkerBatch(marker: EndTxnMarker, timestamp: number): Buffer {
  const key = Buffer.alloc(CONTROL_KEY_SIZE);
  key.writeInt16BE(CONTROL_KEY_VERSION, 0);
  key.writeInt16BE(marker.committed ? ControlRecordType.COMMIT : ControlRecordType.ABORT, 2);
  const value = Buffer.alloc(END_TXN_MARKER_SIZE);
  value.writeInt16BE(END_TXN_MARKER_VERSION, 0);
  value.writeInt32BE(marker.coordinatorEpoch, 2);
  return buildRecordBatch([{ key, value, timestamp }], {
    timestamp,
    producerId: marker.producerId,
    producerEpoch: marker.producerEpoch,
    transactional: true,
    control: true,
  });
}

/**
 * Reads the marker a control batch carries; undefined for a control batch of another type (Kafka
 * defines others, e.g. KRaft's, which carry no transaction outcome). Malformed keys are INVALID_RECORD.
 */
export function endTxnMarkerOf(batch: RecordBatch): EndTxnMarker | undefined {
  const [record] = recordsOf(batch);
  if (!record?.key || record.key.length < CONTROL_KEY_SIZE)
    throw new KafkaError('INVALID_RECORD', 'control record without a valid key');
  const type = record.key.readInt16BE(2);
  if (type !== ControlRecordType.ABORT && type !== ControlRecordType.COMMIT) return undefined;
  const coordinatorEpoch =
    record.value && record.value.length >= END_TXN_MARKER_SIZE ? record.value.readInt32BE(2) : -1;
  return {
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    coordinatorEpoch,
    committed: type === ControlRecordType.COMMIT,
  };
}
