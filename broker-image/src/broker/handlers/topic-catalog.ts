import type { MetadataStore } from '../../cluster/metadata-store.js';
import type { TopicCatalog } from '../../groups/group-coordinator.js';

/** The topics consumer groups can subscribe to, from the cluster metadata (internal topics left out). */
export function topicCatalog(metadata: MetadataStore): TopicCatalog {
  return {
    byName(name) {
      const topic = metadata.topic(name);
      return topic && !topic.internal
        ? { topicId: topic.topicId, partitions: topic.partitions.length }
        : undefined;
    },
    nameOf(topicId) {
      return metadata.topics().find((t) => t.topicId.equals(topicId))?.name;
    },
    names() {
      return metadata
        .topics()
        .filter((t) => !t.internal)
        .map((t) => t.name);
    },
  };
}
