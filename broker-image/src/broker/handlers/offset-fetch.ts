import { ERROR_CODES, errorCodeOf } from '../../protocol/errors.js';
import { OffsetFetch } from '../../protocol/messages/offset-fetch.js';
import { defineHandler, type BrokerServices } from '../api-handler.js';

interface TopicRequest {
  readonly name: string;
  readonly partitionIndexes: readonly number[];
}

interface TopicOffsets {
  name: string;
  partitions: {
    partitionIndex: number;
    committedOffset: number;
    committedLeaderEpoch: number;
    metadata: string;
    errorCode: number;
  }[];
}

/** One group's committed offsets, grouped by topic (every committed partition when `topics` is null). */
function fetchGroup(
  services: BrokerServices,
  groupId: string,
  topics: readonly TopicRequest[] | null,
): { errorCode: number; topics: TopicOffsets[] } {
  try {
    const wanted =
      topics?.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition }))) ?? null;
    const found = services.groups.fetchOffsets(groupId, wanted);
    const byTopic = new Map<string, TopicOffsets>();
    for (const o of found) {
      let entry = byTopic.get(o.topic);
      if (!entry) {
        entry = { name: o.topic, partitions: [] };
        byTopic.set(o.topic, entry);
      }
      entry.partitions.push({
        partitionIndex: o.partition,
        committedOffset: o.offset,
        committedLeaderEpoch: o.leaderEpoch,
        metadata: o.metadata,
        errorCode: o.errorCode,
      });
    }
    return { errorCode: ERROR_CODES.NONE, topics: [...byTopic.values()] };
  } catch (error) {
    const errorCode = errorCodeOf(error);
    const failed = (topics ?? []).map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => ({
        partitionIndex,
        committedOffset: -1,
        committedLeaderEpoch: -1,
        metadata: '',
        errorCode,
      })),
    }));
    return { errorCode, topics: failed };
  }
}

/** OffsetFetch: one group (v1-7, errors per partition before v2) or a batch of groups (v8). */
export const offsetFetchHandler = defineHandler(OffsetFetch, (request, { services, apiVersion }) => {
  if (apiVersion >= 8) {
    return {
      throttleTimeMs: 0,
      groups: request.groups.map((g) => {
        const result = fetchGroup(services, g.groupId, g.topics);
        return { groupId: g.groupId, topics: result.topics, errorCode: result.errorCode };
      }),
    };
  }
  const result = fetchGroup(
    services,
    request.groupId,
    apiVersion >= 2 ? request.topics : (request.topics ?? []),
  );
  return { throttleTimeMs: 0, topics: result.topics, errorCode: result.errorCode };
});
