import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

/** Kafka 4 serves v1-3 (v0, without pattern types, was removed). */
export const DeleteAcls = defineApi({
  apiKey: 31,
  name: 'DeleteAcls',
  versions: [1, 3],
  flexibleFrom: 2,
  request: {
    filters: t.array({
      resourceTypeFilter: t.int8(),
      resourceNameFilter: t.string({ nullable: '0+' }),
      patternTypeFilter: t.int8({ default: 3 }),
      principalFilter: t.string({ nullable: '0+' }),
      hostFilter: t.string({ nullable: '0+' }),
      operation: t.int8(),
      permissionType: t.int8(),
    }),
  },
  response: {
    throttleTimeMs: t.int32(),
    filterResults: t.array({
      errorCode: t.int16(),
      errorMessage: t.string({ nullable: '0+' }),
      matchingAcls: t.array({
        errorCode: t.int16(),
        errorMessage: t.string({ nullable: '0+' }),
        resourceType: t.int8(),
        resourceName: t.string(),
        patternType: t.int8({ default: 3 }),
        principal: t.string(),
        host: t.string(),
        operation: t.int8(),
        permissionType: t.int8(),
      }),
    }),
  },
});
