import {
  AlterConfigs,
  ApiVersions,
  CreatePartitions,
  CreateTopics,
  DeleteGroups,
  DeleteRecords,
  DeleteTopics,
  DescribeCluster,
  DescribeConfigs,
  DescribeGroups,
  Fetch,
  FindCoordinator,
  Heartbeat,
  IncrementalAlterConfigs,
  InitProducerId,
  JoinGroup,
  LeaveGroup,
  ListGroups,
  ListOffsets,
  Metadata,
  OffsetCommit,
  OffsetDelete,
  OffsetFetch,
  Produce,
  SyncGroup,
} from '../../../broker-image/src/protocol/messages/index.js';
import { CompressionType } from '../../../broker-image/src/protocol/records/compression.js';
import { buildRecordBatch } from '../../../broker-image/src/protocol/records/records.js';
import type { ApiDefinition, EncodableRequestOf } from '../../../broker-image/src/protocol/schema/api.js';
import { encodeRequestFrame } from '../../support/raw-client.js';

/**
 * Well-formed requests for the fuzzer to start from: every API the broker serves, at versions on
 * both sides of its flexible boundary. They touch only the fuzz topics and groups below, never the
 * data the fuzz test checks afterwards.
 */
export const FUZZ_TOPIC = 'fuzz-target';
export const FUZZ_TOPIC_PARTITIONS = 3;
const GROUP = 'fuzz-group';

export interface SeedFrame {
  readonly name: string;
  readonly api: ApiDefinition;
  readonly version: number;
  /** The request body the frame encodes, for mutations that change field values. */
  readonly body: Record<string, unknown>;
  /** The whole frame, size prefix included. */
  readonly frame: Buffer;
  /** Where a record batch lies in `frame`, for mutations that keep its CRC valid. */
  readonly batch?: { readonly at: number; readonly length: number };
}

function seed<A extends ApiDefinition>(api: A, version: number, body: EncodableRequestOf<A>): SeedFrame {
  return {
    name: `${api.name} v${version}`,
    api,
    version,
    body: body as Record<string, unknown>,
    frame: encodeRequestFrame(api, version, body, { correlationId: 1000 + api.apiKey * 100 + version }),
  };
}

function sampleBatch(compression: CompressionType): Buffer {
  return buildRecordBatch(
    Array.from({ length: 5 }, (_, i) => ({
      key: i % 2 === 0 ? Buffer.from(`key-${i}`) : null,
      value: Buffer.from(`fuzz value ${i} `.repeat(8)),
      headers: i === 0 ? [{ key: 'h', value: Buffer.from('v') }] : [],
    })),
    { compression, timestamp: 1_700_000_000_000 },
  );
}

function produceSeeds(): SeedFrame[] {
  const seeds: SeedFrame[] = [];
  const codecs = Object.entries(CompressionType) as [string, CompressionType][];
  for (const [version, acks] of [
    [3, -1],
    [7, 1],
    [9, -1],
    [9, 0],
  ] as const) {
    for (const [codec, compression] of codecs) {
      const batch = sampleBatch(compression);
      const base = seed(Produce, version, {
        transactionalId: null,
        acks,
        timeoutMs: 5_000,
        topicData: [
          { name: FUZZ_TOPIC, partitionData: [{ index: version % FUZZ_TOPIC_PARTITIONS, records: batch }] },
        ],
      });
      seeds.push({
        ...base,
        name: `${base.name} acks=${acks} ${codec.toLowerCase()}`,
        batch: { at: base.frame.indexOf(batch), length: batch.length },
      });
    }
  }
  return seeds;
}

function fetchSeeds(): SeedFrame[] {
  const partitions = Array.from({ length: FUZZ_TOPIC_PARTITIONS }, (_, partition) => ({
    partition,
    fetchOffset: 0,
    logStartOffset: -1,
    partitionMaxBytes: 64 * 1024,
  }));
  return [4, 11, 12].map((version) =>
    seed(Fetch, version, {
      maxWaitMs: 10,
      minBytes: 1,
      maxBytes: 1024 * 1024,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: FUZZ_TOPIC, partitions }],
      forgottenTopicsData: [],
      rackId: '',
    }),
  );
}

function adminSeeds(): SeedFrame[] {
  const newTopic = (name: string) => ({
    name,
    numPartitions: 2,
    replicationFactor: 1,
    assignments: [],
    configs: [{ name: 'retention.ms', value: '3600000' }],
  });
  return [
    ...[0, 2, 3, 4].map((v) =>
      seed(ApiVersions, v, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' }),
    ),
    seed(Metadata, 0, { topics: [{ name: FUZZ_TOPIC }] }),
    seed(Metadata, 4, { topics: [{ name: 'fuzz-auto' }], allowAutoTopicCreation: true }),
    seed(Metadata, 9, { topics: [{ name: FUZZ_TOPIC }], allowAutoTopicCreation: false }),
    seed(Metadata, 12, { topics: null, allowAutoTopicCreation: false }),
    ...[1, 4, 7].map((v) =>
      seed(ListOffsets, v, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [
          {
            name: FUZZ_TOPIC,
            partitions: [
              { partitionIndex: 0, timestamp: -1 },
              { partitionIndex: 1, timestamp: -2 },
              { partitionIndex: 2, timestamp: 1_700_000_000_000 },
            ],
          },
        ],
      }),
    ),
    ...[2, 5, 7].map((v) =>
      seed(CreateTopics, v, {
        topics: [
          newTopic(`fuzz-created-v${v}`),
          {
            ...newTopic(`fuzz-assigned-v${v}`),
            numPartitions: -1,
            replicationFactor: -1,
            assignments: [{ partitionIndex: 0, brokerIds: [1] }],
          },
        ],
        timeoutMs: 5_000,
        validateOnly: false,
      }),
    ),
    ...[1, 4].map((v) => seed(DeleteTopics, v, { topicNames: [`fuzz-created-v${v}`], timeoutMs: 5_000 })),
    seed(DeleteTopics, 6, {
      topics: [{ name: 'fuzz-created-v7', topicId: Buffer.alloc(16) }],
      timeoutMs: 5_000,
    }),
    ...[0, 2, 3].map((v) =>
      seed(CreatePartitions, v, {
        topics: [{ name: 'fuzz-created-v5', count: 3, assignments: null }],
        timeoutMs: 5_000,
        validateOnly: v === 0,
      }),
    ),
    ...[0, 2].map((v) =>
      seed(DeleteRecords, v, {
        topics: [{ name: FUZZ_TOPIC, partitions: [{ partitionIndex: 1, offset: 1 }] }],
        timeoutMs: 5_000,
      }),
    ),
    ...[0, 2, 4].map((v) => seed(InitProducerId, v, { transactionalId: null, transactionTimeoutMs: 60_000 })),
    ...[1, 4].map((v) =>
      seed(DescribeConfigs, v, {
        resources: [
          { resourceType: 2, resourceName: FUZZ_TOPIC, configurationKeys: null },
          { resourceType: 4, resourceName: '1', configurationKeys: ['log.retention.ms'] },
        ],
        includeSynonyms: true,
        includeDocumentation: true,
      }),
    ),
    ...[0, 2].map((v) =>
      seed(AlterConfigs, v, {
        resources: [
          {
            resourceType: 2,
            resourceName: 'fuzz-created-v2',
            configs: [{ name: 'retention.ms', value: '7200000' }],
          },
        ],
        validateOnly: false,
      }),
    ),
    ...[0, 1].map((v) =>
      seed(IncrementalAlterConfigs, v, {
        resources: [
          {
            resourceType: 2,
            resourceName: 'fuzz-created-v5',
            configs: [
              { name: 'cleanup.policy', configOperation: 2, value: 'compact' },
              { name: 'retention.ms', configOperation: 0, value: '7200000' },
            ],
          },
        ],
        validateOnly: false,
      }),
    ),
    ...[0, 1].map((v) => seed(DescribeCluster, v, { includeClusterAuthorizedOperations: true })),
  ];
}

function groupSeeds(): SeedFrame[] {
  const protocols = [
    {
      name: 'range',
      metadata: Buffer.from([0, 1, 0, 0, 0, 1, 0, 11, ...Buffer.from(FUZZ_TOPIC), 0, 0, 0, 0]),
    },
  ];
  return [
    ...[0, 1, 3].map((v) => seed(FindCoordinator, v, { key: GROUP, keyType: 0 })),
    seed(FindCoordinator, 4, { keyType: 0, coordinatorKeys: [GROUP, `${GROUP}-2`] }),
    ...[0, 5, 7].map((v) =>
      seed(JoinGroup, v, {
        groupId: GROUP,
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        memberId: '',
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols,
      }),
    ),
    ...[0, 3, 5].map((v) =>
      seed(SyncGroup, v, {
        groupId: GROUP,
        generationId: 1,
        memberId: 'member-1',
        protocolType: 'consumer',
        protocolName: 'range',
        assignments: [{ memberId: 'member-1', assignment: Buffer.from([0, 1, 0, 0, 0, 0]) }],
      }),
    ),
    ...[0, 4].map((v) => seed(Heartbeat, v, { groupId: GROUP, generationId: 1, memberId: 'member-1' })),
    seed(LeaveGroup, 0, { groupId: GROUP, memberId: 'member-1' }),
    ...[3, 4].map((v) => seed(LeaveGroup, v, { groupId: GROUP, members: [{ memberId: 'member-1' }] })),
    ...[2, 7, 8].map((v) =>
      seed(OffsetCommit, v, {
        groupId: 'fuzz-commits',
        generationIdOrMemberEpoch: -1,
        memberId: '',
        topics: [
          {
            name: FUZZ_TOPIC,
            partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: 'fuzz' }],
          },
        ],
      }),
    ),
    ...[1, 7].map((v) =>
      seed(OffsetFetch, v, {
        groupId: 'fuzz-commits',
        topics: [{ name: FUZZ_TOPIC, partitionIndexes: [0, 1] }],
        requireStable: false,
      }),
    ),
    seed(OffsetFetch, 8, {
      groups: [{ groupId: 'fuzz-commits', topics: null }],
      requireStable: false,
    }),
    ...[0, 5].map((v) =>
      seed(DescribeGroups, v, { groups: [GROUP, 'fuzz-commits'], includeAuthorizedOperations: true }),
    ),
    ...[0, 4].map((v) => seed(ListGroups, v, { statesFilter: ['Stable'] })),
    ...[0, 2].map((v) => seed(DeleteGroups, v, { groupsNames: ['fuzz-empty-group'] })),
    seed(OffsetDelete, 0, {
      groupId: 'fuzz-commits',
      topics: [{ name: FUZZ_TOPIC, partitions: [{ partitionIndex: 0 }] }],
    }),
  ];
}

export function seedFrames(): SeedFrame[] {
  return [...produceSeeds(), ...fetchSeeds(), ...adminSeeds(), ...groupSeeds()];
}
