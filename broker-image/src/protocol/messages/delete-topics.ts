import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

/** Up to v5 topics are named in `topicNames`; v6 replaces it with `topics` (name or id). */
export const DeleteTopics = defineApi({
  apiKey: 20,
  name: 'DeleteTopics',
  versions: [1, 6],
  flexibleFrom: 4,
  request: {
    topics: t.array(
      {
        name: t.string({ nullable: '6+', default: null }),
        topicId: t.uuid(),
      },
      { v: '6+' },
    ),
    topicNames: t.arrayOf(t.string(), { v: '0-5' }),
    timeoutMs: t.int32(),
  },
  response: {
    throttleTimeMs: t.int32({ v: '1+' }),
    responses: t.array({
      name: t.string({ nullable: '6+' }),
      topicId: t.uuid({ v: '6+' }),
      errorCode: t.int16(),
      errorMessage: t.string({ v: '5+', nullable: '5+', default: null }),
    }),
  },
});
