// The I/O half of "same place" detection (core/places.ts): a folder path as
// the file system resolves it, even when the folder is not there (yet).

import fs from 'node:fs';
import path from 'node:path';

/**
 * The real path of a folder: every link resolved. A part that does not
 * exist (an unplugged drive's mount point, a folder to be created) is kept
 * as written, under the real path of its nearest existing parent.
 */
export function realFolder(p: string): string {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let at = abs;
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(at), ...rest);
    } catch {
      const parent = path.dirname(at);
      if (parent === at) return abs;
      rest.unshift(path.basename(at));
      at = parent;
    }
  }
}
