import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const DescribeUserScramCredentials = defineApi({
  apiKey: 50,
  name: 'DescribeUserScramCredentials',
  versions: [0, 0],
  flexibleFrom: 0,
  request: {
    users: t.array({ name: t.string() }, { nullable: '0+' }),
  },
  response: {
    throttleTimeMs: t.int32(),
    errorCode: t.int16(),
    errorMessage: t.string({ nullable: '0+' }),
    results: t.array({
      user: t.string(),
      errorCode: t.int16(),
      errorMessage: t.string({ nullable: '0+' }),
      credentialInfos: t.array({
        mechanism: t.int8(),
        iterations: t.int32(),
      }),
    }),
  },
});
