import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const AlterConfigs = defineApi({
  apiKey: 33,
  name: 'AlterConfigs',
  versions: [0, 2],
  flexibleFrom: 2,
  request: {
    resources: t.array({
      resourceType: t.int8(),
      resourceName: t.string(),
      configs: t.array({
        name: t.string(),
        value: t.string({ nullable: '0+' }),
      }),
    }),
    validateOnly: t.bool(),
  },
  response: {
    throttleTimeMs: t.int32(),
    responses: t.array({
      errorCode: t.int16(),
      errorMessage: t.string({ nullable: '0+' }),
      resourceType: t.int8(),
      resourceName: t.string(),
    }),
  },
});
