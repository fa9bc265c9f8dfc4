import { OffsetDelete } from '../../protocol/messages/offset-delete.js';
import { defineHandler } from '../api-handler.js';

export const offsetDeleteHandler = defineHandler(OffsetDelete, async (request, { services }) => {
  const partitions = request.topics.flatMap((t) =>
    t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex })),
  );
  const result = await services.groups.deleteOffsets(request.groupId, partitions);
  let i = 0;
  return {
    errorCode: result.errorCode,
    throttleTimeMs: 0,
    topics: request.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: result.partitionErrors[i++] ?? 0,
      })),
    })),
  };
});
