// The app's files folder (product images, attachments) as a sorted list of
// regular files with paths relative to the folder, '/'-separated.

import fsp from 'node:fs/promises';
import path from 'node:path';
import { CoffreError } from '../core/errors.js';

export interface SourceFile {
  /** Relative path with '/' separators. */
  rel: string;
  abs: string;
  size: number;
  mtimeMs: number;
}

export async function listFiles(root: string): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    let entries;
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (err) {
      throw new CoffreError(
        'SOURCE_UNAVAILABLE',
        `Cannot read the files folder ${dir}: ${(err as Error).message}.`,
        {
          cause: err,
          details: { path: dir },
        },
      );
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const abs = path.join(dir, entry.name);
      const rel = prefix + entry.name;
      if (entry.isDirectory()) await walk(abs, rel + '/');
      else if (entry.isFile()) {
        const stat = await fsp.stat(abs);
        out.push({ rel, abs, size: stat.size, mtimeMs: stat.mtimeMs });
      }
      // Symbolic links and special files are not app data; they are skipped.
    }
  };
  await walk(root, '');
  return out;
}
