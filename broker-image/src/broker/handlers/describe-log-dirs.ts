import { ERROR_CODES } from '../../protocol/errors.js';
import { DescribeLogDirs } from '../../protocol/messages/describe-log-dirs.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedCluster } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';

/**
 * DescribeLogDirs: each log dir of this broker with the partitions in it (size, and for followers
 * how far behind the leader's high watermark they are), and the dir's capacity.
 */
export const describeLogDirsHandler = defineHandler(DescribeLogDirs, (request, context) => {
  const { services } = context;
  // As Kafka: DESCRIBE on the cluster, else no dirs and (from v3) CLUSTER_AUTHORIZATION_FAILED.
  if (!authorizedCluster(context, AclOperation.DESCRIBE))
    return { throttleTimeMs: 0, errorCode: ERROR_CODES.CLUSTER_AUTHORIZATION_FAILED, results: [] };
  const wanted =
    request.topics === null ? null : new Map(request.topics.map((t) => [t.topic, new Set(t.partitions)]));
  const usage = new Map(services.logManager.diskUsage().map((d) => [d.dir, d]));
  const results = services.logManager.logDirs.map((dir) => {
    const byTopic = new Map<
      string,
      { partitionIndex: number; partitionSize: number; offsetLag: number; isFutureKey: boolean }[]
    >();
    for (const partition of services.replicaManager.allPartitions()) {
      if (services.logManager.logDirOf({ topic: partition.topic, partition: partition.index }) !== dir)
        continue;
      if (wanted && !wanted.get(partition.topic)?.has(partition.index)) continue;
      const list = byTopic.get(partition.topic) ?? [];
      list.push({
        partitionIndex: partition.index,
        partitionSize: partition.log.size,
        offsetLag: Math.max(0, partition.log.highWatermark - partition.log.logEndOffset),
        isFutureKey: false,
      });
      byTopic.set(partition.topic, list);
    }
    return {
      errorCode: ERROR_CODES.NONE,
      logDir: dir,
      topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
      totalBytes: usage.get(dir)?.totalBytes ?? -1,
      usableBytes: usage.get(dir)?.usableBytes ?? -1,
    };
  });
  return { throttleTimeMs: 0, errorCode: ERROR_CODES.NONE, results };
});
