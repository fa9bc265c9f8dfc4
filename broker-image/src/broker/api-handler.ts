import type { ReadBufferPool } from '../storage/read-buffer-pool.js';
import type { Logger } from 'pino';
import type { BrokerMetrics } from '../admin/metrics.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Listener } from '../config/listeners.js';
import type { MetadataStore } from '../cluster/metadata-store.js';
import type { ProducerIdManager } from '../cluster/producer-id-manager.js';
import type { TopicAdmin } from '../cluster/topic-admin.js';
import type { RequestHeader } from '../protocol/headers.js';
import type { ApiDefinition, RequestOf, ResponseOf } from '../protocol/schema/api.js';
import type { LogManager } from '../storage/log-manager.js';
import type { Clock } from '../util/clock.js';
import type { GroupCoordinator } from '../groups/group-coordinator.js';
import type { OffsetsTopic } from './offsets-topic.js';
import type { KafkaPrincipal } from '../security/principal.js';
import type { SaslAuthentication } from '../security/sasl-authentication.js';
import type { Credentials } from '../security/credentials.js';
import type { StandardAuthorizer } from '../security/authorizer.js';
import type { ReplicaManager } from './replica-manager.js';
import type { TransactionMarkerHook } from './transaction-marker-hook.js';

/** What handlers reach the rest of the broker through. */
export interface BrokerServices {
  readonly config: BrokerConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: BrokerMetrics;
  readonly metadata: MetadataStore;
  readonly logManager: LogManager;
  readonly replicaManager: ReplicaManager;
  readonly topicAdmin: TopicAdmin;
  readonly producerIds: ProducerIdManager;
  readonly groups: GroupCoordinator;
  readonly offsetsTopic: OffsetsTopic;
  /** Told of each transaction marker written to a `__consumer_offsets` partition (WriteTxnMarkers). */
  readonly transactionMarkerHook: TransactionMarkerHook;
  /** Buffers fetch responses read log data into. */
  readonly readBuffers: ReadBufferPool;
  /** The APIs this broker serves, for ApiVersions. */
  readonly handlers: ReadonlyMap<number, AnyApiHandler>;
  /** The credentials SASL listeners check (declared users and the metadata store's SCRAM credentials). */
  readonly credentials: Credentials;
  /** Decides what each principal may do; undefined when no authorizer is configured (all is allowed). */
  readonly authorizer: StandardAuthorizer | undefined;
}

export interface RequestContext {
  readonly header: RequestHeader;
  readonly apiVersion: number;
  /** The listener the request arrived on; Metadata answers with endpoints of the same name. */
  readonly listener: Listener;
  readonly remoteAddress: string;
  /** Who the connection acts as (User:ANONYMOUS until it authenticates). */
  readonly principal: KafkaPrincipal;
  /** The connection's SASL state, on a SASL listener. */
  readonly authentication?: SaslAuthentication;
  readonly services: BrokerServices;
  /** Closes this connection after the current request (with one log line giving the reason). */
  readonly closeConnection: (reason: string) => void;
  /**
   * Runs `callback` once the response is on the socket (or will never be: no response, a closed
   * connection), when buffers it refers to may be reused.
   */
  readonly afterResponse: (callback: () => void) => void;
}

/**
 * Serves one API. `handle` returns the response, or `undefined` when the protocol sends none
 * (a Produce with acks=0).
 */
export interface ApiHandler<A extends ApiDefinition> {
  readonly api: A;
  /** Lowest version served; defaults to the declaration's. */
  readonly minVersion?: number;
  handle(
    request: RequestOf<A>,
    context: RequestContext,
  ): Promise<ResponseOf<A> | undefined> | ResponseOf<A> | undefined;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyApiHandler = ApiHandler<any>;

export function defineHandler<A extends ApiDefinition>(
  api: A,
  handle: ApiHandler<A>['handle'],
  options: { minVersion?: number } = {},
): ApiHandler<A> {
  return { api, handle, ...options };
}
