import { KafkaError } from '../../protocol/errors.js';

/** Kafka's controller refuses requests that would create more partitions than this at once. */
export const MAX_PARTITIONS_PER_REQUEST = 10_000;

export function partitionLimitError(): KafkaError {
  return new KafkaError('POLICY_VIOLATION', 'Excessively large number of partitions per request.');
}
