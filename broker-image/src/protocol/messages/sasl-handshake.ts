import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

/** Never flexible. From v1 the exchange that follows uses SaslAuthenticate, not raw tokens. */
export const SaslHandshake = defineApi({
  apiKey: 17,
  name: 'SaslHandshake',
  versions: [0, 1],
  request: {
    mechanism: t.string(),
  },
  response: {
    errorCode: t.int16(),
    mechanisms: t.arrayOf(t.string()),
  },
});
