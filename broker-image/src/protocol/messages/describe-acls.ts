import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

/** Kafka 4 serves v1-3 (v0, without pattern types, was removed). */
export const DescribeAcls = defineApi({
  apiKey: 29,
  name: 'DescribeAcls',
  versions: [1, 3],
  flexibleFrom: 2,
  request: {
    resourceTypeFilter: t.int8(),
    resourceNameFilter: t.string({ nullable: '0+' }),
    patternTypeFilter: t.int8({ default: 3 }),
    principalFilter: t.string({ nullable: '0+' }),
    hostFilter: t.string({ nullable: '0+' }),
    operation: t.int8(),
    permissionType: t.int8(),
  },
  response: {
    throttleTimeMs: t.int32(),
    errorCode: t.int16(),
    errorMessage: t.string({ nullable: '0+' }),
    resources: t.array({
      resourceType: t.int8(),
      resourceName: t.string(),
      patternType: t.int8({ default: 3 }),
      acls: t.array({
        principal: t.string(),
        host: t.string(),
        operation: t.int8(),
        permissionType: t.int8(),
      }),
    }),
  },
});
