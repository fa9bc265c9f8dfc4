import { ERROR_CODES } from '../../protocol/errors.js';
import { OffsetDelete } from '../../protocol/messages/offset-delete.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedGroup, authorizedTopic } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';

/**
 * OffsetDelete. As Kafka: DELETE on the group (else GROUP_AUTHORIZATION_FAILED) and READ on each
 * topic (else its partitions are TOPIC_AUTHORIZATION_FAILED).
 */
export const offsetDeleteHandler = defineHandler(OffsetDelete, async (request, context) => {
  if (!authorizedGroup(context, AclOperation.DELETE, request.groupId))
    return { errorCode: ERROR_CODES.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
  const readable = new Map(
    request.topics.map((t) => [t.name, authorizedTopic(context, AclOperation.READ, t.name)]),
  );
  const partitions = request.topics
    .filter((t) => readable.get(t.name))
    .flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex })));
  const result = await context.services.groups.deleteOffsets(request.groupId, partitions);
  let i = 0;
  return {
    errorCode: result.errorCode,
    throttleTimeMs: 0,
    topics: request.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: readable.get(t.name)
          ? (result.partitionErrors[i++] ?? 0)
          : ERROR_CODES.TOPIC_AUTHORIZATION_FAILED,
      })),
    })),
  };
});
