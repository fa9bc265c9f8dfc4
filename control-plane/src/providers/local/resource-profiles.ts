/**
 * The local provider's node types: resource profiles for broker processes (their heap limit).
 * The EC2 provider takes instance types instead.
 */
export const LOCAL_NODE_TYPES: Record<string, { heapMiB: number }> = {
  'local.small': { heapMiB: 256 },
  'local.medium': { heapMiB: 512 },
  'local.large': { heapMiB: 1024 },
};
