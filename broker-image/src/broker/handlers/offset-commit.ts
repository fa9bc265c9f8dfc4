import { OffsetCommit } from '../../protocol/messages/offset-commit.js';
import { defineHandler } from '../api-handler.js';

export const offsetCommitHandler = defineHandler(OffsetCommit, async (request, { services }) => {
  const partitions = request.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.name,
      partition: p.partitionIndex,
      offset: p.committedOffset,
      leaderEpoch: p.committedLeaderEpoch,
      metadata: p.committedMetadata,
    })),
  );
  const codes = await services.groups.commitOffsets(
    request.groupId,
    request.generationIdOrMemberEpoch,
    request.memberId,
    request.groupInstanceId,
    partitions,
    (topic, partition) => {
      const metadata = services.metadata.topic(topic);
      return !!metadata && partition >= 0 && partition < metadata.partitions.length;
    },
  );
  let i = 0;
  return {
    throttleTimeMs: 0,
    topics: request.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codes[i++]! })),
    })),
  };
});
