import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const AlterUserScramCredentials = defineApi({
  apiKey: 51,
  name: 'AlterUserScramCredentials',
  versions: [0, 0],
  flexibleFrom: 0,
  request: {
    deletions: t.array({
      name: t.string(),
      mechanism: t.int8(),
    }),
    upsertions: t.array({
      name: t.string(),
      mechanism: t.int8(),
      iterations: t.int32(),
      salt: t.bytes(),
      saltedPassword: t.bytes(),
    }),
  },
  response: {
    throttleTimeMs: t.int32(),
    results: t.array({
      user: t.string(),
      errorCode: t.int16(),
      errorMessage: t.string({ nullable: '0+' }),
    }),
  },
});
