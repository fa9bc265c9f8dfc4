import { z } from 'zod';
import { CLUSTER_STATES, type AutoExpansion } from '../clusters/cluster-model.js';
import { configurationProblems } from '../clusters/broker-configuration.js';
import {
  AUTO_EXPANSION_DEFAULTS,
  AUTO_EXPANSION_LIMITS,
  BROKER_COUNT,
  BROKERS_PER_ZONE,
  CLUSTER_NAME,
  DEFAULT_NODE_TYPE,
  FIRST_BROKER_ID,
  TAG_COUNT,
  TAG_KEY_LENGTH,
  TAG_VALUE_LENGTH,
  VOLUME_SIZE_GIB,
  ZONE_COUNT,
  ZONE_NAME,
  type BrokerCountUpdate,
  type ClusterCreation,
  type IntegerRange,
  type StorageUpdate,
} from '../clusters/cluster-inputs.js';

/**
 * The API's request and response shapes. Each zod schema gives the TypeScript type, validates the
 * request, and becomes the schema in /openapi.json — one definition for all three. A request
 * body's schema parses it into the cluster use cases' input (clusters/cluster-inputs.ts), with
 * that module's limits and defaults.
 */

const integerIn = ({ min, max }: IntegerRange) => z.number().int().min(min).max(max);

const zoneName = z.string().regex(ZONE_NAME.pattern, ZONE_NAME.rule);

/** The API names the cooldown `cooldown`; the cluster's auto-expansion names it `cooldownSeconds`. */
export const AutoExpansionInput = z
  .object({
    enabled: z.boolean().default(AUTO_EXPANSION_DEFAULTS.enabled),
    targetUtilizationPercent: integerIn(AUTO_EXPANSION_LIMITS.targetUtilizationPercent).default(
      AUTO_EXPANSION_DEFAULTS.targetUtilizationPercent,
    ),
    maxVolumeSizeGiB: integerIn(AUTO_EXPANSION_LIMITS.maxVolumeSizeGiB).default(
      AUTO_EXPANSION_DEFAULTS.maxVolumeSizeGiB,
    ),
    cooldown: integerIn(AUTO_EXPANSION_LIMITS.cooldownSeconds)
      .default(AUTO_EXPANSION_DEFAULTS.cooldownSeconds)
      .describe('seconds between two expansions of one volume (MSK: 6 hours)'),
  })
  .strict()
  .transform((input): AutoExpansion => ({
    enabled: input.enabled,
    targetUtilizationPercent: input.targetUtilizationPercent,
    maxVolumeSizeGiB: input.maxVolumeSizeGiB,
    cooldownSeconds: input.cooldown,
  }));

export const StorageInput = z
  .object({
    volumeSizeGiB: integerIn(VOLUME_SIZE_GIB),
    autoExpansion: AutoExpansionInput.prefault({
      enabled: AUTO_EXPANSION_DEFAULTS.enabled,
      targetUtilizationPercent: AUTO_EXPANSION_DEFAULTS.targetUtilizationPercent,
      maxVolumeSizeGiB: AUTO_EXPANSION_DEFAULTS.maxVolumeSizeGiB,
      cooldown: AUTO_EXPANSION_DEFAULTS.cooldownSeconds,
    }),
  })
  .strict();

export const BrokerConfigurationInput = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
  .default({})
  .superRefine((configuration, ctx) => {
    for (const { setting, problem } of configurationProblems(configuration)) {
      ctx.addIssue({ code: 'custom', path: [setting], message: problem });
    }
  });

export const CreateClusterInput = z
  .object({
    name: z.string().regex(CLUSTER_NAME.pattern, CLUSTER_NAME.rule),
    zones: z
      .array(zoneName)
      .min(ZONE_COUNT.min)
      .max(ZONE_COUNT.max)
      .refine((zones) => new Set(zones).size === zones.length, 'must name distinct zones'),
    brokersPerZone: integerIn(BROKERS_PER_ZONE),
    nodeType: z.string().min(1).default(DEFAULT_NODE_TYPE),
    storage: StorageInput,
    configuration: BrokerConfigurationInput,
    tags: z
      .record(
        z.string().min(1).max(TAG_KEY_LENGTH, `a tag key has 1 to ${TAG_KEY_LENGTH} characters`),
        z.string().max(TAG_VALUE_LENGTH),
      )
      .refine((tags) => Object.keys(tags).length <= TAG_COUNT, `a cluster has at most ${TAG_COUNT} tags`)
      .default({}),
  })
  .strict() satisfies z.ZodType<ClusterCreation>;

export const UpdateBrokerCountInput = z
  .object({
    currentVersion: z.string().min(1),
    targetBrokerCount: integerIn(BROKER_COUNT),
  })
  .strict() satisfies z.ZodType<BrokerCountUpdate>;

export const UpdateStorageInput = z
  .object({
    currentVersion: z.string().min(1),
    volumeSizeGiB: integerIn(VOLUME_SIZE_GIB),
    autoExpansion: AutoExpansionInput.optional(),
  })
  .strict() satisfies z.ZodType<StorageUpdate>;

export const RebootBrokerInput = z.object({ brokerId: z.number().int().min(FIRST_BROKER_ID) }).strict();

export const ListClustersQuery = z
  .object({
    state: z.enum(CLUSTER_STATES).optional(),
    name: z.string().min(1).optional().describe('clusters whose name starts with this'),
    maxResults: z.coerce.number().int().min(1).max(100).default(20),
    nextToken: z.string().min(1).optional(),
  })
  .strict();

export const ListOperationsQuery = z
  .object({
    maxResults: z.coerce.number().int().min(1).max(100).default(20),
    nextToken: z.string().min(1).optional(),
  })
  .strict();

const Timestamp = z.string().describe('ISO 8601');

export const StepView = z.object({
  position: z.number().int(),
  name: z.string(),
  status: z.enum(['PENDING', 'RUNNING', 'DONE', 'FAILED']),
  error: z.string().nullable(),
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
});

export const OperationView = z.object({
  id: z.string(),
  clusterId: z.string(),
  type: z.string(),
  state: z.enum(['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED']),
  sourceInfo: z.record(z.string(), z.unknown()),
  targetInfo: z.record(z.string(), z.unknown()),
  error: z.string().nullable(),
  createdAt: Timestamp,
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
  steps: z.array(StepView),
});

export const NodeView = z.object({
  role: z.enum(['broker', 'coordinator']),
  zone: z.string(),
  brokerId: z.number().int().nullable(),
  coordinatorIndex: z.number().int().nullable(),
  state: z.string(),
  endpoint: z.string(),
});

export const StorageView = z.object({
  brokerId: z.number().int(),
  zone: z.string(),
  volumeSizeGiB: z.number().int(),
  usedBytes: z.number().nullable(),
  capacityBytes: z.number().nullable(),
  lastExpandedAt: Timestamp.nullable(),
});

export const ClusterView = z.object({
  id: z.string(),
  name: z.string(),
  state: z.enum(CLUSTER_STATES),
  stateInfo: z.string().nullable(),
  currentVersion: z.string(),
  provider: z.string(),
  zones: z.array(z.string()),
  brokersPerZone: z.number().int(),
  numberOfBrokerNodes: z.number().int(),
  nodeType: z.string(),
  storage: z.object({
    volumeSizeGiB: z.number().int(),
    autoExpansion: z.object({
      enabled: z.boolean(),
      targetUtilizationPercent: z.number().int(),
      maxVolumeSizeGiB: z.number().int(),
      cooldown: z.number().int(),
    }),
  }),
  configuration: z.record(z.string(), z.string()),
  tags: z.record(z.string(), z.string()),
  nodesByZone: z.record(z.string(), z.array(NodeView)).optional(),
  brokerStorage: z.array(StorageView).optional(),
  activeOperation: OperationView.nullable().optional(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const ClusterWithOperation = z.object({ cluster: ClusterView, operation: OperationView });
export const ClusterList = z.object({ clusters: z.array(ClusterView), nextToken: z.string().optional() });
export const OperationList = z.object({
  operations: z.array(OperationView),
  nextToken: z.string().optional(),
});
export const BootstrapBrokers = z.object({ bootstrapBrokerString: z.string() });
export const NodeList = z.object({ nodes: z.array(NodeView) });

export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(z.object({ field: z.string(), rule: z.string() })).optional(),
});
