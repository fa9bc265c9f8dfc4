import { ERROR_CODES, KafkaError, errorCodeOf } from '../../protocol/errors.js';
import { ListOffsets } from '../../protocol/messages/list-offsets.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedTopic } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';
import { READ_COMMITTED } from '../replica-manager.js';

/** ListOffsets' special timestamps. */
const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;

/**
 * ListOffsets: the earliest offset, the latest (high watermark; the last stable offset under
 * read_committed), the first offset at or after a
 * timestamp, or the record with the largest timestamp.
 */
export const listOffsetsHandler = defineHandler(ListOffsets, (request, context) => ({
  throttleTimeMs: 0,
  topics: request.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => {
      const { services } = context;
      try {
        // As Kafka: DESCRIBE on the topic.
        if (!authorizedTopic(context, AclOperation.DESCRIBE, t.name))
          throw new KafkaError('TOPIC_AUTHORIZATION_FAILED');
        const partition = services.replicaManager.leaderPartition(t.name, p.partitionIndex);
        partition.validateLeaderEpoch(p.currentLeaderEpoch);
        const log = partition.log;
        // As Kafka: read_committed sees up to the last stable offset, read_uncommitted the high watermark.
        const lastFetchable =
          request.isolationLevel === READ_COMMITTED ? log.lastStableOffset : log.highWatermark;
        const ok = (
          offset: number,
          timestamp: number,
          leaderEpoch = log.leaderEpochCache.epochForOffset(offset),
        ) => ({
          partitionIndex: p.partitionIndex,
          errorCode: ERROR_CODES.NONE,
          timestamp,
          offset,
          leaderEpoch,
        });
        switch (p.timestamp) {
          case LATEST:
            return ok(lastFetchable, -1, partition.leaderEpoch);
          case EARLIEST:
            return ok(log.logStartOffset, -1);
          case MAX_TIMESTAMP: {
            const found = log.offsetOfMaxTimestamp();
            return found ? ok(found.offset, found.timestamp) : ok(-1, -1, -1);
          }
          default: {
            if (p.timestamp < 0)
              throw new KafkaError('INVALID_REQUEST', `unsupported ListOffsets timestamp ${p.timestamp}`);
            const found = log.offsetForTimestamp(p.timestamp, lastFetchable);
            return found ? ok(found.offset, found.timestamp) : ok(-1, -1, -1);
          }
        }
      } catch (error) {
        return {
          partitionIndex: p.partitionIndex,
          errorCode: errorCodeOf(error),
          timestamp: -1,
          offset: -1,
          leaderEpoch: -1,
        };
      }
    }),
  })),
}));
