/**
 * What a transaction marker written to a `__consumer_offsets` partition means for the group
 * coordinator: the offsets a producer committed inside its transaction (TxnOffsetCommit) become
 * visible on COMMIT and are dropped on ABORT. The WriteTxnMarkers handler calls the hook once the
 * marker is in the partition's log and replicated (acks=all), one call per partition; an error it
 * throws (a KafkaError, or anything else as UNKNOWN_SERVER_ERROR) is that partition's error code.
 */
export interface TransactionMarkerHook {
  onTransactionMarker(
    offsetsPartition: number,
    producerId: number,
    producerEpoch: number,
    committed: boolean,
  ): Promise<void> | void;
}

/** The hook while nothing keeps transactional offsets: markers change no group state. */
export const NO_OP_TRANSACTION_MARKER_HOOK: TransactionMarkerHook = {
  onTransactionMarker: () => undefined,
};
