import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const ApiVersions = defineApi({
  apiKey: 18,
  name: 'ApiVersions',
  versions: [0, 4],
  flexibleFrom: 3,
  request: {
    clientSoftwareName: t.string({ v: '3+' }),
    clientSoftwareVersion: t.string({ v: '3+' }),
  },
  response: {
    errorCode: t.int16(),
    apiKeys: t.array({
      apiKey: t.int16(),
      minVersion: t.int16(),
      maxVersion: t.int16(),
    }),
    throttleTimeMs: t.int32({ v: '1+' }),
    supportedFeatures: t.array(
      { name: t.string(), minVersion: t.int16(), maxVersion: t.int16() },
      { v: '3+', tag: 0 },
    ),
    finalizedFeaturesEpoch: t.int64({ v: '3+', tag: 1, default: -1 }),
    finalizedFeatures: t.array(
      { name: t.string(), maxVersionLevel: t.int16(), minVersionLevel: t.int16() },
      { v: '3+', tag: 2 },
    ),
    zkMigrationReady: t.bool({ v: '3+', tag: 3 }),
  },
});
