import { ERROR_CODES, KafkaError, errorCodeOf } from '../../protocol/errors.js';
import { DeleteRecords } from '../../protocol/messages/delete-records.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedTopic } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';

/** DeleteRecords: moves each partition's log start offset up to the given offset (-1: the high watermark). */
export const deleteRecordsHandler = defineHandler(DeleteRecords, (request, context) => {
  const { services } = context;
  const topics = request.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => {
      try {
        // As Kafka: DELETE on the topic.
        if (!authorizedTopic(context, AclOperation.DELETE, t.name))
          throw new KafkaError('TOPIC_AUTHORIZATION_FAILED');
        const partition = services.replicaManager.leaderPartition(t.name, p.partitionIndex);
        const log = partition.log;
        const offset = p.offset === -1 ? log.highWatermark : p.offset;
        if (offset < 0) throw new KafkaError('OFFSET_OUT_OF_RANGE', `invalid offset ${p.offset}`);
        return {
          partitionIndex: p.partitionIndex,
          lowWatermark: log.deleteRecordsBefore(offset),
          errorCode: ERROR_CODES.NONE,
        };
      } catch (error) {
        return { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: errorCodeOf(error) };
      }
    }),
  }));
  services.logManager.checkpointLogStartOffsets();
  return { throttleTimeMs: 0, topics };
});
