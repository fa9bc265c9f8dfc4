import { ERROR_CODES } from '../../protocol/errors.js';
import { OffsetCommit } from '../../protocol/messages/offset-commit.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedGroup, authorizedTopic } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';

/**
 * OffsetCommit. As Kafka: READ on the group (else every partition is GROUP_AUTHORIZATION_FAILED)
 * and READ on each topic (else its partitions are TOPIC_AUTHORIZATION_FAILED, the rest committed).
 */
export const offsetCommitHandler = defineHandler(OffsetCommit, async (request, context) => {
  const { services } = context;
  const respond = (codes: readonly number[]) => {
    let i = 0;
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codes[i++]! })),
      })),
    };
  };
  const requested = request.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.name,
      partition: p.partitionIndex,
      offset: p.committedOffset,
      leaderEpoch: p.committedLeaderEpoch,
      metadata: p.committedMetadata,
    })),
  );
  if (!authorizedGroup(context, AclOperation.READ, request.groupId))
    return respond(requested.map(() => ERROR_CODES.GROUP_AUTHORIZATION_FAILED));
  const readable = new Map(
    request.topics.map((t) => [t.name, authorizedTopic(context, AclOperation.READ, t.name)]),
  );
  const partitions = requested.filter((p) => readable.get(p.topic));
  const committed =
    partitions.length === 0 && requested.length > 0
      ? []
      : await services.groups.commitOffsets(
          request.groupId,
          request.generationIdOrMemberEpoch,
          request.memberId,
          request.groupInstanceId,
          partitions,
          (topic, partition) => {
            const metadata = services.metadata.topic(topic);
            return !!metadata && partition >= 0 && partition < metadata.partitions.length;
          },
          context.apiVersion,
        );
  let next = 0;
  return respond(
    requested.map((p) =>
      readable.get(p.topic) ? committed[next++]! : ERROR_CODES.TOPIC_AUTHORIZATION_FAILED,
    ),
  );
});
