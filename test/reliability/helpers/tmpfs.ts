/**
 * Small file systems for the disk tests: a tmpfs of a given size (full disk) or mounted
 * read-only (unwritable). Mounting needs root and a kernel that allows it; where it does not,
 * `mountTmpfs` says why and the test that needs it is skipped with that reason.
 */

import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

export interface Mounted {
  dir: string;
  /** Changes the size (or read-only flag) of the mounted file system in place. */
  remount(options: string): void;
  unmount(): void;
}

/** Mounts a tmpfs at `dir` (created) with `options` (e.g. `size=256k` or `ro,size=1m`). */
export function mountTmpfs(dir: string, options: string): Mounted | { skip: string } {
  if (process.platform !== 'linux') return { skip: 'tmpfs mounts need Linux' };
  if (process.getuid?.() !== 0) return { skip: 'tmpfs mounts need root' };
  mkdirSync(dir, { recursive: true });
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], {
    encoding: 'utf8',
  });
  if (mount.status !== 0) {
    return { skip: `cannot mount a tmpfs here: ${(mount.stderr || String(mount.error)).trim()}` };
  }
  return {
    dir,
    remount(more) {
      const r = spawnSync('mount', ['-o', `remount,${more}`, dir], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`remount ${dir} failed: ${r.stderr}`);
    },
    unmount() {
      spawnSync('umount', ['-l', dir]);
    },
  };
}

export const isMounted = (m: Mounted | { skip: string }): m is Mounted => 'dir' in m;
