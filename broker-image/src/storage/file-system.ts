import * as fs from 'node:fs';

/**
 * The file operations the log uses, passed in so tests can inject faults (a full disk, an I/O
 * error, a torn write). Appends and reads are synchronous: they hit the page cache and keep
 * the order of appends obvious; fsync is asynchronous because it waits for the device.
 */
export interface StorageFileSystem {
  openSync(path: string, flags: string): number;
  closeSync(fd: number): void;
  writeSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number;
  readSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number;
  ftruncateSync(fd: number, length: number): void;
  fstatSize(fd: number): number;
  fsync(fd: number): Promise<void>;
  existsSync(path: string): boolean;
  readFileSync(path: string): Buffer;
  /**
   * Writes a whole file atomically: `<path>.tmp`, fsync, rename, fsync of the directory. When it
   * fails before the rename (a full disk), the partial temp file is removed and `path` keeps its
   * previous content; the error is thrown.
   */
  writeFileAtomicSync(path: string, data: Buffer | string): void;
  mkdirSync(path: string): void;
  readdirSync(path: string): string[];
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
  rmSync(path: string): void;
  /** fsync of a directory, so a created or renamed entry survives a crash. */
  syncDirSync(path: string): void;
  statfsSync(path: string): { totalBytes: number; freeBytes: number };
}

export const nodeFileSystem: StorageFileSystem = {
  openSync: (path, flags) => fs.openSync(path, flags),
  closeSync: (fd) => fs.closeSync(fd),
  writeSync: (fd, buffer, offset, length, position) => fs.writeSync(fd, buffer, offset, length, position),
  readSync: (fd, buffer, offset, length, position) => fs.readSync(fd, buffer, offset, length, position),
  ftruncateSync: (fd, length) => fs.ftruncateSync(fd, length),
  fstatSize: (fd) => fs.fstatSync(fd).size,
  fsync: (fd) =>
    new Promise((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve()))),
  existsSync: (path) => fs.existsSync(path),
  readFileSync: (path) => fs.readFileSync(path),
  // Through the object's own open/write/close, so a file system wrapping this one with faults
  // (a full disk) sees checkpoint writes too.
  writeFileAtomicSync(this: StorageFileSystem, path, data) {
    const temp = `${path}.tmp`;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    try {
      const fd = this.openSync(temp, 'w');
      try {
        let written = 0;
        while (written < bytes.length)
          written += this.writeSync(fd, bytes, written, bytes.length - written, written);
        fs.fsyncSync(fd);
      } finally {
        this.closeSync(fd);
      }
      this.renameSync(temp, path);
    } catch (error) {
      try {
        if (this.existsSync(temp)) this.unlinkSync(temp);
      } catch {
        // Left for the start-up pass that removes leftover temp files.
      }
      throw error;
    }
    this.syncDirSync(dirOf(path));
  },
  mkdirSync: (path) => void fs.mkdirSync(path, { recursive: true }),
  readdirSync: (path) => fs.readdirSync(path),
  renameSync: (from, to) => fs.renameSync(from, to),
  unlinkSync: (path) => fs.unlinkSync(path),
  rmSync: (path) => fs.rmSync(path, { recursive: true, force: true }),
  syncDirSync: (path) => syncDir(path),
  statfsSync(path) {
    const s = fs.statfsSync(path);
    return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
  },
};

function dirOf(path: string): string {
  const at = path.lastIndexOf('/');
  return at <= 0 ? '/' : path.slice(0, at);
}

function syncDir(path: string): void {
  const fd = fs.openSync(path, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
