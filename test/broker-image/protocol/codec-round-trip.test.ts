import { describe, expect, it } from 'vitest';
import { Reader } from '../../../broker-image/src/protocol/primitives/reader.js';
import { Writer } from '../../../broker-image/src/protocol/primitives/writer.js';
import { API_LIST } from '../../../broker-image/src/protocol/registry.js';
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  isFlexible,
  type ApiDefinition,
} from '../../../broker-image/src/protocol/schema/api.js';
import type { Encodable, Fields } from '../../../broker-image/src/protocol/schema/fields.js';
import { byteDifference } from './byte-diff.js';
import { sampleMessage, seededRandom, seedOf, type Sample, type SampleOptions } from './sample-messages.js';

/**
 * Every (API, version, direction) the registry declares, round-tripped with samples generated from
 * the declaration itself: encode, decode to the expected value, re-encode to the same bytes.
 */

type Direction = 'request' | 'response';

const RANDOM_SAMPLES_PER_VERSION = 20;

type Chances = Pick<SampleOptions, 'nullChance' | 'unsentTagChance'>;
const EVERY_FIELD_SET: Chances = { nullChance: 0, unsentTagChance: 0 };
const NULLABLE_FIELDS_NULL: Chances = { nullChance: 1, unsentTagChance: 0 };
const SOME_NULL_SOME_UNSENT: Chances = { nullChance: 0.3, unsentTagChance: 0.3 };

const codecs = {
  request: {
    encode: (api: ApiDefinition, value: unknown, w: Writer, v: number) =>
      encodeRequest(api, value as Encodable<Fields>, w, v),
    decode: decodeRequest,
  },
  response: {
    encode: (api: ApiDefinition, value: unknown, w: Writer, v: number) =>
      encodeResponse(api, value as Encodable<Fields>, w, v),
    decode: decodeResponse,
  },
} as const;

function versionsOf(api: ApiDefinition): number[] {
  return Array.from({ length: api.maxVersion - api.minVersion + 1 }, (_, i) => api.minVersion + i);
}

function encode(api: ApiDefinition, direction: Direction, version: number, value: unknown): Buffer {
  const w = new Writer();
  codecs[direction].encode(api, value, w, version);
  return w.toBuffer();
}

function sample(
  api: ApiDefinition,
  direction: Direction,
  version: number,
  seed: number,
  chances: Chances,
): Sample {
  const options = { version, flexible: isFlexible(api, version), ...chances };
  return sampleMessage(api[direction], seededRandom(seed), options);
}

function expectRoundTrip(
  api: ApiDefinition,
  direction: Direction,
  version: number,
  { input, expected }: Sample,
) {
  const bytes = encode(api, direction, version, input);
  const reader = new Reader(bytes);
  const decoded = codecs[direction].decode(api, reader, version);
  expect(reader.remaining, 'bytes left after decoding').toBe(0);
  expect(decoded).toEqual(expected);
  expect(byteDifference(encode(api, direction, version, decoded), bytes)).toBeUndefined();
}

describe.each(API_LIST.map((api) => ({ api, title: `${api.name} (key ${api.apiKey})` })))(
  '$title',
  ({ api }) => {
    describe.each(['request', 'response'] as const)('%s', (direction) => {
      const versions = versionsOf(api);

      it.each(versions)('v%i with every field set round-trips to the same value and bytes', (version) => {
        const seed = seedOf(`${api.name} ${direction} v${version}`);
        expectRoundTrip(api, direction, version, sample(api, direction, version, seed, EVERY_FIELD_SET));
      });

      it.each(versions)(
        'v%i with every nullable field null round-trips to the same value and bytes',
        (version) => {
          const seed = seedOf(`${api.name} ${direction} v${version} nulls`);
          expectRoundTrip(
            api,
            direction,
            version,
            sample(api, direction, version, seed, NULLABLE_FIELDS_NULL),
          );
        },
      );

      it(`round-trips ${RANDOM_SAMPLES_PER_VERSION} random samples of every version, some nulls and unsent tags`, () => {
        for (const version of versions) {
          for (let i = 0; i < RANDOM_SAMPLES_PER_VERSION; i++) {
            const seed = seedOf(`${api.name} ${direction} v${version} #${i}`);
            const s = sample(api, direction, version, seed, SOME_NULL_SOME_UNSENT);
            try {
              expectRoundTrip(api, direction, version, s);
            } catch (err) {
              throw new Error(`v${version}, sample #${i} (seed ${seed}): ${(err as Error).message}`, {
                cause: err,
              });
            }
          }
        }
      });
    });
  },
);
