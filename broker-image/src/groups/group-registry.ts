import { KafkaError } from '../protocol/errors.js';
import type { ClassicGroup } from './classic-group.js';
import type { ConsumerGroup } from './consumer-group.js';
import { offsetsPartitionFor } from './coordinator-key.js';

/**
 * The coordinator's shared state, with one owner (Kafka's groupMetadataCache and ownedPartitions):
 * the groups this broker coordinates, by id, and the `__consumer_offsets` partitions it leads.
 * Every other piece of the coordinator is handed this registry and goes through it.
 *
 * Invariants: a group is only added for a partition this broker owns (callers check first with
 * `checkCoordinator`); giving up a partition removes all its groups at once, and a partition is
 * owned only after its groups were loaded, so `get` never sees a half-loaded partition.
 */
export class GroupRegistry {
  private readonly groups = new Map<string, ClassicGroup>();
  /**
   * KIP-848 consumer groups. A consumer group's committed offsets stay in the classic group of the
   * same id (an Empty one, its offset store), so offsets carry over when an empty group changes type.
   */
  private readonly consumerGroups = new Map<string, ConsumerGroup>();
  private readonly owned = new Set<number>();

  constructor(private readonly offsetsTopicNumPartitions: number) {}

  /** The `__consumer_offsets` partition that holds a group. */
  partitionFor(groupId: string): number {
    return offsetsPartitionFor(groupId, this.offsetsTopicNumPartitions);
  }

  isOwned(partition: number): boolean {
    return this.owned.has(partition);
  }

  /** Whether this broker coordinates the group: it owns the group's partition. */
  coordinates(groupId: string): boolean {
    return this.owned.has(this.partitionFor(groupId));
  }

  /** Throws NOT_COORDINATOR unless this broker coordinates the group. */
  checkCoordinator(groupId: string): void {
    if (!this.coordinates(groupId)) {
      throw new KafkaError('NOT_COORDINATOR', `this broker is not the coordinator of group ${groupId}`);
    }
  }

  get(groupId: string): ClassicGroup | undefined {
    return this.groups.get(groupId);
  }

  add(group: ClassicGroup): void {
    this.groups.set(group.groupId, group);
  }

  delete(groupId: string): void {
    this.groups.delete(groupId);
  }

  getConsumer(groupId: string): ConsumerGroup | undefined {
    return this.consumerGroups.get(groupId);
  }

  addConsumer(group: ConsumerGroup): void {
    this.consumerGroups.set(group.groupId, group);
  }

  deleteConsumer(groupId: string): void {
    this.consumerGroups.delete(groupId);
  }

  allConsumer(): IterableIterator<ConsumerGroup> {
    return this.consumerGroups.values();
  }

  /** Every group the registry holds. */
  all(): IterableIterator<ClassicGroup> {
    return this.groups.values();
  }

  /** Takes a partition over with the groups loaded from it. */
  ownPartition(partition: number, groups: Iterable<ClassicGroup>): void {
    for (const group of groups) this.groups.set(group.groupId, group);
    this.owned.add(partition);
  }

  /**
   * Gives a partition up: its groups are removed and returned (for their waiters and timers to be
   * dealt with); undefined when the partition was not owned.
   */
  releasePartition(partition: number): ClassicGroup[] | undefined {
    if (!this.owned.delete(partition)) return undefined;
    const released: ClassicGroup[] = [];
    for (const [id, group] of this.groups) {
      if (this.partitionFor(id) !== partition) continue;
      released.push(group);
      this.groups.delete(id);
    }
    for (const [id, group] of this.consumerGroups) {
      if (this.partitionFor(id) !== partition) continue;
      group.dead = true;
      this.consumerGroups.delete(id);
    }
    return released;
  }
}
