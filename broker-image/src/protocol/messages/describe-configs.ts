import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const DescribeConfigs = defineApi({
  apiKey: 32,
  name: 'DescribeConfigs',
  versions: [1, 4],
  flexibleFrom: 4,
  request: {
    resources: t.array({
      resourceType: t.int8(),
      resourceName: t.string(),
      configurationKeys: t.arrayOf(t.string(), { nullable: '0+' }),
    }),
    includeSynonyms: t.bool({ v: '1+' }),
    includeDocumentation: t.bool({ v: '3+' }),
  },
  response: {
    throttleTimeMs: t.int32(),
    results: t.array({
      errorCode: t.int16(),
      errorMessage: t.string({ nullable: '0+' }),
      resourceType: t.int8(),
      resourceName: t.string(),
      configs: t.array({
        name: t.string(),
        value: t.string({ nullable: '0+' }),
        readOnly: t.bool(),
        // isDefault (v0 only) is replaced by configSource from v1.
        configSource: t.int8({ v: '1+', default: -1 }),
        isSensitive: t.bool(),
        synonyms: t.array(
          { name: t.string(), value: t.string({ nullable: '0+' }), source: t.int8() },
          { v: '1+' },
        ),
        configType: t.int8({ v: '3+' }),
        documentation: t.string({ v: '3+', nullable: '3+' }),
      }),
    }),
  },
});
