import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const SaslAuthenticate = defineApi({
  apiKey: 36,
  name: 'SaslAuthenticate',
  versions: [0, 2],
  flexibleFrom: 2,
  request: {
    authBytes: t.bytes(),
  },
  response: {
    errorCode: t.int16(),
    errorMessage: t.string({ nullable: '0+' }),
    authBytes: t.bytes(),
    sessionLifetimeMs: t.int64({ v: '1+' }),
  },
});
