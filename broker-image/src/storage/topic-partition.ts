/** A topic name and partition index, as Kafka names a partition. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** `<topic>-<partition>`: the partition's directory name and its key in maps. */
export function topicPartitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Parses a partition directory name; topics may contain '-', the partition follows the last one. */
export function parseTopicPartitionDir(name: string): TopicPartition | undefined {
  const at = name.lastIndexOf('-');
  if (at <= 0) return undefined;
  const partition = Number(name.slice(at + 1));
  if (!Number.isInteger(partition) || partition < 0 || String(partition) !== name.slice(at + 1))
    return undefined;
  return { topic: name.slice(0, at), partition };
}
