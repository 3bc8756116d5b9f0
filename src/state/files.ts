// Small file-system helpers shared by the state, destination and restore code:
// a write that is either fully there or not there at all, directory fsync, and
// the fsync of a whole tree.

import fs from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { eachLimited } from '../core/limited.js';

/** Makes a rename or a new file in `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    // Some file systems (network shares, FAT on some kernels) refuse to fsync
    // a directory, and a folder may be writable but not readable (so not
    // opened); the rename itself is still atomic there.
    if (!refused(err) && (err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
  } finally {
    await handle?.close();
  }
}

/** Writes to a temporary name, fsyncs, renames over the target. */
export async function writeFileAtomic(
  file: string,
  data: string | Buffer,
  mode = 0o644,
): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(
    dir,
    `.${path.basename(file)}.${crypto.randomBytes(4).toString('hex')}.tmp`,
  );
  const handle = await fs.open(tmp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}

/** Files synced at once: the disk's queue, not the event loop, is what waits. */
const SYNCING = 8;

/**
 * Makes a file, or every regular file and folder under a folder, durable
 * (fdatasync each file, then fsync each folder): what a restore puts in place
 * by renames must be on the disk before its database commits, or a power cut
 * right after could leave the restored files empty. Symbolic links and other
 * special files are left as they are.
 */
export async function syncTree(root: string): Promise<void> {
  const stat = await fs.lstat(root);
  if (stat.isFile()) {
    await syncFile(root);
    return;
  }
  if (!stat.isDirectory()) return;
  const found = await fs.readdir(root, { recursive: true, withFileTypes: true });
  const files = found.filter((d) => d.isFile()).map((d) => path.join(d.parentPath, d.name));
  const dirs = [
    root,
    ...found.filter((d) => d.isDirectory()).map((d) => path.join(d.parentPath, d.name)),
  ];
  await eachLimited(files, SYNCING, syncFile);
  for (const dir of dirs) await fsyncDir(dir);
}

async function syncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    await handle.datasync();
  } catch (err) {
    // A file system that cannot sync (some shares and FUSE mounts) says so;
    // what it holds is as durable as it can make it.
    if (!refused(err)) throw err;
  } finally {
    await handle.close();
  }
}

/** A file system's refusal to sync, rather than a failure to. */
function refused(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EINVAL' || code === 'EISDIR' || code === 'EPERM' || code === 'ENOTSUP';
}
