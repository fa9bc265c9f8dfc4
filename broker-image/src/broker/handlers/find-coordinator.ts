import { OFFSETS_TOPIC } from '../../groups/coordinator-key.js';
import { ERROR_CODES, KafkaError, errorCodeOf, errorMessageOf } from '../../protocol/errors.js';
import { FindCoordinator } from '../../protocol/messages/find-coordinator.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedGroup, authorizedTransactionalId } from '../../security/request-authorization.js';
import { defineHandler, type RequestContext } from '../api-handler.js';

const GROUP_KEY_TYPE = 0;
const TRANSACTION_KEY_TYPE = 1;

interface Coordinator {
  key: string;
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
  errorMessage: string | null;
}

/**
 * The broker leading the group's `__consumer_offsets` partition, on the listener the request came
 * in on. Creates `__consumer_offsets` on first use. Transactions have no coordinator here.
 */
async function findCoordinator(key: string, keyType: number, context: RequestContext): Promise<Coordinator> {
  const { services } = context;
  try {
    // As Kafka: DESCRIBE on the group or transactional id.
    if (keyType === GROUP_KEY_TYPE && !authorizedGroup(context, AclOperation.DESCRIBE, key))
      throw new KafkaError('GROUP_AUTHORIZATION_FAILED', 'Group authorization failed.');
    if (keyType === TRANSACTION_KEY_TYPE && !authorizedTransactionalId(context, AclOperation.DESCRIBE, key))
      throw new KafkaError('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'Transactional Id authorization failed.');
    if (keyType !== GROUP_KEY_TYPE) {
      throw new KafkaError(
        'INVALID_REQUEST',
        'transactions are not supported by this broker: there is no transaction coordinator',
      );
    }
    if (key === '') throw new KafkaError('INVALID_REQUEST', 'the group id is empty');
    await services.offsetsTopic.ensureExists();
    const partition = services.metadata.topic(OFFSETS_TOPIC)?.partitions[services.groups.partitionFor(key)];
    const leader = partition && services.metadata.brokers().find((b) => b.nodeId === partition.leader);
    const endpoint = leader?.endpoints.find((e) => e.listener === context.listener.name);
    if (!leader || !endpoint)
      throw new KafkaError('COORDINATOR_NOT_AVAILABLE', `the coordinator of group ${key} is not available`);
    return {
      key,
      nodeId: leader.nodeId,
      host: endpoint.host,
      port: endpoint.port,
      errorCode: ERROR_CODES.NONE,
      errorMessage: null,
    };
  } catch (error) {
    return {
      key,
      nodeId: -1,
      host: '',
      port: -1,
      errorCode: errorCodeOf(error),
      errorMessage: errorMessageOf(error),
    };
  }
}

export const findCoordinatorHandler = defineHandler(FindCoordinator, async (request, context) => {
  if (context.apiVersion >= 4) {
    const coordinators = [];
    for (const key of request.coordinatorKeys)
      coordinators.push(await findCoordinator(key, request.keyType, context));
    return { throttleTimeMs: 0, coordinators };
  }
  const c = await findCoordinator(request.key, request.keyType, context);
  return {
    throttleTimeMs: 0,
    errorCode: c.errorCode,
    errorMessage: c.errorMessage,
    nodeId: c.nodeId,
    host: c.host,
    port: c.port,
  };
});
