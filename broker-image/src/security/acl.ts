/**
 * Kafka's ACLs: a binding of a resource pattern (type, name, literal or prefixed) to an entry
 * (principal, host, operation, allow or deny), with the codes the protocol carries, and the
 * filters DescribeAcls and DeleteAcls match bindings with.
 */

/** Kafka's ResourceType codes. */
export const ResourceType = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;
export type ResourceTypeCode = (typeof ResourceType)[keyof typeof ResourceType];

/** Kafka's PatternType codes. */
export const PatternType = {
  UNKNOWN: 0,
  ANY: 1,
  MATCH: 2,
  LITERAL: 3,
  PREFIXED: 4,
} as const;

/** Kafka's AclOperation codes. */
export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
  TWO_PHASE_COMMIT: 15,
} as const;
export type AclOperationCode = (typeof AclOperation)[keyof typeof AclOperation];

/** Kafka's AclPermissionType codes. */
export const AclPermission = {
  UNKNOWN: 0,
  ANY: 1,
  DENY: 2,
  ALLOW: 3,
} as const;

/** The one name a CLUSTER resource has. */
export const CLUSTER_NAME = 'kafka-cluster';
/** A literal resource name, principal name or host matching every one. */
export const WILDCARD = '*';
export const WILDCARD_PRINCIPAL = 'User:*';

export interface AclBinding {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly patternType: number;
  readonly principal: string;
  readonly host: string;
  readonly operation: number;
  readonly permissionType: number;
}

/** A binding as stored, with the id the metadata store keeps it under. */
export interface StoredAcl {
  readonly id: string;
  readonly binding: AclBinding;
}

/** A DescribeAcls or DeleteAcls filter; null fields match anything. */
export interface AclBindingFilter {
  readonly resourceType: number;
  readonly resourceName: string | null;
  readonly patternType: number;
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: number;
  readonly permissionType: number;
}

/**
 * Why a binding cannot be created, or undefined if it can: a concrete resource type, pattern
 * type (literal or prefixed), operation and permission, a `Type:name` principal, and the
 * cluster's own name for a CLUSTER resource.
 */
export function invalidBinding(binding: AclBinding): string | undefined {
  const concreteTypes: number[] = [
    ResourceType.TOPIC,
    ResourceType.GROUP,
    ResourceType.CLUSTER,
    ResourceType.TRANSACTIONAL_ID,
    ResourceType.DELEGATION_TOKEN,
    ResourceType.USER,
  ];
  if (!concreteTypes.includes(binding.resourceType)) return `Invalid resourceType ${binding.resourceType}`;
  if (binding.patternType !== PatternType.LITERAL && binding.patternType !== PatternType.PREFIXED)
    return `Invalid patternType ${binding.patternType}`;
  if (binding.operation < AclOperation.ALL || binding.operation > AclOperation.TWO_PHASE_COMMIT)
    return `Invalid operation ${binding.operation}`;
  if (binding.permissionType !== AclPermission.ALLOW && binding.permissionType !== AclPermission.DENY)
    return `Invalid permissionType ${binding.permissionType}`;
  if (binding.resourceName === '') return 'Resource name should not be empty';
  const colon = binding.principal.indexOf(':');
  if (colon <= 0 || colon === binding.principal.length - 1)
    return `Could not parse principal from \`${binding.principal}\` (no colon is present separating the principal type from the principal name)`;
  if (binding.host === '') return 'Host should not be empty';
  if (binding.resourceType === ResourceType.CLUSTER && binding.resourceName !== CLUSTER_NAME)
    return `The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`;
  return undefined;
}

/** Whether a filter's resource part matches a binding's pattern, as Kafka's ResourcePatternFilter. */
function resourceMatches(filter: AclBindingFilter, binding: AclBinding): boolean {
  if (filter.resourceType !== ResourceType.ANY && filter.resourceType !== binding.resourceType) return false;
  if (
    filter.patternType !== PatternType.ANY &&
    filter.patternType !== PatternType.MATCH &&
    filter.patternType !== binding.patternType
  )
    return false;
  if (filter.resourceName === null) return true;
  if (filter.patternType === PatternType.ANY || filter.patternType === binding.patternType)
    return filter.resourceName === binding.resourceName;
  // MATCH: the bindings that would apply to a resource of that name.
  if (binding.patternType === PatternType.LITERAL)
    return filter.resourceName === binding.resourceName || binding.resourceName === WILDCARD;
  return filter.resourceName.startsWith(binding.resourceName);
}

/** Whether a filter matches a binding, as Kafka's AclBindingFilter. */
export function filterMatches(filter: AclBindingFilter, binding: AclBinding): boolean {
  return (
    resourceMatches(filter, binding) &&
    (filter.principal === null || filter.principal === binding.principal) &&
    (filter.host === null || filter.host === binding.host) &&
    (filter.operation === AclOperation.ANY || filter.operation === binding.operation) &&
    (filter.permissionType === AclPermission.ANY || filter.permissionType === binding.permissionType)
  );
}

/** Why a filter is refused, or undefined: UNKNOWN codes are not filters. */
export function invalidFilter(filter: AclBindingFilter): string | undefined {
  if (filter.resourceType === ResourceType.UNKNOWN || filter.resourceType > ResourceType.USER)
    return `Invalid resourceType ${filter.resourceType}`;
  if (filter.patternType === PatternType.UNKNOWN || filter.patternType > PatternType.PREFIXED)
    return `Invalid patternType ${filter.patternType}`;
  if (filter.operation === AclOperation.UNKNOWN || filter.operation > AclOperation.TWO_PHASE_COMMIT)
    return `Invalid operation ${filter.operation}`;
  if (filter.permissionType === AclPermission.UNKNOWN || filter.permissionType > AclPermission.ALLOW)
    return `Invalid permissionType ${filter.permissionType}`;
  return undefined;
}

/** Two bindings are the same ACL when every field is equal. */
export function sameBinding(a: AclBinding, b: AclBinding): boolean {
  return (
    a.resourceType === b.resourceType &&
    a.resourceName === b.resourceName &&
    a.patternType === b.patternType &&
    a.principal === b.principal &&
    a.host === b.host &&
    a.operation === b.operation &&
    a.permissionType === b.permissionType
  );
}
