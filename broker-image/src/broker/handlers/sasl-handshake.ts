import { ERROR_CODES } from '../../protocol/errors.js';
import { SaslHandshake } from '../../protocol/messages/sasl-handshake.js';
import { defineHandler } from '../api-handler.js';

/**
 * Chooses the SASL mechanism of a connection on a SASL listener; on other listeners it is
 * ILLEGAL_SASL_STATE, as in Kafka. An unsupported mechanism is answered with the enabled ones,
 * then the connection is closed.
 */
export const saslHandshakeHandler = defineHandler(SaslHandshake, (request, context) => {
  const authentication = context.authentication;
  if (!authentication) return { errorCode: ERROR_CODES.ILLEGAL_SASL_STATE, mechanisms: [] };
  const result = authentication.handshake(request.mechanism, context.apiVersion);
  if (result.errorCode !== ERROR_CODES.NONE) {
    context.afterResponse(() =>
      authentication.closeConnection(
        `SASL handshake for ${request.mechanism} refused (error ${result.errorCode})`,
      ),
    );
  }
  return result;
});
