/**
 * Creating an output folder (`--out`) one level at a time. Node's `mkdirSync(…, {recursive})`
 * spins forever on pseudo-filesystems such as /proc, where mkdir answers ENOENT although the
 * parent exists; walking the path ourselves turns that into one clear error.
 */

import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ioError, ioReason } from './errors.ts';

/** What is at `path`: a folder, something else, or nothing. */
function kindOf(path: string): 'folder' | 'other' | 'missing' {
  try {
    return statSync(path).isDirectory() ? 'folder' : 'other';
  } catch {
    return 'missing';
  }
}

/** Why mkdir failed, in words; ENOENT with an existing parent means the file system refuses. */
function mkdirReason(err: unknown): string {
  if ((err as { code?: unknown }).code === 'ENOENT') {
    return 'this file system does not allow new folders here (ENOENT)';
  }
  return ioReason(err);
}

/**
 * Makes sure `dir` is a folder, creating it and any missing parents. Fails with one line,
 * `cannot write in <dir>: <reason>; <hint>`, naming the flag the user can change.
 */
export function ensureFolder(dir: string, flag = '--out'): void {
  const fail = (reason: string) =>
    ioError(`cannot write in ${dir}: ${reason}; fix that or choose another ${flag}`);

  const missing: string[] = [];
  let path = resolve(dir);
  for (;;) {
    const kind = kindOf(path);
    if (kind === 'folder') break;
    if (kind === 'other') {
      throw fail(
        path === resolve(dir)
          ? 'it is a file, not a folder'
          : 'a part of the path is a file, not a folder (ENOTDIR)',
      );
    }
    missing.unshift(path);
    const parent = dirname(path);
    if (parent === path) break;
    path = parent;
  }

  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (err) {
      // Another process may have made it between our stat and mkdir.
      if ((err as { code?: unknown }).code === 'EEXIST' && kindOf(folder) === 'folder') continue;
      throw fail(mkdirReason(err));
    }
  }
}
