import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const FindCoordinator = defineApi({
  apiKey: 10,
  name: 'FindCoordinator',
  versions: [0, 4],
  flexibleFrom: 3,
  request: {
    key: t.string({ v: '0-3' }),
    keyType: t.int8({ v: '1+' }),
    // v4+ looks up several keys (of one key type) at once.
    coordinatorKeys: t.arrayOf(t.string(), { v: '4+' }),
  },
  response: {
    throttleTimeMs: t.int32({ v: '1+' }),
    errorCode: t.int16({ v: '0-3' }),
    errorMessage: t.string({ v: '1-3', nullable: '1-3' }),
    nodeId: t.int32({ v: '0-3' }),
    host: t.string({ v: '0-3' }),
    port: t.int32({ v: '0-3' }),
    coordinators: t.array(
      {
        key: t.string({ v: '4+' }),
        nodeId: t.int32({ v: '4+' }),
        host: t.string({ v: '4+' }),
        port: t.int32({ v: '4+' }),
        errorCode: t.int16({ v: '4+' }),
        errorMessage: t.string({ v: '4+', nullable: '4+' }),
      },
      { v: '4+' },
    ),
  },
});
