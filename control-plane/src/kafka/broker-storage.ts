import type { ClusterNode } from '../clusters/cluster-model.js';

export interface VolumeUsage {
  readonly usedBytes: number;
  readonly capacityBytes: number;
}

interface StorageReport {
  logDirs?: { totalBytes?: unknown; usableBytes?: unknown }[];
}

/**
 * A broker's data volume usage, from its admin endpoint (`GET /storage`): capacity is the quota
 * or the file system's size, used is what is not usable of it. Undefined when the broker does
 * not answer.
 */
export async function brokerVolumeUsage(
  broker: ClusterNode,
  timeoutMs = 5000,
): Promise<VolumeUsage | undefined> {
  if (broker.adminPort === null) return undefined;
  try {
    const response = await fetch(`http://${broker.host}:${broker.adminPort}/storage`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return undefined;
    const report = (await response.json()) as StorageReport;
    let capacityBytes = 0;
    let usableBytes = 0;
    for (const dir of report.logDirs ?? []) {
      if (typeof dir.totalBytes !== 'number' || typeof dir.usableBytes !== 'number') return undefined;
      capacityBytes += dir.totalBytes;
      usableBytes += dir.usableBytes;
    }
    if (capacityBytes <= 0) return undefined;
    return { capacityBytes, usedBytes: Math.max(0, capacityBytes - usableBytes) };
  } catch {
    return undefined;
  }
}
