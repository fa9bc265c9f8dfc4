import type { BrokerCluster } from './broker-cluster.js';
import { waitForPartitions } from './cluster-metadata.js';
import { JAVA_PROGRAMS } from './java-programs.js';
import { javaCommand, KAFKA_TOOLS, runKafkaTool } from './kafka-jars.js';
import { LineProcess } from './line-process.js';

/**
 * Creates a one-partition topic with kafka-topics (`placement`: its replica assignment, e.g.
 * `['--replica-assignment', '1:3:2']`, or a partition count and replication factor) and waits
 * until all three replicas are in sync.
 */
export async function createInSyncTopic(
  cluster: BrokerCluster,
  name: string,
  placement: readonly string[] = ['--partitions', '1', '--replication-factor', '3'],
): Promise<void> {
  const result = await runKafkaTool(KAFKA_TOOLS.topics, [
    '--bootstrap-server',
    cluster.bootstrap,
    '--create',
    '--topic',
    name,
    ...placement,
  ]);
  if (result.code !== 0) throw new Error(result.stdout + result.stderr);
  await waitForPartitions(
    () => cluster.bootstrap,
    name,
    (p) => p[0]?.isr.length === 3,
    'a full ISR',
  );
}

/**
 * The Java client's idempotent acks=all producer writing "v-0", "v-1", ... until stopped, printing
 * an "ACK <partition> <offset> <value>" line per acknowledged record; it retries quickly and
 * refreshes metadata every second, so it follows leadership as faults move it.
 */
export async function startIdempotentProducer(
  cluster: BrokerCluster,
  topic: string,
  classpath: string,
): Promise<LineProcess> {
  const [java, args] = await javaCommand(
    JAVA_PROGRAMS.idempotentProducer,
    [cluster.bootstrap, topic, '-1', 'v', 'linger.ms=5', 'retry.backoff.ms=100', 'metadata.max.age.ms=1000'],
    { classpath },
  );
  return new LineProcess(java, args);
}
