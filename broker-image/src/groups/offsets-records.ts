import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';
import { decodeMessage, encodeMessage } from '../protocol/schema/codec.js';
import { t, type Decoded, type Encodable, type Fields } from '../protocol/schema/fields.js';

/**
 * The records of `__consumer_offsets`, in Kafka's own layouts: a key with an int16 version
 * (0-1: a committed offset, 2: group metadata) and a value with its own int16 version; a null
 * value is a tombstone. Declared with the protocol's field DSL and encoded by the same engine.
 */

const OffsetCommitKey = {
  group: t.string(),
  topic: t.string(),
  partition: t.int32(),
};

const OffsetCommitValue = {
  offset: t.int64(),
  leaderEpoch: t.int32({ v: '3+', default: -1 }),
  metadata: t.string(),
  commitTimestamp: t.int64(),
  expireTimestamp: t.int64({ v: '1', default: -1 }),
};

const GroupMetadataKey = {
  group: t.string(),
};

const GroupMetadataValue = {
  protocolType: t.string(),
  generation: t.int32(),
  protocol: t.string({ nullable: '0+' }),
  leader: t.string({ nullable: '0+' }),
  currentStateTimestamp: t.int64({ v: '2+', default: -1 }),
  members: t.array({
    memberId: t.string(),
    groupInstanceId: t.string({ v: '3+', nullable: '3+', default: null }),
    clientId: t.string(),
    clientHost: t.string(),
    rebalanceTimeout: t.int32({ v: '1+', default: -1 }),
    sessionTimeout: t.int32(),
    subscription: t.bytes(),
    assignment: t.bytes(),
  }),
};

/** Versions we write: the newest non-flexible ones Kafka reads everywhere. */
const OFFSET_COMMIT_KEY_VERSION = 1;
const OFFSET_COMMIT_VALUE_VERSION = 3;
const GROUP_METADATA_KEY_VERSION = 2;
const GROUP_METADATA_VALUE_VERSION = 3;
const FLEXIBLE_VALUES_FROM = 4;

export type OffsetCommitKeyData = Decoded<typeof OffsetCommitKey>;
export type OffsetCommitValueData = Decoded<typeof OffsetCommitValue>;
export type GroupMetadataValueData = Decoded<typeof GroupMetadataValue>;

function encodeVersioned<F extends Fields>(
  fields: F,
  version: number,
  value: Encodable<F>,
  flexible: boolean,
): Buffer {
  const w = new Writer(128);
  w.int16(version);
  encodeMessage(fields, value, w, version, flexible);
  return w.toBuffer();
}

export function offsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return encodeVersioned(OffsetCommitKey, OFFSET_COMMIT_KEY_VERSION, { group, topic, partition }, false);
}

export function offsetCommitValue(value: Encodable<typeof OffsetCommitValue>): Buffer {
  return encodeVersioned(OffsetCommitValue, OFFSET_COMMIT_VALUE_VERSION, value, false);
}

export function groupMetadataKey(group: string): Buffer {
  return encodeVersioned(GroupMetadataKey, GROUP_METADATA_KEY_VERSION, { group }, false);
}

export function groupMetadataValue(value: Encodable<typeof GroupMetadataValue>): Buffer {
  return encodeVersioned(GroupMetadataValue, GROUP_METADATA_VALUE_VERSION, value, false);
}

export type OffsetsTopicRecord =
  | { kind: 'offset'; key: OffsetCommitKeyData; value: OffsetCommitValueData | null }
  | { kind: 'group'; group: string; value: GroupMetadataValueData | null };

/** Parses one record of `__consumer_offsets`; undefined for record types this broker does not use. */
export function parseOffsetsTopicRecord(key: Buffer, value: Buffer | null): OffsetsTopicRecord | undefined {
  const keyReader = new Reader(key);
  const keyVersion = keyReader.int16();
  if (keyVersion === 0 || keyVersion === 1) {
    const parsedKey = decodeMessage(OffsetCommitKey, keyReader, keyVersion, false);
    if (value === null) return { kind: 'offset', key: parsedKey, value: null };
    const valueReader = new Reader(value);
    const valueVersion = valueReader.int16();
    return {
      kind: 'offset',
      key: parsedKey,
      value: decodeMessage(
        OffsetCommitValue,
        valueReader,
        valueVersion,
        valueVersion >= FLEXIBLE_VALUES_FROM,
      ),
    };
  }
  if (keyVersion === 2) {
    const { group } = decodeMessage(GroupMetadataKey, keyReader, keyVersion, false);
    if (value === null) return { kind: 'group', group, value: null };
    const valueReader = new Reader(value);
    const valueVersion = valueReader.int16();
    return {
      kind: 'group',
      group,
      value: decodeMessage(
        GroupMetadataValue,
        valueReader,
        valueVersion,
        valueVersion >= FLEXIBLE_VALUES_FROM,
      ),
    };
  }
  return undefined;
}
