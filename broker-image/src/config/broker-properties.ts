import {
  bool,
  double,
  hostCounts,
  int,
  list,
  listOf,
  long,
  nonEmpty,
  oneOf,
  str,
  type ValueParser,
} from './value-types.js';

interface PropertyDefinition {
  readonly parse: ValueParser<unknown>;
  /** Kafka's default, as text; undefined when the property has no default. */
  readonly default?: string;
  /** A password or key: DescribeConfigs never shows its value, as Kafka's PASSWORD type. */
  readonly sensitive?: boolean;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const LONG_MAX = '9223372036854775807';

/**
 * Every broker property Strata reads, by Kafka's name, with Kafka's default.
 * Strata's own properties are marked; the rest mean what they mean in Kafka.
 */
export const BROKER_PROPERTIES = {
  'node.id': { parse: int(0) },
  'broker.id': { parse: int(0) },
  listeners: { parse: nonEmpty, default: 'PLAINTEXT://:9092' },
  'advertised.listeners': { parse: str },
  'listener.security.protocol.map': {
    parse: list,
    default: 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
  },
  'inter.broker.listener.name': { parse: str },
  'broker.rack': { parse: str },
  'log.dirs': { parse: list },
  'log.dir': { parse: nonEmpty, default: '/tmp/kafka-logs' },
  'num.partitions': { parse: int(1), default: '1' },
  'default.replication.factor': { parse: int(1, 32767), default: '1' },
  'min.insync.replicas': { parse: int(1), default: '1' },
  'auto.create.topics.enable': { parse: bool, default: 'true' },
  'delete.topic.enable': { parse: bool, default: 'true' },
  'message.max.bytes': { parse: int(0), default: '1048588' },
  'socket.request.max.bytes': { parse: int(1), default: '104857600' },
  'log.segment.bytes': { parse: int(14), default: '1073741824' },
  'log.roll.ms': { parse: long(1) },
  'log.roll.hours': { parse: int(1), default: '168' },
  'log.roll.jitter.ms': { parse: long(0) },
  'log.retention.ms': { parse: long(-1) },
  'log.retention.minutes': { parse: int() },
  'log.retention.hours': { parse: int(), default: '168' },
  'log.retention.bytes': { parse: long(), default: '-1' },
  'log.retention.check.interval.ms': { parse: long(1), default: '300000' },
  'log.index.interval.bytes': { parse: int(0), default: '4096' },
  'log.index.size.max.bytes': { parse: int(4), default: '10485760' },
  'log.segment.delete.delay.ms': { parse: long(0), default: '60000' },
  'log.preallocate': { parse: bool, default: 'false' },
  'log.message.timestamp.type': { parse: oneOf('CreateTime', 'LogAppendTime'), default: 'CreateTime' },
  'log.cleanup.policy': { parse: listOf('delete', 'compact'), default: 'delete' },
  'log.flush.interval.messages': { parse: long(1), default: LONG_MAX },
  'log.flush.interval.ms': { parse: long(0) },
  /** Accepted in server.properties as the broker-wide default of the topic setting of the same name. */
  'flush.messages': { parse: long(1) },
  'flush.ms': { parse: long(0) },
  'log.flush.scheduler.interval.ms': { parse: long(0), default: LONG_MAX },
  'log.flush.offset.checkpoint.interval.ms': { parse: int(0), default: '60000' },
  'log.flush.start.offset.checkpoint.interval.ms': { parse: int(0), default: '60000' },
  'log.cleaner.enable': { parse: bool, default: 'true' },
  'log.cleaner.backoff.ms': { parse: long(0), default: '15000' },
  'log.cleaner.delete.retention.ms': { parse: long(0), default: String(DAY_MS) },
  'log.cleaner.min.compaction.lag.ms': { parse: long(0), default: '0' },
  'log.cleaner.max.compaction.lag.ms': { parse: long(1), default: LONG_MAX },
  'log.cleaner.min.cleanable.ratio': { parse: double(0, 1), default: '0.5' },
  'compression.type': {
    parse: oneOf('producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'),
    default: 'producer',
  },
  'unclean.leader.election.enable': { parse: bool, default: 'false' },
  'producer.id.expiration.ms': { parse: int(1), default: String(DAY_MS) },
  'producer.id.expiration.check.interval.ms': { parse: int(1), default: '600000' },
  'offsets.topic.num.partitions': { parse: int(1), default: '50' },
  'offsets.topic.replication.factor': { parse: int(1, 32767), default: '3' },
  'offsets.topic.segment.bytes': { parse: int(1), default: '104857600' },
  'offsets.retention.minutes': { parse: int(1), default: '10080' },
  'offsets.retention.check.interval.ms': { parse: long(1), default: '600000' },
  'offsets.commit.timeout.ms': { parse: int(1), default: '5000' },
  'request.timeout.ms': { parse: int(0), default: '30000' },
  'offset.metadata.max.bytes': { parse: int(0), default: '4096' },
  'group.initial.rebalance.delay.ms': { parse: int(0), default: '3000' },
  'group.min.session.timeout.ms': { parse: int(0), default: '6000' },
  'group.max.session.timeout.ms': { parse: int(0), default: '1800000' },
  'group.max.size': { parse: int(1), default: '2147483647' },
  'group.consumer.assignors': {
    parse: list,
    default:
      'org.apache.kafka.coordinator.group.assignor.UniformAssignor,org.apache.kafka.coordinator.group.assignor.RangeAssignor',
  },
  'group.consumer.heartbeat.interval.ms': { parse: int(1), default: '5000' },
  'group.consumer.session.timeout.ms': { parse: int(1), default: '45000' },
  'group.consumer.migration.policy': {
    parse: oneOf('disabled', 'upgrade', 'downgrade', 'bidirectional'),
    default: 'bidirectional',
  },
  'replica.lag.time.max.ms': { parse: long(1), default: '30000' },
  'replica.fetch.max.bytes': { parse: int(0), default: '1048576' },
  'replica.fetch.wait.max.ms': { parse: int(0), default: '500' },
  'replica.fetch.min.bytes': { parse: int(1), default: '1' },
  'replica.fetch.backoff.ms': { parse: int(0), default: '1000' },
  'auto.leader.rebalance.enable': { parse: bool, default: 'true' },
  'leader.imbalance.check.interval.seconds': { parse: long(1), default: '300' },
  'leader.imbalance.per.broker.percentage': { parse: int(0), default: '10' },
  'controlled.shutdown.enable': { parse: bool, default: 'true' },
  'controlled.shutdown.max.retries': { parse: int(0), default: '3' },
  'num.network.threads': { parse: int(1), default: '3' },
  'num.io.threads': { parse: int(1), default: '8' },
  'num.recovery.threads.per.data.dir': { parse: int(1), default: '2' },
  'num.replica.fetchers': { parse: int(1), default: '1' },
  'socket.send.buffer.bytes': { parse: int(-1), default: '102400' },
  'socket.receive.buffer.bytes': { parse: int(-1), default: '102400' },
  'connections.max.idle.ms': { parse: long(-1), default: '600000' },
  'max.connections': { parse: int(0), default: '2147483647' },
  'max.connections.per.ip': { parse: int(0), default: '2147483647' },
  'max.connections.per.ip.overrides': { parse: hostCounts, default: '' },
  /**
   * Kafka's default is -1 (unbounded); Strata's is 256 MiB, or socket.request.max.bytes when that
   * is larger (see DEFAULT_QUEUED_MAX_REQUEST_BYTES).
   */
  'queued.max.request.bytes': { parse: long(-1), default: '268435456' },
  /** Empty: no authorizer; else Kafka's StandardAuthorizer (the only one), with ACLs in the metadata store. */
  'authorizer.class.name': { parse: str, default: '' },
  /** Semicolon-separated principals (`User:admin;User:broker`) the authorizer allows everything. */
  'super.users': { parse: str, default: '' },
  'allow.everyone.if.no.acl.found': { parse: bool, default: 'false' },
  // TLS and SASL (also per listener, as listener.name.<listener>.<setting>).
  'ssl.keystore.type': { parse: nonEmpty, default: 'JKS' },
  'ssl.keystore.location': { parse: str },
  'ssl.keystore.password': { parse: str, sensitive: true },
  'ssl.keystore.certificate.chain': { parse: str, sensitive: true },
  'ssl.keystore.key': { parse: str, sensitive: true },
  'ssl.key.password': { parse: str, sensitive: true },
  'ssl.truststore.type': { parse: nonEmpty, default: 'JKS' },
  'ssl.truststore.location': { parse: str },
  'ssl.truststore.password': { parse: str, sensitive: true },
  'ssl.truststore.certificates': { parse: str, sensitive: true },
  'ssl.client.auth': { parse: oneOf('none', 'requested', 'required'), default: 'none' },
  'ssl.enabled.protocols': { parse: list, default: 'TLSv1.2,TLSv1.3' },
  'ssl.protocol': { parse: nonEmpty, default: 'TLSv1.3' },
  'ssl.cipher.suites': { parse: list },
  'ssl.endpoint.identification.algorithm': { parse: str, default: 'https' },
  'sasl.enabled.mechanisms': { parse: list, default: 'GSSAPI' },
  'sasl.mechanism.inter.broker.protocol': { parse: nonEmpty, default: 'GSSAPI' },
  'connections.max.reauth.ms': { parse: long(0), default: '0' },
  // Strata's own settings.
  /** PLAIN is served only over TLS unless this is true (on a SASL_PLAINTEXT listener). */
  'sasl.plain.allow.unencrypted': { parse: bool, default: 'false' },
  'cluster.id': { parse: nonEmpty, default: 'strata-local' },
  'coordinator.endpoints': { parse: list },
  'admin.listener': { parse: str },
  /**
   * A file whose first line is the bearer token the admin endpoint's changes (PUT
   * /storage/capacity) need; without one they are refused. The token is kept out of the properties.
   */
  'admin.listener.token.file': { parse: str },
  'log.dirs.capacity.bytes': { parse: long(1) },
  'metadata.lease.ttl.seconds': { parse: int(2), default: '6' },
} satisfies Record<string, PropertyDefinition>;

export type BrokerPropertyName = keyof typeof BROKER_PROPERTIES;

/**
 * Settings Kafka has that only tune its own thread pools and socket buffers. Strata runs one event
 * loop and lets the kernel size socket buffers, so these are accepted (a Kafka server.properties
 * works unchanged) and have no effect; the broker logs that once at start-up.
 */
export const ACCEPTED_WITHOUT_EFFECT: readonly BrokerPropertyName[] = [
  'num.network.threads',
  'num.io.threads',
  'num.recovery.threads.per.data.dir',
  'num.replica.fetchers',
  'socket.send.buffer.bytes',
  'socket.receive.buffer.bytes',
  'log.index.size.max.bytes',
  'log.preallocate',
  'log.segment.delete.delay.ms',
  'log.roll.jitter.ms',
];
