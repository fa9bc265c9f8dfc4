import { z } from 'zod';
import { CLUSTER_STATES } from '../clusters/cluster-model.js';
import { BROKER_CONFIGURATION } from '../clusters/broker-configuration.js';

/**
 * The API's request and response shapes. Each zod schema gives the TypeScript type, validates the
 * request, and becomes the schema in /openapi.json — one definition for all three.
 */

const zoneName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a zone name of lowercase letters, digits and dashes');

export const AutoExpansionInput = z
  .object({
    enabled: z.boolean().default(true),
    targetUtilizationPercent: z.number().int().min(10).max(80).default(60),
    maxVolumeSizeGiB: z.number().int().min(1).max(16384).default(1000),
    cooldown: z
      .number()
      .int()
      .min(0)
      .max(6 * 3600)
      .default(60)
      .describe('seconds between two expansions of one volume (MSK: 6 hours)'),
  })
  .strict();

export const StorageInput = z
  .object({
    volumeSizeGiB: z.number().int().min(1).max(16384),
    autoExpansion: AutoExpansionInput.default({
      enabled: true,
      targetUtilizationPercent: 60,
      maxVolumeSizeGiB: 1000,
      cooldown: 60,
    }),
  })
  .strict();

export const BrokerConfigurationInput = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
  .default({})
  .superRefine((configuration, ctx) => {
    for (const [name, value] of Object.entries(configuration)) {
      const rule = BROKER_CONFIGURATION[name];
      if (!rule) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `${name} is not a broker setting a cluster may change`,
        });
        continue;
      }
      const problem = rule(String(value));
      if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
    }
  });

export const CreateClusterInput = z
  .object({
    name: z
      .string()
      .regex(
        /^[a-zA-Z0-9][a-zA-Z0-9-]{0,63}$/,
        'must be 1-64 letters, digits and dashes, starting with a letter or digit',
      ),
    zones: z
      .array(zoneName)
      .min(2)
      .max(3)
      .refine((zones) => new Set(zones).size === zones.length, 'must name distinct zones'),
    brokersPerZone: z.number().int().min(1).max(15),
    nodeType: z.string().min(1).default('local.small'),
    storage: StorageInput,
    configuration: BrokerConfigurationInput,
    tags: z.record(z.string().max(128), z.string().max(256)).default({}),
  })
  .strict();

export const UpdateBrokerCountInput = z
  .object({
    currentVersion: z.string().min(1),
    targetBrokerCount: z.number().int().min(1).max(45),
  })
  .strict();

export const UpdateStorageInput = z
  .object({
    currentVersion: z.string().min(1),
    volumeSizeGiB: z.number().int().min(1).max(16384),
    autoExpansion: AutoExpansionInput.optional(),
  })
  .strict();

export const RebootBrokerInput = z.object({ brokerId: z.number().int().min(1) }).strict();

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
