import { ERROR_CODES } from '../../protocol/errors.js';
import { SaslAuthenticate } from '../../protocol/messages/sasl-authenticate.js';
import { defineHandler } from '../api-handler.js';

/**
 * One SASL token of the exchange a SaslHandshake v1 began. A failure is answered with
 * SASL_AUTHENTICATION_FAILED, then the connection is closed.
 */
export const saslAuthenticateHandler = defineHandler(SaslAuthenticate, async (request, context) => {
  const authentication = context.authentication;
  if (!authentication) {
    context.afterResponse(() => context.closeConnection('SaslAuthenticate on a listener without SASL'));
    return {
      errorCode: ERROR_CODES.ILLEGAL_SASL_STATE,
      errorMessage: 'SASL is not enabled on this listener',
      authBytes: Buffer.alloc(0),
      sessionLifetimeMs: 0,
    };
  }
  const result = await authentication.authenticate(request.authBytes);
  if (!result.ok) {
    context.afterResponse(() => authentication.closeConnection(result.message));
    return {
      errorCode: ERROR_CODES.SASL_AUTHENTICATION_FAILED,
      errorMessage: result.message,
      authBytes: Buffer.alloc(0),
      sessionLifetimeMs: 0,
    };
  }
  return {
    errorCode: ERROR_CODES.NONE,
    errorMessage: null,
    authBytes: result.response,
    sessionLifetimeMs: result.sessionLifetimeMs,
  };
});
