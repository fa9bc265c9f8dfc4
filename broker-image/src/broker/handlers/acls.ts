import { ERROR_CODES, errorCodeOf, errorMessageOf } from '../../protocol/errors.js';
import { CreateAcls } from '../../protocol/messages/create-acls.js';
import { DeleteAcls } from '../../protocol/messages/delete-acls.js';
import { DescribeAcls } from '../../protocol/messages/describe-acls.js';
import {
  AclOperation,
  filterMatches,
  invalidBinding,
  invalidFilter,
  type AclBinding,
  type AclBindingFilter,
} from '../../security/acl.js';
import { authorizedCluster } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';

/** Kafka's answer to the ACL APIs when no authorizer is configured. */
const NO_AUTHORIZER = 'No Authorizer is configured.';
const NOT_AUTHORIZED = 'Cluster authorization failed.';

/**
 * DescribeAcls: the ACLs matching the filter, grouped by resource pattern. Needs DESCRIBE on the
 * cluster; with no authorizer, SECURITY_DISABLED as Kafka answers.
 */
export const describeAclsHandler = defineHandler(DescribeAcls, (request, context) => {
  const refused = (errorCode: number, errorMessage: string) => ({
    throttleTimeMs: 0,
    errorCode,
    errorMessage,
    resources: [],
  });
  if (!context.services.authorizer) return refused(ERROR_CODES.SECURITY_DISABLED, NO_AUTHORIZER);
  if (!authorizedCluster(context, AclOperation.DESCRIBE))
    return refused(ERROR_CODES.CLUSTER_AUTHORIZATION_FAILED, NOT_AUTHORIZED);
  const filter: AclBindingFilter = {
    resourceType: request.resourceTypeFilter,
    resourceName: request.resourceNameFilter,
    patternType: request.patternTypeFilter,
    principal: request.principalFilter,
    host: request.hostFilter,
    operation: request.operation,
    permissionType: request.permissionType,
  };
  const invalid = invalidFilter(filter);
  if (invalid) return refused(ERROR_CODES.INVALID_REQUEST, invalid);
  const byResource = new Map<
    string,
    { resourceType: number; resourceName: string; patternType: number; acls: AclBinding[] }
  >();
  for (const { binding } of context.services.metadata.acls()) {
    if (!filterMatches(filter, binding)) continue;
    const key = JSON.stringify([binding.resourceType, binding.resourceName, binding.patternType]);
    let resource = byResource.get(key);
    if (!resource) {
      resource = { ...binding, acls: [] };
      byResource.set(key, resource);
    }
    resource.acls.push(binding);
  }
  return {
    throttleTimeMs: 0,
    errorCode: ERROR_CODES.NONE,
    errorMessage: null,
    resources: [...byResource.values()].map((r) => ({
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      patternType: r.patternType,
      acls: r.acls.map((acl) => ({
        principal: acl.principal,
        host: acl.host,
        operation: acl.operation,
        permissionType: acl.permissionType,
      })),
    })),
  };
});

/** CreateAcls: each ACL is validated and stored (in one write). Needs ALTER on the cluster. */
export const createAclsHandler = defineHandler(CreateAcls, async (request, context) => {
  const all = (errorCode: number, errorMessage: string | null) => ({
    throttleTimeMs: 0,
    results: request.creations.map(() => ({ errorCode, errorMessage })),
  });
  if (!context.services.authorizer) return all(ERROR_CODES.SECURITY_DISABLED, NO_AUTHORIZER);
  if (!authorizedCluster(context, AclOperation.ALTER))
    return all(ERROR_CODES.CLUSTER_AUTHORIZATION_FAILED, NOT_AUTHORIZED);
  const bindings: AclBinding[] = request.creations.map((c) => ({
    resourceType: c.resourceType,
    resourceName: c.resourceName,
    patternType: c.resourcePatternType,
    principal: c.principal,
    host: c.host,
    operation: c.operation,
    permissionType: c.permissionType,
  }));
  const problems = bindings.map(invalidBinding);
  try {
    await context.services.metadata.createAcls(bindings.filter((_, i) => problems[i] === undefined));
  } catch (error) {
    return all(errorCodeOf(error), errorMessageOf(error));
  }
  return {
    throttleTimeMs: 0,
    results: problems.map((problem) =>
      problem === undefined
        ? { errorCode: ERROR_CODES.NONE, errorMessage: null }
        : { errorCode: ERROR_CODES.INVALID_REQUEST, errorMessage: problem },
    ),
  };
});

/** DeleteAcls: every ACL matching each filter is removed and listed. Needs ALTER on the cluster. */
export const deleteAclsHandler = defineHandler(DeleteAcls, async (request, context) => {
  const all = (errorCode: number, errorMessage: string | null) => ({
    throttleTimeMs: 0,
    filterResults: request.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })),
  });
  if (!context.services.authorizer) return all(ERROR_CODES.SECURITY_DISABLED, NO_AUTHORIZER);
  if (!authorizedCluster(context, AclOperation.ALTER))
    return all(ERROR_CODES.CLUSTER_AUTHORIZATION_FAILED, NOT_AUTHORIZED);
  const stored = context.services.metadata.acls();
  const removed = new Set<string>();
  const filterResults = request.filters.map((f) => {
    const filter: AclBindingFilter = {
      resourceType: f.resourceTypeFilter,
      resourceName: f.resourceNameFilter,
      patternType: f.patternTypeFilter,
      principal: f.principalFilter,
      host: f.hostFilter,
      operation: f.operation,
      permissionType: f.permissionType,
    };
    const invalid = invalidFilter(filter);
    if (invalid) return { errorCode: ERROR_CODES.INVALID_REQUEST, errorMessage: invalid, matchingAcls: [] };
    const matching = stored.filter((acl) => filterMatches(filter, acl.binding));
    for (const acl of matching) removed.add(acl.id);
    return {
      errorCode: ERROR_CODES.NONE,
      errorMessage: null,
      matchingAcls: matching.map(({ binding }) => ({
        errorCode: ERROR_CODES.NONE,
        errorMessage: null,
        ...binding,
      })),
    };
  });
  try {
    await context.services.metadata.deleteAcls([...removed]);
  } catch (error) {
    return all(errorCodeOf(error), errorMessageOf(error));
  }
  return { throttleTimeMs: 0, filterResults };
});
