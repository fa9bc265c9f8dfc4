/**
 * Bit sets of Kafka's ACL operations (bit n = operation code n), as Metadata and DescribeCluster
 * report them when asked. Without an authorizer every operation is allowed.
 */
const READ = 3;
const WRITE = 4;
const CREATE = 5;
const DELETE = 6;
const ALTER = 7;
const DESCRIBE = 8;
const CLUSTER_ACTION = 9;
const DESCRIBE_CONFIGS = 10;
const ALTER_CONFIGS = 11;
const IDEMPOTENT_WRITE = 12;

const bits = (...ops: number[]): number => ops.reduce((acc, op) => acc | (1 << op), 0);

export const ALL_TOPIC_OPERATIONS = bits(
  READ,
  WRITE,
  CREATE,
  DELETE,
  ALTER,
  DESCRIBE,
  DESCRIBE_CONFIGS,
  ALTER_CONFIGS,
);
export const ALL_CLUSTER_OPERATIONS = bits(
  CREATE,
  ALTER,
  DESCRIBE,
  CLUSTER_ACTION,
  DESCRIBE_CONFIGS,
  ALTER_CONFIGS,
  IDEMPOTENT_WRITE,
);
export const ALL_GROUP_OPERATIONS = bits(READ, DELETE, DESCRIBE);
