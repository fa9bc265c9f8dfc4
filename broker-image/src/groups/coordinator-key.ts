/**
 * Which `__consumer_offsets` partition a group lives in: Kafka's rule,
 * `abs(groupId.hashCode()) % offsets.topic.num.partitions`, with Java's String.hashCode, so a
 * group lands on the same partition as it would in Kafka.
 */
export function javaStringHashCode(value: string): number {
  let hash = 0;
  for (let i = 0; i < value.length; i++) hash = (Math.imul(hash, 31) + value.charCodeAt(i)) | 0;
  return hash;
}

export function offsetsPartitionFor(groupId: string, partitions: number): number {
  const hash = javaStringHashCode(groupId);
  // Kafka's Utils.abs maps Integer.MIN_VALUE to 0.
  const abs = hash === -0x80000000 ? 0 : Math.abs(hash);
  return abs % partitions;
}

export const OFFSETS_TOPIC = '__consumer_offsets';
