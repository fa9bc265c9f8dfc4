import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MIB = 1024 * 1024;

/**
 * A small file system of its own (a tmpfs of a few MiB) that a test can fill to the last byte: a
 * data volume that is really out of space, where every write needing a new block fails with
 * ENOSPC, as on a full EBS volume. Needs root (mount); `SmallVolume.available` says whether this
 * machine allows it, found by trying.
 */
export class SmallVolume {
  static readonly available: boolean = (() => {
    try {
      SmallVolume.mount(MIB).unmount();
      return true;
    } catch {
      return false;
    }
  })();

  private constructor(readonly path: string) {}

  static mount(bytes: number): SmallVolume {
    const path = mkdtempSync(join(tmpdir(), 'strata-volume-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', path], {
      encoding: 'utf8',
    });
    if (mounted.status !== 0) {
      rmSync(path, { recursive: true, force: true });
      throw new Error(`cannot mount a tmpfs: ${mounted.stderr || mounted.error?.message}`);
    }
    return new SmallVolume(path);
  }

  /** A log dir on the volume (not its root, where the filler goes). */
  get logDir(): string {
    return join(this.path, 'logs');
  }

  private get filler(): string {
    return join(this.path, 'filler');
  }

  /** Takes every free byte of the volume. */
  fill(): void {
    const fd = openSync(this.filler, 'a');
    const chunk = Buffer.alloc(64 * 1024, 0x55);
    try {
      for (;;) writeSync(fd, chunk);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    } finally {
      closeSync(fd);
    }
  }

  /** Gives the space taken by `fill` back. */
  free(): void {
    rmSync(this.filler, { force: true });
  }

  unmount(): void {
    spawnSync('umount', [this.path]);
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** Every file under `dir` whose name ends with `.tmp`, relative to it. */
export function tempFilesUnder(dir: string): string[] {
  const found: string[] = [];
  const visit = (at: string, relative: string): void => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) visit(path, join(relative, name));
      else if (name.endsWith('.tmp')) found.push(join(relative, name));
    }
  };
  visit(dir, '');
  return found;
}
