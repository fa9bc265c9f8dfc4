import pino from 'pino';
import { ClassicGroup, GroupMember } from '../../../broker-image/src/groups/classic-group.js';
import type {
  GroupCoordinatorConfig,
  JoinRequest,
} from '../../../broker-image/src/groups/group-coordinator.js';
import { GroupMembership } from '../../../broker-image/src/groups/group-membership.js';
import { GroupRebalancer } from '../../../broker-image/src/groups/group-rebalancer.js';
import { GroupRegistry } from '../../../broker-image/src/groups/group-registry.js';
import {
  GroupStatePersistence,
  type OffsetsTopicLog,
} from '../../../broker-image/src/groups/group-state-persistence.js';
import { OffsetManager } from '../../../broker-image/src/groups/offset-manager.js';
import { parseOffsetsTopicRecord } from '../../../broker-image/src/groups/offsets-records.js';

/**
 * `__consumer_offsets` as an in-memory list per partition, so the coordinator's writes can be read
 * back; `failWith` makes every append fail until it is cleared.
 */
export class MemoryOffsetsLog implements OffsetsTopicLog {
  readonly partitions = new Map<number, { key: Buffer; value: Buffer | null }[]>();
  failWith: Error | undefined;

  async append(partition: number, records: readonly { key: Buffer; value: Buffer | null }[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    const list = this.partitions.get(partition) ?? [];
    list.push(...records);
    this.partitions.set(partition, list);
  }

  *read(partition: number): Generator<{ key: Buffer | null; value: Buffer | null }> {
    yield* this.partitions.get(partition) ?? [];
  }

  /** The records of a partition, parsed. */
  parsed(partition: number): ReturnType<typeof parseOffsetsTopicRecord>[] {
    return (this.partitions.get(partition) ?? []).map((r) => parseOffsetsTopicRecord(r.key, r.value));
  }
}

export const config: GroupCoordinatorConfig = {
  offsetsTopicNumPartitions: 4,
  groupMinSessionTimeoutMs: 10,
  groupMaxSessionTimeoutMs: 60_000,
  groupInitialRebalanceDelayMs: 0,
  groupMaxSize: 10,
  offsetMetadataMaxBytes: 16,
  offsetsRetentionMinutes: 1,
  groupConsumerAssignors: ['uniform', 'range'],
  groupConsumerHeartbeatIntervalMs: 5000,
  groupConsumerSessionTimeoutMs: 45_000,
};

export const silentLogger = pino({ level: 'silent' });

/** A clock the test moves by hand. */
export class TestClock {
  constructor(public time = 1_000_000) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

/** A ConsumerProtocolSubscription (v0) of `topics`, as a consumer's JoinGroup carries it. */
export function subscription(topics: string[]): Buffer {
  const parts = [Buffer.from([0, 0]), Buffer.alloc(4)];
  parts[1]!.writeInt32BE(topics.length);
  for (const t of topics) {
    const len = Buffer.alloc(2);
    len.writeInt16BE(Buffer.byteLength(t));
    parts.push(len, Buffer.from(t));
  }
  parts.push(Buffer.alloc(4, 0xff)); // null user data
  return Buffer.concat(parts);
}

export function joinRequest(overrides: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId: 'g',
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 30_000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['t']) }],
    clientId: 'client',
    clientHost: '/127.0.0.1',
    requireKnownMemberId: false,
    ...overrides,
  };
}

/** The coordinator's parts wired as the coordinator wires them, every partition owned. */
export function coordinatorParts(
  options: { log?: MemoryOffsetsLog; clock?: TestClock; settings?: Partial<GroupCoordinatorConfig> } = {},
) {
  const log = options.log ?? new MemoryOffsetsLog();
  const clock = options.clock ?? new TestClock();
  const settings = { ...config, ...options.settings };
  const registry = new GroupRegistry(settings.offsetsTopicNumPartitions);
  const persistence = new GroupStatePersistence(log, registry, clock, silentLogger);
  const rebalancer = new GroupRebalancer(settings, registry, persistence, clock, silentLogger);
  const membership = new GroupMembership(settings, registry, rebalancer, persistence, clock, silentLogger);
  const offsets = new OffsetManager(settings, registry, persistence, clock, silentLogger);
  for (let p = 0; p < settings.offsetsTopicNumPartitions; p++) registry.ownPartition(p, []);
  return { log, clock, registry, persistence, rebalancer, membership, offsets };
}

/**
 * A group in the registry as a rebalance would leave it: one generation, Stable (or the state
 * given), its members consumers of `topics` with the range protocol.
 */
export function groupWithMembers(
  registry: GroupRegistry,
  memberIds: string[],
  options: { topics?: string[]; state?: 'Stable' | 'CompletingRebalance'; now?: number } = {},
): ClassicGroup {
  const group = new ClassicGroup('g', options.now ?? 0);
  for (const id of memberIds) {
    group.add(
      new GroupMember(id, null, 'client', 'host', 30_000, 30_000, 'consumer', [
        { name: 'range', metadata: subscription(options.topics ?? ['t']) },
      ]),
    );
  }
  group.transitionTo('PreparingRebalance', 0);
  group.initNextGeneration(0);
  if (options.state !== 'CompletingRebalance') group.transitionTo('Stable', 0);
  registry.add(group);
  return group;
}
