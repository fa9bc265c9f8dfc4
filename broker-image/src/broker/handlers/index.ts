import type { AnyApiHandler } from '../api-handler.js';
import { alterConfigsHandler } from './alter-configs.js';
import { createAclsHandler, deleteAclsHandler, describeAclsHandler } from './acls.js';
import { apiVersionsHandler } from './api-versions.js';
import { consumerGroupDescribeHandler } from './consumer-group-describe.js';
import { consumerGroupHeartbeatHandler } from './consumer-group-heartbeat.js';
import { alterPartitionReassignmentsHandler } from './alter-partition-reassignments.js';
import { createPartitionsHandler } from './create-partitions.js';
import { electLeadersHandler } from './elect-leaders.js';
import { listPartitionReassignmentsHandler } from './list-partition-reassignments.js';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteRecordsHandler } from './delete-records.js';
import { deleteGroupsHandler } from './delete-groups.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { describeClusterHandler } from './describe-cluster.js';
import { describeConfigsHandler } from './describe-configs.js';
import { describeGroupsHandler } from './describe-groups.js';
import { describeLogDirsHandler } from './describe-log-dirs.js';
import { describeProducersHandler } from './describe-producers.js';
import { describeClientQuotasHandler } from './describe-client-quotas.js';
import { fetchHandler } from './fetch.js';
import { findCoordinatorHandler } from './find-coordinator.js';
import { heartbeatHandler } from './heartbeat.js';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.js';
import { initProducerIdHandler } from './init-producer-id.js';
import { joinGroupHandler } from './join-group.js';
import { leaveGroupHandler } from './leave-group.js';
import { listGroupsHandler } from './list-groups.js';
import { listOffsetsHandler } from './list-offsets.js';
import { metadataHandler } from './metadata.js';
import { offsetCommitHandler } from './offset-commit.js';
import { offsetDeleteHandler } from './offset-delete.js';
import { offsetFetchHandler } from './offset-fetch.js';
import { produceHandler } from './produce.js';
import { saslAuthenticateHandler } from './sasl-authenticate.js';
import { saslHandshakeHandler } from './sasl-handshake.js';
import {
  alterUserScramCredentialsHandler,
  describeUserScramCredentialsHandler,
} from './user-scram-credentials.js';
import { syncGroupHandler } from './sync-group.js';
import { writeTxnMarkersHandler } from './write-txn-markers.js';

/** Every API this broker serves, by key. ApiVersions advertises exactly these. */
export function brokerHandlers(): Map<number, AnyApiHandler> {
  const handlers: AnyApiHandler[] = [
    produceHandler,
    fetchHandler,
    listOffsetsHandler,
    metadataHandler,
    apiVersionsHandler,
    createTopicsHandler,
    deleteTopicsHandler,
    deleteRecordsHandler,
    initProducerIdHandler,
    describeConfigsHandler,
    alterConfigsHandler,
    createPartitionsHandler,
    incrementalAlterConfigsHandler,
    describeClusterHandler,
    findCoordinatorHandler,
    joinGroupHandler,
    syncGroupHandler,
    heartbeatHandler,
    leaveGroupHandler,
    offsetCommitHandler,
    offsetFetchHandler,
    describeGroupsHandler,
    listGroupsHandler,
    deleteGroupsHandler,
    offsetDeleteHandler,
    offsetForLeaderEpochHandler,
    consumerGroupHeartbeatHandler,
    consumerGroupDescribeHandler,
    alterPartitionReassignmentsHandler,
    listPartitionReassignmentsHandler,
    electLeadersHandler,
    describeLogDirsHandler,
    saslHandshakeHandler,
    saslAuthenticateHandler,
    describeUserScramCredentialsHandler,
    describeClientQuotasHandler,
    alterUserScramCredentialsHandler,
    describeAclsHandler,
    createAclsHandler,
    deleteAclsHandler,
    writeTxnMarkersHandler,
    describeProducersHandler,
  ];
  return new Map(handlers.map((h) => [h.api.apiKey, h]));
}
