import { describe, expect, it } from 'vitest';
import {
  AclOperation as Op,
  AclPermission,
  PatternType,
  ResourceType,
  filterMatches,
  invalidBinding,
  type AclBinding,
  type StoredAcl,
} from '../../../broker-image/src/security/acl.js';
import { StandardAuthorizer } from '../../../broker-image/src/security/authorizer.js';
import { clientHost } from '../../../broker-image/src/security/request-authorization.js';

function acl(partial: Partial<AclBinding>): AclBinding {
  return {
    resourceType: ResourceType.TOPIC,
    resourceName: 't',
    patternType: PatternType.LITERAL,
    principal: 'User:alice',
    host: '*',
    operation: Op.READ,
    permissionType: AclPermission.ALLOW,
    ...partial,
  };
}

function authorizer(
  bindings: AclBinding[],
  options: { superUsers?: string[]; allowEveryone?: boolean } = {},
) {
  const stored: StoredAcl[] = bindings.map((binding, i) => ({ id: String(i), binding }));
  return new StandardAuthorizer(
    {
      superUsers: new Set(options.superUsers ?? []),
      allowEveryoneIfNoAclFound: options.allowEveryone ?? false,
    },
    () => stored,
  );
}

const topic = (
  a: StandardAuthorizer,
  op: number,
  name: string,
  principal = 'User:alice',
  host = '10.0.0.1',
) => a.authorize(principal, host, op, ResourceType.TOPIC, name);

describe('StandardAuthorizer', () => {
  it('allows what an ALLOW ACL names and nothing else', () => {
    const a = authorizer([acl({})]);
    expect(topic(a, Op.READ, 't')).toBe(true);
    expect(topic(a, Op.WRITE, 't')).toBe(false);
    expect(topic(a, Op.READ, 'other')).toBe(false);
    expect(topic(a, Op.READ, 't', 'User:bob')).toBe(false);
  });

  it("applies Kafka's implications: Read/Write/Delete/Alter imply Describe, AlterConfigs implies DescribeConfigs", () => {
    for (const op of [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER]) {
      expect(topic(authorizer([acl({ operation: op })]), Op.DESCRIBE, 't')).toBe(true);
    }
    expect(topic(authorizer([acl({ operation: Op.CREATE })]), Op.DESCRIBE, 't')).toBe(false);
    expect(topic(authorizer([acl({ operation: Op.ALTER_CONFIGS })]), Op.DESCRIBE_CONFIGS, 't')).toBe(true);
    expect(topic(authorizer([acl({ operation: Op.ALL })]), Op.ALTER_CONFIGS, 't')).toBe(true);
    // A DENY on Read does not deny Describe.
    const a = authorizer([
      acl({ operation: Op.DESCRIBE }),
      acl({ operation: Op.READ, permissionType: AclPermission.DENY }),
    ]);
    expect(topic(a, Op.DESCRIBE, 't')).toBe(true);
    expect(topic(a, Op.READ, 't')).toBe(false);
  });

  it('lets DENY win over ALLOW, including DENY on ALL and by wildcard principal', () => {
    expect(topic(authorizer([acl({}), acl({ permissionType: AclPermission.DENY })]), Op.READ, 't')).toBe(
      false,
    );
    expect(
      topic(
        authorizer([acl({}), acl({ operation: Op.ALL, permissionType: AclPermission.DENY })]),
        Op.READ,
        't',
      ),
    ).toBe(false);
    expect(
      topic(
        authorizer([acl({}), acl({ principal: 'User:*', permissionType: AclPermission.DENY })]),
        Op.READ,
        't',
      ),
    ).toBe(false);
  });

  it('matches prefixed and wildcard resources, and hosts', () => {
    const a = authorizer([
      acl({ resourceName: 'pre-', patternType: PatternType.PREFIXED }),
      acl({ resourceName: '*', operation: Op.WRITE }),
      acl({ resourceName: 'h', host: '10.0.0.2', operation: Op.DELETE }),
    ]);
    expect(topic(a, Op.READ, 'pre-x')).toBe(true);
    expect(topic(a, Op.READ, 'prex')).toBe(false);
    expect(topic(a, Op.WRITE, 'anything')).toBe(true);
    expect(topic(a, Op.DELETE, 'h', 'User:alice', '10.0.0.2')).toBe(true);
    expect(topic(a, Op.DELETE, 'h', 'User:alice', '10.0.0.1')).toBe(false);
  });

  it('allows super users everything, and a resource without ACLs only with allow.everyone.if.no.acl.found', () => {
    expect(topic(authorizer([], { superUsers: ['User:alice'] }), Op.DELETE, 'x')).toBe(true);
    expect(topic(authorizer([]), Op.READ, 'x')).toBe(false);
    const open = authorizer([acl({ principal: 'User:bob' })], { allowEveryone: true });
    expect(topic(open, Op.READ, 'x')).toBe(true);
    // t has an ACL (for bob), so it is closed to alice.
    expect(topic(open, Op.READ, 't')).toBe(false);
  });

  it('authorizes by resource type as InitProducerId asks (WRITE on some topic)', () => {
    const a = authorizer([acl({ operation: Op.WRITE })]);
    expect(a.authorizeByResourceType('User:alice', '1.2.3.4', Op.WRITE, ResourceType.TOPIC)).toBe(true);
    expect(a.authorizeByResourceType('User:bob', '1.2.3.4', Op.WRITE, ResourceType.TOPIC)).toBe(false);
    const denied = authorizer([
      acl({ operation: Op.WRITE }),
      acl({ operation: Op.WRITE, permissionType: AclPermission.DENY }),
    ]);
    expect(denied.authorizeByResourceType('User:alice', '1.2.3.4', Op.WRITE, ResourceType.TOPIC)).toBe(false);
  });

  it('rebuilds its index when the store hands out a new list', () => {
    let stored: StoredAcl[] = [];
    const a = new StandardAuthorizer(
      { superUsers: new Set(), allowEveryoneIfNoAclFound: false },
      () => stored,
    );
    expect(topic(a, Op.READ, 't')).toBe(false);
    stored = [{ id: '1', binding: acl({}) }];
    expect(topic(a, Op.READ, 't')).toBe(true);
  });
});

describe('ACL filters and validation', () => {
  const filter = {
    resourceType: ResourceType.ANY,
    resourceName: null,
    patternType: PatternType.ANY,
    principal: null,
    host: null,
    operation: Op.ANY,
    permissionType: AclPermission.ANY,
  };

  it('matches as Kafka: ANY by exact name, MATCH by what would apply to the name', () => {
    const literal = acl({});
    const prefixed = acl({ resourceName: 'pre-', patternType: PatternType.PREFIXED });
    const wildcard = acl({ resourceName: '*' });
    expect(filterMatches(filter, literal)).toBe(true);
    const any = { ...filter, resourceName: 'pre-' };
    expect(filterMatches(any, prefixed)).toBe(true);
    expect(filterMatches(any, literal)).toBe(false);
    const match = { ...filter, resourceName: 'pre-x', patternType: PatternType.MATCH };
    expect(filterMatches(match, prefixed)).toBe(true);
    expect(filterMatches(match, wildcard)).toBe(true);
    expect(filterMatches(match, literal)).toBe(false);
    expect(filterMatches({ ...filter, patternType: PatternType.PREFIXED }, literal)).toBe(false);
    expect(filterMatches({ ...filter, operation: Op.WRITE }, literal)).toBe(false);
    expect(filterMatches({ ...filter, principal: 'User:alice', host: '*' }, literal)).toBe(true);
  });

  it('refuses ACLs Kafka refuses', () => {
    expect(invalidBinding(acl({}))).toBeUndefined();
    expect(invalidBinding(acl({ patternType: PatternType.MATCH }))).toMatch(/patternType/);
    expect(invalidBinding(acl({ operation: Op.ANY }))).toMatch(/operation/);
    expect(invalidBinding(acl({ principal: 'alice' }))).toMatch(/principal/);
    expect(invalidBinding(acl({ resourceType: ResourceType.CLUSTER, resourceName: 'x' }))).toMatch(
      /kafka-cluster/,
    );
  });

  it('names client hosts as ACLs do', () => {
    expect(clientHost('127.0.0.1:5555')).toBe('127.0.0.1');
    expect(clientHost('::ffff:10.1.2.3:5555')).toBe('10.1.2.3');
    // As Java writes IPv6 addresses: eight groups, no leading zeros, no '::'.
    expect(clientHost('::1:5555')).toBe('0:0:0:0:0:0:0:1');
    expect(clientHost('fe80::0a:1:5555')).toBe('fe80:0:0:0:0:0:a:1');
  });
});
