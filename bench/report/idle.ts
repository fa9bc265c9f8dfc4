import { setTimeout as sleep } from 'node:timers/promises';
import { nodeResidentBytes } from '../machine/proc-usage.js';
import type { Side, SystemUnderTest } from '../servers/system.js';

/** Resident memory of each broker of a system with no workload running. */
export interface IdleMemory {
  readonly system: string;
  readonly side: Side;
  /** `fresh`: started and left alone; `after load`: after its workloads, left alone again. */
  readonly when: 'fresh' | 'after load';
  readonly perNodeRssBytes: readonly number[];
  /** Strata's etcd members, when the system has them. */
  readonly supportRssBytes?: number;
}

export async function idleMemory(
  system: SystemUnderTest,
  name: string,
  when: IdleMemory['when'],
  settleSeconds: number,
): Promise<IdleMemory> {
  await sleep(settleSeconds * 1000);
  const support = nodeResidentBytes(system.supportPids).reduce((a, b) => a + b, 0);
  return {
    system: name,
    side: system.side,
    when,
    perNodeRssBytes: nodeResidentBytes(system.brokerPids),
    ...(system.supportPids.length > 0 ? { supportRssBytes: support } : {}),
  };
}
