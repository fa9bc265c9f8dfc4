import { readFileSync } from 'node:fs';
import { ACCEPTED_WITHOUT_EFFECT, BROKER_PROPERTIES, type BrokerPropertyName } from './broker-properties.js';
import { ConfigError } from './config-error.js';
import { parseListeners, parseProtocolMap, type Listener } from './listeners.js';
import {
  interBrokerSaslOf,
  isPerListenerSetting,
  listenerSecurityOf,
  type InterBrokerSasl,
  type ListenerSecurity,
} from './listener-security.js';
import {
  MANAGED_CLUSTER_DEFAULTS,
  MANAGED_MIN_INSYNC_REPLICAS,
  MANAGED_REPLICATION_FACTOR,
} from './managed-cluster.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../storage/log-config.js';
import { STANDARD_AUTHORIZER } from '../security/authorizer.js';
import { parsePrincipal } from '../security/principal.js';

/** The broker's settings, parsed and validated, with Kafka's derived defaults resolved. */
export interface BrokerConfig {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly rack: string | null;
  readonly listeners: readonly Listener[];
  readonly advertisedListeners: readonly Listener[];
  readonly interBrokerListenerName: string;
  /** Each listener's TLS and SASL settings, by listener name (none for PLAINTEXT). */
  readonly listenerSecurity: ReadonlyMap<string, ListenerSecurity>;
  /** What this broker authenticates to its peers with, when the inter-broker listener is a SASL one. */
  readonly interBrokerSasl: InterBrokerSasl | undefined;
  readonly logDirs: readonly string[];
  readonly numPartitions: number;
  readonly defaultReplicationFactor: number;
  readonly minInsyncReplicas: number;
  readonly autoCreateTopicsEnable: boolean;
  readonly deleteTopicEnable: boolean;
  readonly socketRequestMaxBytes: number;
  readonly retentionCheckIntervalMs: number;
  readonly flushSchedulerIntervalMs: number;
  readonly flushOffsetCheckpointIntervalMs: number;
  readonly flushStartOffsetCheckpointIntervalMs: number;
  readonly producerIdExpirationMs: number;
  readonly producerIdExpirationCheckIntervalMs: number;
  readonly logCleanerEnable: boolean;
  readonly logCleanerBackoffMs: number;
  readonly uncleanLeaderElectionEnable: boolean;
  readonly offsetsTopicNumPartitions: number;
  readonly offsetsTopicReplicationFactor: number;
  readonly offsetsTopicSegmentBytes: number;
  readonly offsetsRetentionMinutes: number;
  readonly offsetsRetentionCheckIntervalMs: number;
  readonly offsetMetadataMaxBytes: number;
  readonly offsetsCommitTimeoutMs: number;
  /** How long a broker-side append with acks=all waits for the ISR (transaction markers). */
  readonly requestTimeoutMs: number;
  readonly groupInitialRebalanceDelayMs: number;
  readonly groupMinSessionTimeoutMs: number;
  readonly groupMaxSessionTimeoutMs: number;
  readonly groupMaxSize: number;
  /** KIP-848 consumer groups' server-side assignors (short names or Kafka's class names); the first is the default. */
  readonly groupConsumerAssignors: readonly string[];
  readonly groupConsumerHeartbeatIntervalMs: number;
  readonly groupConsumerSessionTimeoutMs: number;
  readonly replicaLagTimeMaxMs: number;
  readonly replicaFetchMaxBytes: number;
  readonly replicaFetchWaitMaxMs: number;
  readonly replicaFetchMinBytes: number;
  readonly replicaFetchBackoffMs: number;
  readonly autoLeaderRebalanceEnable: boolean;
  readonly leaderImbalanceCheckIntervalSeconds: number;
  readonly controlledShutdownEnable: boolean;
  /** Idle time after which a connection is closed; -1: never. */
  readonly connectionsMaxIdleMs: number;
  /** Bytes of requests being read or waiting to be served, broker-wide; null: unbounded. */
  readonly queuedMaxRequestBytes: number | null;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  /** Per-host limits over max.connections.per.ip, by host name or address as given (lower case). */
  readonly maxConnectionsPerIpOverrides: ReadonlyMap<string, number>;
  readonly coordinatorEndpoints: readonly string[];
  readonly metadataLeaseTtlSeconds: number;
  readonly adminListener: { host: string; port: number } | null;
  /**
   * The bearer token the admin endpoint's changes need: the first line of admin.listener.token.file.
   * null: no file is set, and changes are refused.
   */
  readonly adminListenerToken: string | null;
  readonly logDirsCapacityBytes: number | undefined;
  /** The broker-wide defaults of topic-level settings. */
  readonly logDefaults: LogConfig;
  /** Properties as given (after env and overrides), for DescribeConfigs on the broker. */
  readonly raw: ReadonlyMap<string, string>;
  /** Settings given that have no effect in Strata. */
  readonly withoutEffect: readonly string[];
  /** The authorizer (`authorizer.class.name`), or null when none is configured. */
  readonly authorizer: {
    readonly superUsers: ReadonlySet<string>;
    readonly allowEveryoneIfNoAclFound: boolean;
  } | null;
}

const HOUR_MS = 60 * 60 * 1000;

/** The fewest characters an admin endpoint token may have. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/** The token in admin.listener.token.file (its first line), or null when no file is set. */
function adminTokenOf(file: string | undefined): string | null {
  if (!file) return null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('admin.listener.token.file', `cannot read ${file}: ${(error as Error).message}`);
  }
  const token = (text.split('\n')[0] ?? '').trim();
  if (token.length < MIN_ADMIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw new ConfigError(
      'admin.listener.token.file',
      `${file} must hold a token of at least ${MIN_ADMIN_TOKEN_LENGTH} characters without white space on its first line`,
    );
  }
  return token;
}

/**
 * In a cluster, topics default to MSK's settings for three zones: three replicas, two of them in
 * sync for acks=all (the managed cluster's settings). A lone broker keeps Kafka's defaults (1 and 1).
 */
const CLUSTER_DEFAULT_REPLICATION_FACTOR = MANAGED_REPLICATION_FACTOR;
const CLUSTER_MIN_INSYNC_REPLICAS = MANAGED_MIN_INSYNC_REPLICAS;

/**
 * Strata's default for queued.max.request.bytes, where Kafka's is -1 (unbounded): without a cap,
 * each connection may hold up to socket.request.max.bytes of a request it is reading, so a few
 * hundred connections could take all the memory. 256 MiB is a small share of the smallest
 * machines brokers run on and still admits two requests of the largest default size at once;
 * when socket.request.max.bytes is set above it, the default follows it so the largest request
 * allowed can always be read.
 */
export const DEFAULT_QUEUED_MAX_REQUEST_BYTES = 256 * 1024 * 1024;

/** The settings whose default differs in a cluster (MSK's for three zones) from Kafka's own. */
export const CLUSTER_DEFAULTS = MANAGED_CLUSTER_DEFAULTS;

/**
 * Validates properties and resolves them into a {@link BrokerConfig}. Unknown names and invalid
 * values throw a {@link ConfigError} naming the setting.
 */
export function brokerConfigFrom(properties: ReadonlyMap<string, string>): BrokerConfig {
  for (const name of properties.keys()) {
    if (!(name in BROKER_PROPERTIES) && !isPerListenerSetting(name))
      throw new ConfigError(name, 'is not a setting Strata knows');
  }
  const given = (name: BrokerPropertyName): boolean => properties.has(name);
  function get<T>(name: BrokerPropertyName): T {
    const definition = BROKER_PROPERTIES[name] as { parse: (n: string, t: string) => T; default?: string };
    const text = properties.get(name) ?? definition.default;
    if (text === undefined) return undefined as T;
    return definition.parse(name, text);
  }

  const nodeId = get<number | undefined>('node.id') ?? get<number | undefined>('broker.id');
  if (nodeId === undefined) throw new ConfigError('node.id', 'is required');
  if (given('node.id') && given('broker.id') && get<number>('node.id') !== get<number>('broker.id')) {
    throw new ConfigError('broker.id', 'differs from node.id');
  }
  const protocolMap = parseProtocolMap(get<string[]>('listener.security.protocol.map'));
  const listeners = parseListeners('listeners', get<string>('listeners'), protocolMap);
  if (listeners.length === 0) throw new ConfigError('listeners', 'must name at least one listener');
  const advertisedText = get<string | undefined>('advertised.listeners');
  const advertisedListeners = advertisedText
    ? parseListeners('advertised.listeners', advertisedText, protocolMap)
    : listeners;
  for (const a of advertisedListeners) {
    if (!listeners.some((l) => l.name === a.name)) {
      throw new ConfigError('advertised.listeners', `listener ${a.name} is not in listeners`);
    }
  }
  const interBrokerListenerName = (
    get<string | undefined>('inter.broker.listener.name') || listeners[0]!.name
  ).toUpperCase();
  if (!listeners.some((l) => l.name === interBrokerListenerName)) {
    throw new ConfigError('inter.broker.listener.name', `${interBrokerListenerName} is not in listeners`);
  }
  const listenerSecurity = listenerSecurityOf(properties, listeners);
  const interBrokerListener = listeners.find((l) => l.name === interBrokerListenerName)!;
  const coordinatorEndpointsGiven = (get<string[] | undefined>('coordinator.endpoints') ?? []).length > 0;
  // A lone broker has no peers to authenticate to.
  const interBrokerSasl = coordinatorEndpointsGiven
    ? interBrokerSaslOf(properties, interBrokerListener, listenerSecurity.get(interBrokerListenerName)!)
    : undefined;
  const logDirsList = get<string[] | undefined>('log.dirs');
  const logDirs = logDirsList && logDirsList.length > 0 ? logDirsList : [get<string>('log.dir')];

  const retentionMs =
    get<number | undefined>('log.retention.ms') ??
    (given('log.retention.minutes')
      ? get<number>('log.retention.minutes') * 60_000
      : get<number>('log.retention.hours') * HOUR_MS);
  const rollMs = get<number | undefined>('log.roll.ms') ?? get<number>('log.roll.hours') * HOUR_MS;
  const flushMessages =
    get<number | undefined>('flush.messages') ?? get<number>('log.flush.interval.messages');
  const flushMs =
    get<number | undefined>('flush.ms') ??
    get<number | undefined>('log.flush.interval.ms') ??
    get<number>('log.flush.scheduler.interval.ms');
  const segmentBytes = get<number>('log.segment.bytes');
  const messageMaxBytes = get<number>('message.max.bytes');

  const adminText = get<string | undefined>('admin.listener');
  let adminListener: BrokerConfig['adminListener'] = null;
  if (adminText) {
    const match = /^(.*):(\d+)$/.exec(adminText);
    if (!match || Number(match[2]) > 65535)
      throw new ConfigError('admin.listener', `"${adminText}" is not host:port`);
    adminListener = { host: match[1]!, port: Number(match[2]) };
  }
  const adminListenerToken = adminTokenOf(get<string | undefined>('admin.listener.token.file'));

  const socketRequestMaxBytes = get<number>('socket.request.max.bytes');
  if (messageMaxBytes > socketRequestMaxBytes) {
    throw new ConfigError(
      'message.max.bytes',
      `${messageMaxBytes} exceeds socket.request.max.bytes (${socketRequestMaxBytes})`,
    );
  }

  const queuedGiven = given('queued.max.request.bytes') ? get<number>('queued.max.request.bytes') : undefined;
  // As in Kafka, a value not above 0 means unbounded.
  const queuedMaxRequestBytes =
    queuedGiven === undefined
      ? queuedMaxRequestBytesDefault(socketRequestMaxBytes)
      : queuedGiven <= 0
        ? null
        : queuedGiven;
  if (queuedMaxRequestBytes !== null && queuedMaxRequestBytes < socketRequestMaxBytes) {
    throw new ConfigError(
      'queued.max.request.bytes',
      `${queuedMaxRequestBytes} is below socket.request.max.bytes (${socketRequestMaxBytes}): a request of the largest size allowed could never be read`,
    );
  }
  const connectionsMaxIdleMs = get<number>('connections.max.idle.ms');
  if (connectionsMaxIdleMs === 0) {
    throw new ConfigError('connections.max.idle.ms', '0 would close every connection at once; -1 is never');
  }
  const maxConnectionsPerIp = get<number>('max.connections.per.ip');
  const maxConnectionsPerIpOverrides = get<ReadonlyMap<string, number>>('max.connections.per.ip.overrides');
  if (maxConnectionsPerIp === 0 && maxConnectionsPerIpOverrides.size === 0) {
    throw new ConfigError(
      'max.connections.per.ip',
      'can be 0 only if max.connections.per.ip.overrides lets some hosts connect',
    );
  }

  const coordinatorEndpoints = get<string[] | undefined>('coordinator.endpoints') ?? [];
  /** A setting not given takes the cluster's default in a cluster and Kafka's alone. */
  const orClusterDefault = (name: BrokerPropertyName, clusterDefault: number): number =>
    coordinatorEndpoints.length > 0 && !given(name) ? clusterDefault : get<number>(name);

  return {
    nodeId,
    clusterId: get('cluster.id'),
    rack: get<string | undefined>('broker.rack') || null,
    listeners,
    advertisedListeners,
    interBrokerListenerName,
    listenerSecurity,
    interBrokerSasl,
    logDirs,
    numPartitions: get('num.partitions'),
    defaultReplicationFactor: orClusterDefault(
      'default.replication.factor',
      CLUSTER_DEFAULT_REPLICATION_FACTOR,
    ),
    minInsyncReplicas: orClusterDefault('min.insync.replicas', CLUSTER_MIN_INSYNC_REPLICAS),
    autoCreateTopicsEnable: get('auto.create.topics.enable'),
    deleteTopicEnable: get('delete.topic.enable'),
    socketRequestMaxBytes,
    retentionCheckIntervalMs: get('log.retention.check.interval.ms'),
    flushSchedulerIntervalMs: get('log.flush.scheduler.interval.ms'),
    flushOffsetCheckpointIntervalMs: get('log.flush.offset.checkpoint.interval.ms'),
    flushStartOffsetCheckpointIntervalMs: get('log.flush.start.offset.checkpoint.interval.ms'),
    producerIdExpirationMs: get('producer.id.expiration.ms'),
    producerIdExpirationCheckIntervalMs: get('producer.id.expiration.check.interval.ms'),
    logCleanerEnable: get('log.cleaner.enable'),
    logCleanerBackoffMs: get('log.cleaner.backoff.ms'),
    uncleanLeaderElectionEnable: get('unclean.leader.election.enable'),
    offsetsTopicNumPartitions: get('offsets.topic.num.partitions'),
    offsetsTopicReplicationFactor: get('offsets.topic.replication.factor'),
    offsetsTopicSegmentBytes: get('offsets.topic.segment.bytes'),
    offsetsRetentionMinutes: get('offsets.retention.minutes'),
    offsetsRetentionCheckIntervalMs: get('offsets.retention.check.interval.ms'),
    offsetMetadataMaxBytes: get('offset.metadata.max.bytes'),
    offsetsCommitTimeoutMs: get('offsets.commit.timeout.ms'),
    requestTimeoutMs: get('request.timeout.ms'),
    groupInitialRebalanceDelayMs: get('group.initial.rebalance.delay.ms'),
    groupMinSessionTimeoutMs: get('group.min.session.timeout.ms'),
    groupMaxSessionTimeoutMs: get('group.max.session.timeout.ms'),
    groupMaxSize: get('group.max.size'),
    groupConsumerAssignors: get('group.consumer.assignors'),
    groupConsumerHeartbeatIntervalMs: get('group.consumer.heartbeat.interval.ms'),
    groupConsumerSessionTimeoutMs: get('group.consumer.session.timeout.ms'),
    replicaLagTimeMaxMs: get('replica.lag.time.max.ms'),
    replicaFetchMaxBytes: get('replica.fetch.max.bytes'),
    replicaFetchWaitMaxMs: get('replica.fetch.wait.max.ms'),
    replicaFetchMinBytes: get('replica.fetch.min.bytes'),
    replicaFetchBackoffMs: get('replica.fetch.backoff.ms'),
    autoLeaderRebalanceEnable: get('auto.leader.rebalance.enable'),
    leaderImbalanceCheckIntervalSeconds: get('leader.imbalance.check.interval.seconds'),
    controlledShutdownEnable: get('controlled.shutdown.enable'),
    connectionsMaxIdleMs,
    queuedMaxRequestBytes,
    maxConnections: get('max.connections'),
    maxConnectionsPerIp,
    maxConnectionsPerIpOverrides,
    coordinatorEndpoints,
    metadataLeaseTtlSeconds: get('metadata.lease.ttl.seconds'),
    adminListener,
    adminListenerToken,
    logDirsCapacityBytes: get('log.dirs.capacity.bytes'),
    logDefaults: {
      segmentBytes,
      segmentMs: rollMs,
      retentionMs,
      retentionBytes: get('log.retention.bytes'),
      indexIntervalBytes: get('log.index.interval.bytes'),
      maxMessageBytes: messageMaxBytes,
      flushMessages,
      flushMs,
      messageTimestampType: get('log.message.timestamp.type'),
      // Topic-level only here: the broker-wide values are Kafka's defaults.
      messageTimestampBeforeMaxMs: DEFAULT_LOG_CONFIG.messageTimestampBeforeMaxMs,
      messageTimestampAfterMaxMs: DEFAULT_LOG_CONFIG.messageTimestampAfterMaxMs,
      cleanupPolicy: get('log.cleanup.policy'),
      deleteRetentionMs: get('log.cleaner.delete.retention.ms'),
      minCompactionLagMs: get('log.cleaner.min.compaction.lag.ms'),
      minCleanableDirtyRatio: get('log.cleaner.min.cleanable.ratio'),
      compressionType: get('compression.type'),
    },

    raw: properties,
    withoutEffect: ACCEPTED_WITHOUT_EFFECT.filter((name) => properties.has(name)),
    authorizer: authorizerSettings(get),
  };
}

/** `authorizer.class.name` with `super.users` and `allow.everyone.if.no.acl.found`. */
function authorizerSettings(get: <T>(name: BrokerPropertyName) => T): BrokerConfig['authorizer'] {
  const className = get<string>('authorizer.class.name').trim();
  if (className === '') return null;
  if (className !== STANDARD_AUTHORIZER) {
    throw new ConfigError(
      'authorizer.class.name',
      `${className} is not an authorizer Strata has (the one it has is ${STANDARD_AUTHORIZER})`,
    );
  }
  const superUsers = new Set<string>();
  for (const entry of get<string>('super.users').split(';')) {
    const principal = entry.trim();
    if (principal === '') continue;
    if (!parsePrincipal(principal))
      throw new ConfigError('super.users', `"${principal}" is not a principal (Type:name)`);
    superUsers.add(principal);
  }
  return { superUsers, allowEveryoneIfNoAclFound: get<boolean>('allow.everyone.if.no.acl.found') };
}

/** queued.max.request.bytes when not given: Strata's default, and never below the largest request. */
function queuedMaxRequestBytesDefault(socketRequestMaxBytes: number): number {
  return Math.max(DEFAULT_QUEUED_MAX_REQUEST_BYTES, socketRequestMaxBytes);
}

/**
 * The defaults that depend on the mode (a cluster defaults to three replicas, two in sync) or on
 * other settings (queued.max.request.bytes follows a larger socket.request.max.bytes), as text.
 */
export function derivedDefaults(broker: BrokerConfig): Partial<Record<BrokerPropertyName, string>> {
  return {
    ...(broker.coordinatorEndpoints.length > 0 ? CLUSTER_DEFAULTS : {}),
    'queued.max.request.bytes': String(queuedMaxRequestBytesDefault(broker.socketRequestMaxBytes)),
  };
}
