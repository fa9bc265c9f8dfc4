import { ERROR_CODES, KafkaError, errorCodeOf } from '../../protocol/errors.js';
import { OffsetFetch } from '../../protocol/messages/offset-fetch.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedGroup, authorizedTopic } from '../../security/request-authorization.js';
import { defineHandler, type RequestContext } from '../api-handler.js';

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

/**
 * One group's committed offsets, grouped by topic (every committed partition when `topics` is
 * null). As Kafka: DESCRIBE on the group, else GROUP_AUTHORIZATION_FAILED; a topic asked for
 * without DESCRIBE on it is TOPIC_AUTHORIZATION_FAILED, and left out of "every partition".
 */
function fetchGroup(
  context: RequestContext,
  groupId: string,
  topics: readonly TopicRequest[] | null,
  member?: { memberId: string | null; memberEpoch: number },
): { errorCode: number; topics: TopicOffsets[] } {
  const { services } = context;
  try {
    if (!authorizedGroup(context, AclOperation.DESCRIBE, groupId))
      throw new KafkaError('GROUP_AUTHORIZATION_FAILED');
    const describable = new Map<string, boolean>();
    const allowed = (topic: string): boolean => {
      let answer = describable.get(topic);
      if (answer === undefined) {
        answer = authorizedTopic(context, AclOperation.DESCRIBE, topic);
        describable.set(topic, answer);
      }
      return answer;
    };
    const wanted =
      topics
        ?.filter((t) => allowed(t.name))
        .flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition }))) ?? null;
    const found = services.groups.fetchOffsets(groupId, wanted, member).filter((o) => allowed(o.topic));
    const byTopic = new Map<string, TopicOffsets>();
    for (const t of topics ?? []) {
      if (allowed(t.name)) continue;
      byTopic.set(t.name, {
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => ({
          partitionIndex,
          committedOffset: -1,
          committedLeaderEpoch: -1,
          metadata: '',
          errorCode: ERROR_CODES.TOPIC_AUTHORIZATION_FAILED,
        })),
      });
    }
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

/**
 * OffsetFetch: one group (v1-7, errors per partition before v2) or a batch of groups (v8+); from v9
 * a consumer group member names itself and its epoch (STALE_MEMBER_EPOCH when that is not current).
 */
export const offsetFetchHandler = defineHandler(OffsetFetch, (request, context) => {
  const { apiVersion } = context;
  if (apiVersion >= 8) {
    return {
      throttleTimeMs: 0,
      groups: request.groups.map((g) => {
        const result = fetchGroup(
          context,
          g.groupId,
          g.topics,
          apiVersion >= 9 ? { memberId: g.memberId, memberEpoch: g.memberEpoch } : undefined,
        );
        return { groupId: g.groupId, topics: result.topics, errorCode: result.errorCode };
      }),
    };
  }
  const result = fetchGroup(
    context,
    request.groupId,
    apiVersion >= 2 ? request.topics : (request.topics ?? []),
  );
  return { throttleTimeMs: 0, topics: result.topics, errorCode: result.errorCode };
});
