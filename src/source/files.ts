// The app's files folder (product images, attachments) as a sorted list of
// regular files with paths relative to the folder, '/'-separated.
//
// Symbolic links: a link to a regular file that stays inside the folder
// (after every link is resolved) is followed, and its file is archived under
// the link's name; a restore brings it back as a plain file. Any other link
// (leaving the folder, broken, or to a folder) and any special file (FIFO,
// socket, device) is skipped and reported, never silently.

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

/** Why an entry of the files folder was not archived. */
export type SkipReason = 'link-outside' | 'link-broken' | 'link-to-folder' | 'special-file';

/** A warning as data: an entry of the files folder that is not in the backup. */
export interface SkippedFile {
  code: 'FILE_SKIPPED';
  /** Relative path with '/' separators. */
  path: string;
  reason: SkipReason;
  /** Where a link points, as written in the link. */
  target?: string;
}

export interface FilesScan {
  files: SourceFile[];
  skipped: SkippedFile[];
}

function inside(root: string, target: string): boolean {
  return target.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** Lists the folder's files, following the links the policy above allows. */
export async function scanFiles(root: string): Promise<FilesScan> {
  const files: SourceFile[] = [];
  const skipped: SkippedFile[] = [];
  let realRoot: string | null = null;
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
        files.push({ rel, abs, size: stat.size, mtimeMs: stat.mtimeMs });
      } else if (entry.isSymbolicLink()) {
        const target = await fsp.readlink(abs).catch(() => '');
        realRoot ??= await fsp.realpath(root);
        const real = await fsp.realpath(abs).catch(() => null);
        const stat = real === null ? null : await fsp.stat(real).catch(() => null);
        const reason: SkipReason | null =
          real === null || stat === null
            ? 'link-broken'
            : !inside(realRoot, real)
              ? 'link-outside'
              : stat.isDirectory()
                ? 'link-to-folder'
                : !stat.isFile()
                  ? 'special-file'
                  : null;
        if (reason === null) files.push({ rel, abs, size: stat!.size, mtimeMs: stat!.mtimeMs });
        else skipped.push({ code: 'FILE_SKIPPED', path: rel, reason, target });
      } else {
        skipped.push({ code: 'FILE_SKIPPED', path: rel, reason: 'special-file' });
      }
    }
  };
  await walk(root, '');
  return { files, skipped };
}

export async function listFiles(root: string): Promise<SourceFile[]> {
  return (await scanFiles(root)).files;
}

/** Words for a skipped entry, until warnings travel as data to each edge. */
export function describeSkipped(s: SkippedFile): string {
  const name = JSON.stringify(s.path);
  switch (s.reason) {
    case 'link-outside':
      return `The link ${name} in the files folder points outside it (${s.target ?? '?'}); it is not in this backup.`;
    case 'link-broken':
      return `The link ${name} in the files folder points to nothing (${s.target ?? '?'}); it is not in this backup.`;
    case 'link-to-folder':
      return `The link ${name} in the files folder points to a folder (${s.target ?? '?'}); links to folders are not followed, so it is not in this backup.`;
    case 'special-file':
      return `${name} in the files folder is not a regular file (a pipe, socket or device); it is not in this backup.`;
  }
}
