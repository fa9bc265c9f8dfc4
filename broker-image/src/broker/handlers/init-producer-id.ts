import { ERROR_CODES, errorCodeOf } from '../../protocol/errors.js';
import { InitProducerId } from '../../protocol/messages/init-producer-id.js';
import { AclOperation, ResourceType } from '../../security/acl.js';
import {
  authorizedCluster,
  authorizedOnSome,
  authorizedTransactionalId,
} from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';

/**
 * InitProducerId for idempotent producers: as in Kafka, a new producer id with epoch 0 every time
 * (a producer recovering from a sequence error simply starts afresh). Transactional ids need a
 * transaction coordinator, which this broker does not run.
 */
export const initProducerIdHandler = defineHandler(InitProducerId, async (request, context) => {
  const { services } = context;
  const refused = (errorCode: number) => ({
    throttleTimeMs: 0,
    errorCode,
    producerId: -1,
    producerEpoch: -1,
  });
  // As Kafka: WRITE on the transactional id; without one, IDEMPOTENT_WRITE on the cluster or WRITE
  // on some topic.
  if (request.transactionalId !== null) {
    if (!authorizedTransactionalId(context, AclOperation.WRITE, request.transactionalId))
      return refused(ERROR_CODES.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  } else if (
    !authorizedCluster(context, AclOperation.IDEMPOTENT_WRITE) &&
    !authorizedOnSome(context, AclOperation.WRITE, ResourceType.TOPIC)
  ) {
    return refused(ERROR_CODES.CLUSTER_AUTHORIZATION_FAILED);
  }
  if (request.transactionalId !== null) {
    return {
      throttleTimeMs: 0,
      errorCode: ERROR_CODES.UNSUPPORTED_VERSION,
      producerId: -1,
      producerEpoch: -1,
    };
  }
  try {
    const producerId = await services.producerIds.nextProducerId();
    return { throttleTimeMs: 0, errorCode: ERROR_CODES.NONE, producerId, producerEpoch: 0 };
  } catch (error) {
    services.logger.error({ err: error }, 'cannot allocate a producer id');
    const code = errorCodeOf(error);
    return {
      throttleTimeMs: 0,
      errorCode: code === ERROR_CODES.UNKNOWN_SERVER_ERROR ? ERROR_CODES.COORDINATOR_NOT_AVAILABLE : code,
      producerId: -1,
      producerEpoch: -1,
    };
  }
});
