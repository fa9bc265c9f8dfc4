import type { MetadataStore } from './metadata-store.js';

const BLOCK_SIZE = 1000;

/**
 * Hands out producer ids for InitProducerId. Ids are reserved from the metadata store in blocks,
 * as Kafka's controller does, so ids are unique across brokers and restarts.
 */
export class ProducerIdManager {
  private next = 0;
  private end = 0;
  private pending: Promise<void> | undefined;

  constructor(private readonly store: MetadataStore) {}

  async nextProducerId(): Promise<number> {
    while (this.next >= this.end) {
      this.pending ??= this.store.allocateProducerIds(BLOCK_SIZE).then((first) => {
        this.next = first;
        this.end = first + BLOCK_SIZE;
        this.pending = undefined;
      });
      await this.pending;
    }
    return this.next++;
  }
}
