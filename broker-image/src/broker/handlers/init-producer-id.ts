import { ERROR_CODES, errorCodeOf } from '../../protocol/errors.js';
import { InitProducerId } from '../../protocol/messages/init-producer-id.js';
import { defineHandler } from '../api-handler.js';

/**
 * InitProducerId for idempotent producers: as in Kafka, a new producer id with epoch 0 every time
 * (a producer recovering from a sequence error simply starts afresh). Transactional ids need a
 * transaction coordinator, which this broker does not run.
 */
export const initProducerIdHandler = defineHandler(InitProducerId, async (request, { services }) => {
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
