import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import {
  batchesOf,
  RECORD_BATCH_HEADER_SIZE,
  type RecordBatch,
} from '../../broker-image/src/protocol/records/record-batch.js';
import { recordsOf } from '../../broker-image/src/protocol/records/records.js';

const SEGMENT = /^(\d{20})\.log$/;

interface Segment {
  readonly path: string;
  readonly baseOffset: number;
}

/**
 * How far the last segment was read: the file (inode), where its last whole batch lies and that
 * batch's header (to tell the same bytes are still there), the next offset.
 */
interface ScanState {
  readonly path: string;
  readonly inode: number;
  lastBatchAt: number;
  lastHeader: Buffer | undefined;
  nextOffset: number | undefined;
}

/**
 * A broker's copy of one partition, read from its segment files with the broker's own decoding,
 * while the broker runs: a torn last batch (being written) is not read.
 */
export class ReplicaLog {
  readonly dir: string;
  private scan: ScanState | undefined;

  constructor(dataDir: string, topic: string, partition: number) {
    this.dir = join(dataDir, 'logs', `${topic}-${partition}`);
  }

  /** Segment files, oldest first. */
  private segments(): Segment[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .map((name) => SEGMENT.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ path: join(this.dir, m[0]), baseOffset: Number(m[1]) }))
      .sort((a, b) => a.baseOffset - b.baseOffset);
  }

  /**
   * The log end offset on disk: after the last whole batch of the last segment, or that segment's
   * base offset while it is empty. Reads on from the last batch the previous call saw (the logs of a
   * long run are large); a file replaced, or no longer holding that batch there (truncated, written
   * again), is read again from its start.
   */
  endOffset(attempts = 3): number {
    const last = this.segments().at(-1);
    if (!last) return 0;
    let fd: number;
    try {
      fd = openSync(last.path, 'r');
    } catch (error) {
      // rolled or deleted between the listing and the open
      if (attempts > 1) return this.endOffset(attempts - 1);
      throw error;
    }
    try {
      const { ino, size } = fstatSync(fd);
      const fresh = (): ScanState => ({
        path: last.path,
        inode: ino,
        lastBatchAt: 0,
        lastHeader: undefined,
        nextOffset: undefined,
      });
      let scan = this.scan;
      if (!scan || scan.path !== last.path || scan.inode !== ino) scan = fresh();
      if (!this.readOn(fd, scan, size) && scan.lastHeader) {
        scan = fresh();
        this.readOn(fd, scan, size);
      }
      this.scan = scan;
      return scan.nextOffset ?? last.baseOffset;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Reads whole batches from the last one seen to `size`. False when that batch is no longer there
   * or a batch fails its CRC (the bytes changed under the previous reading).
   */
  private readOn(fd: number, scan: ScanState, size: number): boolean {
    const from = scan.lastBatchAt;
    const bytes = Buffer.allocUnsafe(Math.max(0, size - from));
    const read = readSync(fd, bytes, 0, bytes.length, from);
    let at = from;
    let first = true;
    for (const batch of batchesOf(bytes.subarray(0, read))) {
      if (first && scan.lastHeader) {
        first = false;
        if (!batch.buffer.subarray(0, RECORD_BATCH_HEADER_SIZE).equals(scan.lastHeader)) return false;
        at += batch.sizeInBytes;
        continue;
      }
      first = false;
      if (!batch.isValid()) return false;
      scan.lastBatchAt = at;
      scan.lastHeader = Buffer.from(batch.buffer.subarray(0, RECORD_BATCH_HEADER_SIZE));
      scan.nextOffset = batch.nextOffset;
      at += batch.sizeInBytes;
    }
    // The batch seen last time is gone (the file was cut before its end).
    return !(first && scan.lastHeader);
  }

  private *batches(): Generator<RecordBatch> {
    for (const segment of this.segments()) yield* batchesOf(readFileSync(segment.path));
  }

  /**
   * Every data record below `endOffset`, in log order: its offset and value (null for a record
   * without one). Control batches are skipped; a batch whose CRC does not match is reported through
   * `onCorrupt` and not decoded.
   */
  *records(
    endOffset: number,
    onCorrupt: (batch: RecordBatch) => void,
  ): Generator<{ offset: number; value: string | null }> {
    for (const batch of this.batches()) {
      if (batch.baseOffset >= endOffset) return;
      if (!batch.isValid()) {
        onCorrupt(batch);
        continue;
      }
      if (batch.isControl) continue;
      for (const record of recordsOf(batch)) {
        if (record.offset >= endOffset) return;
        yield { offset: record.offset, value: record.value === null ? null : record.value.toString('utf8') };
      }
    }
  }
}
