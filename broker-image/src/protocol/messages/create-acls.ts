import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

/** Kafka 4 serves v1-3 (v0, without pattern types, was removed). */
export const CreateAcls = defineApi({
  apiKey: 30,
  name: 'CreateAcls',
  versions: [1, 3],
  flexibleFrom: 2,
  request: {
    creations: t.array({
      resourceType: t.int8(),
      resourceName: t.string(),
      resourcePatternType: t.int8({ default: 3 }),
      principal: t.string(),
      host: t.string(),
      operation: t.int8(),
      permissionType: t.int8(),
    }),
  },
  response: {
    throttleTimeMs: t.int32(),
    results: t.array({
      errorCode: t.int16(),
      errorMessage: t.string({ nullable: '0+' }),
    }),
  },
});
