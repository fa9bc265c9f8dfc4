import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const DescribeClientQuotas = defineApi({
  apiKey: 48,
  name: 'DescribeClientQuotas',
  versions: [0, 1],
  flexibleFrom: 1,
  request: {
    components: t.array({
      entityType: t.string(),
      matchType: t.int8(),
      match: t.string({ nullable: '0+' }),
    }),
    strict: t.bool(),
  },
  response: {
    throttleTimeMs: t.int32(),
    errorCode: t.int16(),
    errorMessage: t.string({ nullable: '0+' }),
    entries: t.array(
      {
        entity: t.array({
          entityType: t.string(),
          entityName: t.string({ nullable: '0+' }),
        }),
        values: t.array({
          key: t.string(),
          value: t.float64(),
        }),
      },
      { nullable: '0+' },
    ),
  },
});
