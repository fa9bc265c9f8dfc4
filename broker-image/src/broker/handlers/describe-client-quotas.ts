import { ERROR_CODES } from '../../protocol/errors.js';
import { DescribeClientQuotas } from '../../protocol/messages/describe-client-quotas.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedCluster } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';

/**
 * Client quotas are not enforced, so none is set: every filter matches no entry. Served because
 * `kafka-configs --describe --entity-type users` asks for a user's quotas along with its SCRAM
 * credentials.
 */
export const describeClientQuotasHandler = defineHandler(DescribeClientQuotas, (_request, context) =>
  authorizedCluster(context, AclOperation.DESCRIBE_CONFIGS)
    ? { throttleTimeMs: 0, errorCode: ERROR_CODES.NONE, errorMessage: null, entries: [] }
    : {
        throttleTimeMs: 0,
        errorCode: ERROR_CODES.CLUSTER_AUTHORIZATION_FAILED,
        errorMessage: 'Cluster authorization failed.',
        entries: null,
      },
);
