import {
  AclOperation,
  AclPermission,
  PatternType,
  WILDCARD,
  WILDCARD_PRINCIPAL,
  type AclBinding,
  type StoredAcl,
} from './acl.js';

/** Kafka's authorizer, the only one `authorizer.class.name` may name. */
export const STANDARD_AUTHORIZER = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';

export interface AuthorizerSettings {
  /** Principals (`User:admin`) allowed everything. */
  readonly superUsers: ReadonlySet<string>;
  /** Whether a resource no ACL names is open to everyone (else closed to all but super users). */
  readonly allowEveryoneIfNoAclFound: boolean;
}

/** The ACLs of one resource type, by how they name resources. */
interface TypeIndex {
  readonly literal: Map<string, AclBinding[]>;
  readonly prefixed: AclBinding[];
}

/** For an allow ACL: the operations that grant `requested` (beyond itself and ALL). */
function grantingOperations(requested: number): readonly number[] {
  switch (requested) {
    case AclOperation.DESCRIBE:
      return [AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER];
    case AclOperation.DESCRIBE_CONFIGS:
      return [AclOperation.ALTER_CONFIGS];
    default:
      return [];
  }
}

/**
 * Kafka's StandardAuthorizer: super users may do everything; otherwise a request is allowed when
 * an ALLOW ACL matches it and no DENY ACL does (deny wins). An ACL matches a resource it names
 * literally, by the wildcard `*`, or by a prefix of its name; a principal it names or `User:*`;
 * a host it names or `*`; and its operation, ALL, or (for ALLOW) one implying the operation:
 * READ, WRITE, DELETE and ALTER imply DESCRIBE, ALTER_CONFIGS implies DESCRIBE_CONFIGS. A
 * resource no ACL names at all is allowed only with `allow.everyone.if.no.acl.found`.
 *
 * The ACLs are read from the metadata store (`acls`); the index is rebuilt whenever the store
 * hands out a different list.
 */
export class StandardAuthorizer {
  private indexedFrom: readonly StoredAcl[] | undefined;
  private index = new Map<number, TypeIndex>();

  constructor(
    private readonly settings: AuthorizerSettings,
    private readonly acls: () => readonly StoredAcl[],
  ) {}

  isSuperUser(principal: string): boolean {
    return this.settings.superUsers.has(principal);
  }

  authorize(principal: string, host: string, operation: number, resourceType: number, name: string): boolean {
    if (this.isSuperUser(principal)) return true;
    const typeIndex = this.current().get(resourceType);
    const candidates: AclBinding[] = [];
    if (typeIndex) {
      candidates.push(...(typeIndex.literal.get(name) ?? []));
      if (name !== WILDCARD) candidates.push(...(typeIndex.literal.get(WILDCARD) ?? []));
      for (const acl of typeIndex.prefixed) if (name.startsWith(acl.resourceName)) candidates.push(acl);
    }
    if (candidates.length === 0) return this.settings.allowEveryoneIfNoAclFound;
    const granting = grantingOperations(operation);
    let allowed = false;
    for (const acl of candidates) {
      if (!this.entryMatches(acl, principal, host)) continue;
      if (acl.permissionType === AclPermission.DENY) {
        if (acl.operation === operation || acl.operation === AclOperation.ALL) return false;
      } else if (
        acl.operation === operation ||
        acl.operation === AclOperation.ALL ||
        granting.includes(acl.operation)
      ) {
        allowed = true;
      }
    }
    return allowed;
  }

  /**
   * Whether the principal may do `operation` on some resource of the type (Kafka's
   * authorizeByResourceType, which InitProducerId asks for WRITE on any topic): an ALLOW ACL, for
   * the operation or ALL, on a literal name or a prefix no DENY ACL covers.
   */
  authorizeByResourceType(principal: string, host: string, operation: number, resourceType: number): boolean {
    if (this.isSuperUser(principal)) return true;
    const typeIndex = this.current().get(resourceType);
    const all = typeIndex ? [...[...typeIndex.literal.values()].flat(), ...typeIndex.prefixed] : [];
    const relevant = all.filter(
      (acl) =>
        this.entryMatches(acl, principal, host) &&
        (acl.operation === operation || acl.operation === AclOperation.ALL),
    );
    if (all.length === 0 && this.settings.allowEveryoneIfNoAclFound) return true;
    const names = (permission: number, pattern: number): string[] =>
      relevant
        .filter((acl) => acl.permissionType === permission && acl.patternType === pattern)
        .map((acl) => acl.resourceName);
    const denyLiterals = new Set(names(AclPermission.DENY, PatternType.LITERAL));
    const denyPrefixes = names(AclPermission.DENY, PatternType.PREFIXED);
    if (denyLiterals.has(WILDCARD) || denyPrefixes.includes('')) return false;
    const deniedByPrefix = (name: string): boolean => denyPrefixes.some((prefix) => name.startsWith(prefix));
    for (const name of names(AclPermission.ALLOW, PatternType.LITERAL)) {
      if (name === WILDCARD || (!denyLiterals.has(name) && !deniedByPrefix(name))) return true;
    }
    for (const prefix of names(AclPermission.ALLOW, PatternType.PREFIXED)) {
      if (!deniedByPrefix(prefix)) return true;
    }
    return false;
  }

  private entryMatches(acl: AclBinding, principal: string, host: string): boolean {
    return (
      (acl.principal === principal || acl.principal === WILDCARD_PRINCIPAL) &&
      (acl.host === host || acl.host === WILDCARD)
    );
  }

  private current(): Map<number, TypeIndex> {
    const acls = this.acls();
    if (acls === this.indexedFrom) return this.index;
    const index = new Map<number, TypeIndex>();
    for (const { binding } of acls) {
      let typeIndex = index.get(binding.resourceType);
      if (!typeIndex) {
        typeIndex = { literal: new Map(), prefixed: [] };
        index.set(binding.resourceType, typeIndex);
      }
      if (binding.patternType === PatternType.PREFIXED) typeIndex.prefixed.push(binding);
      else {
        const list = typeIndex.literal.get(binding.resourceName) ?? [];
        list.push(binding);
        typeIndex.literal.set(binding.resourceName, list);
      }
    }
    this.index = index;
    this.indexedFrom = acls;
    return index;
  }
}
