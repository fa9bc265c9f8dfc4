import { ERROR_CODES } from '../../protocol/errors.js';
import { DescribeClientQuotas } from '../../protocol/messages/describe-client-quotas.js';
import { defineHandler } from '../api-handler.js';

/**
 * Client quotas are not enforced, so none is set: every filter matches no entry. Served because
 * `kafka-configs --describe --entity-type users` asks for a user's quotas along with its SCRAM
 * credentials.
 */
export const describeClientQuotasHandler = defineHandler(DescribeClientQuotas, () => ({
  throttleTimeMs: 0,
  errorCode: ERROR_CODES.NONE,
  errorMessage: null,
  entries: [],
}));
