import { describe, expect, it } from 'vitest';
import { brokerConfigFrom } from '../../../broker-image/src/config/broker-config.js';
import { describeBrokerConfigs } from '../../../broker-image/src/config/describe-configs.js';

const AUTHORIZER = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';
const config = (extra: Record<string, string>) =>
  brokerConfigFrom(new Map(Object.entries({ 'node.id': '1', ...extra })));

describe('authorizer settings', () => {
  it('has no authorizer by default', () => {
    expect(config({}).authorizer).toBeNull();
    expect(config({ 'authorizer.class.name': '' }).authorizer).toBeNull();
  });

  it("accepts Kafka's StandardAuthorizer with semicolon-separated super users", () => {
    const settings = config({
      'authorizer.class.name': AUTHORIZER,
      'super.users': 'User:admin; User:ANONYMOUS;',
      'allow.everyone.if.no.acl.found': 'true',
    }).authorizer!;
    expect([...settings.superUsers]).toEqual(['User:admin', 'User:ANONYMOUS']);
    expect(settings.allowEveryoneIfNoAclFound).toBe(true);
    expect(config({ 'authorizer.class.name': AUTHORIZER }).authorizer).toEqual({
      superUsers: new Set(),
      allowEveryoneIfNoAclFound: false,
    });
  });

  it('refuses another authorizer class and a super user that is not a principal', () => {
    expect(() => config({ 'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer' })).toThrow(
      /authorizer.class.name.*StandardAuthorizer/,
    );
    expect(() => config({ 'authorizer.class.name': AUTHORIZER, 'super.users': 'admin' })).toThrow(
      /super.users.*not a principal/,
    );
  });

  it('describes the settings with their defaults', () => {
    const described = describeBrokerConfigs(config({ 'authorizer.class.name': AUTHORIZER }));
    const byName = new Map(described.map((c) => [c.name, c]));
    expect(byName.get('authorizer.class.name')?.value).toBe(AUTHORIZER);
    expect(byName.get('allow.everyone.if.no.acl.found')?.value).toBe('false');
  });
});
