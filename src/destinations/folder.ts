// A destination that is a folder: the home's own backups/ folder (`local`) or
// a folder on a USB stick or network share (`external`). Archives are written
// under a temporary name, fsynced and renamed; the sidecar written after them
// is the commit marker, so a partial or uncommitted archive is never listed.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { asCoffreError, CoffreError, fsErrorCode } from '../core/errors.js';
import { parseArchiveName, SIDECAR_SUFFIX, type Sidecar } from '../core/manifest.js';
import { parseSidecarText, type SidecarParser } from '../core/sidecar.js';
import { fsyncDir, writeFileAtomic } from '../state/files.js';
import type { DamagedSidecar, Destination, DestinationKind, Upload, Usage } from './types.js';

const PARTIAL_PREFIX = '.partial-';

/**
 * Sidecars already parsed by this process, by parser and file, with the text
 * they were parsed from: a listing reads every sidecar each time (a status
 * lists a folder more than once), and the same text needs no second check.
 */
const parsedSidecars = new WeakMap<
  SidecarParser,
  Map<string, { text: string; sidecar: Sidecar }>
>();
const PARSED_CACHE_SIZE = 10_000;

function parseCached(parse: SidecarParser, file: string, text: string, archive: string): Sidecar {
  let cache = parsedSidecars.get(parse);
  if (!cache) {
    cache = new Map<string, { text: string; sidecar: Sidecar }>();
    parsedSidecars.set(parse, cache);
  }
  const hit = cache.get(file);
  if (hit && hit.text === text) return hit.sidecar;
  const sidecar = parse(text, archive);
  if (cache.size >= PARSED_CACHE_SIZE) cache.clear();
  cache.set(file, { text, sidecar });
  return sidecar;
}

/**
 * The first 8 hex digits of this boot's id (Linux), or null where the system
 * has none. A partial file's name records the boot and the PID that write it:
 * a PID means something only within one boot.
 */
function readBootId(): string | null {
  try {
    const id = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').replace(/[^0-9a-f]/g, '');
    return id.length >= 8 ? id.slice(0, 8) : null;
  } catch {
    return null;
  }
}

const BOOT_ID = readBootId();

/** `.partial-PID.BOOT-ARCHIVE`; `.partial-PID-ARCHIVE` from Coffre before boot ids, or without one. */
function partialName(archive: string): string {
  return `${PARTIAL_PREFIX}${process.pid}${BOOT_ID ? `.${BOOT_ID}` : ''}-${archive}`;
}

export interface PartialFacts {
  /** The partial file's name. */
  name: string;
  /** Its last change (ms since the epoch). */
  mtimeMs: number;
}

export interface SystemFacts {
  bootId: string | null;
  /** When this boot started (ms since the epoch). */
  bootTimeMs: number;
  alive: (pid: number) => boolean;
}

/**
 * Whether a partial file's writer is gone, so the file can be removed: it
 * was written during another boot (its name says so, or, with no boot in
 * its name, it last changed before this boot began), or its process is dead.
 * Returns the archive it belongs to, or null when it must be kept.
 */
export function stalePartial(partial: PartialFacts, system: SystemFacts): string | null {
  const match = /^\.partial-(\d+)(?:\.([0-9a-f]{8}))?-(.+)$/.exec(partial.name);
  if (!match) return null;
  const [, pid, boot, archive] = match;
  if (boot !== undefined && system.bootId !== null && boot !== system.bootId) return archive;
  // A minute of slack: clocks are set early in a boot.
  if (boot === undefined && partial.mtimeMs < system.bootTimeMs - 60_000) return archive;
  return system.alive(Number(pid)) ? null : archive;
}

export class FolderDestination implements Destination {
  readonly location: string;

  constructor(
    readonly name: string,
    readonly kind: DestinationKind,
    folder: string,
    private readonly parseSidecar: SidecarParser = parseSidecarText,
  ) {
    this.location = path.resolve(folder);
  }

  private fail(err: unknown, doing: string): CoffreError {
    if (err instanceof CoffreError) return err;
    const code = fsErrorCode(err) ?? 'INTERNAL';
    const reason: Record<string, string> = {
      DISK_FULL: 'the disk is full',
      DESTINATION_READ_ONLY: 'it cannot be written (read-only medium or no permission)',
      DESTINATION_UNAVAILABLE: 'it is not there (unplugged, unmounted or removed)',
      INTERNAL: (err as Error).message,
    };
    return new CoffreError(
      code,
      `Destination "${this.name}" (${this.location}): ${doing} failed: ${reason[code] ?? (err as Error).message}.`,
      { cause: err, details: { destination: this.name, path: this.location } },
    );
  }

  async check(): Promise<void> {
    if (this.kind === 'local') await fsp.mkdir(this.location, { recursive: true });
    let stat: fs.Stats;
    try {
      stat = await fsp.stat(this.location);
    } catch (err) {
      throw this.fail(err, 'opening the folder');
    }
    if (!stat.isDirectory()) {
      throw new CoffreError(
        'DESTINATION_UNAVAILABLE',
        `Destination "${this.name}": ${this.location} is not a folder.`,
        {
          details: { destination: this.name, path: this.location },
        },
      );
    }
    try {
      await fsp.access(this.location, fs.constants.W_OK);
    } catch (err) {
      throw this.fail(err, 'writing');
    }
  }

  private archivePath(archive: string): string {
    // Only names Coffre makes are ever turned into paths.
    if (parseArchiveName(archive) === null) {
      throw new CoffreError('USAGE', `"${archive}" is not a Coffre archive name.`);
    }
    return path.join(this.location, archive);
  }

  async put(archive: string): Promise<Upload> {
    const final = this.archivePath(archive);
    await this.check();
    const partial = path.join(this.location, partialName(archive));
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(partial, 'wx', 0o644);
    } catch (err) {
      throw this.fail(err, 'creating the archive');
    }
    const stream = handle.createWriteStream({ highWaterMark: 1 << 20 });
    const closed = new Promise<void>((resolve) => stream.once('close', resolve));
    let done = false;
    const abort = async () => {
      if (done) return;
      done = true;
      // Writes still queued fail once the stream is destroyed: expected here.
      stream.on('error', () => undefined);
      stream.destroy();
      await closed;
      await fsp.rm(partial, { force: true });
    };
    const commit = async (sidecar: Sidecar) => {
      if (done) throw new CoffreError('INTERNAL', 'This upload was already committed or aborted.');
      try {
        await closed;
        // fsync applies to the file, whichever descriptor asks for it.
        const sync = await fsp.open(partial, 'r+');
        try {
          await sync.sync();
        } finally {
          await sync.close();
        }
        await fsp.rename(partial, final);
        await fsyncDir(this.location);
        await writeFileAtomic(final + SIDECAR_SUFFIX, JSON.stringify(sidecar, null, 2) + '\n');
        done = true;
      } catch (err) {
        await abort();
        await fsp.rm(final, { force: true }).catch(() => undefined);
        throw this.fail(err, 'saving the archive');
      }
    };
    // Map write errors (full disk, unplugged stick) to errors a user can act on.
    const mapped = this.fail.bind(this);
    const originalDestroy = stream.destroy.bind(stream);
    stream.destroy = (error?: Error) =>
      originalDestroy(error ? mapped(error, 'writing the archive') : undefined);
    return { stream, commit, abort };
  }

  async get(archive: string): Promise<Readable> {
    const file = this.archivePath(archive);
    try {
      const handle = await fsp.open(file, 'r');
      return handle.createReadStream({ highWaterMark: 1 << 20 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        try {
          await fsp.stat(this.location);
        } catch (folderErr) {
          throw this.fail(folderErr, 'opening the folder');
        }
        throw new CoffreError(
          'BACKUP_NOT_FOUND',
          `Destination "${this.name}" has no archive ${archive}.`,
          {
            details: { destination: this.name, archive },
          },
        );
      }
      throw this.fail(err, 'reading the archive');
    }
  }

  private async names(): Promise<string[]> {
    try {
      return await fsp.readdir(this.location);
    } catch (err) {
      if (this.kind === 'local' && (err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw this.fail(err, 'listing');
    }
  }

  async list(
    _registerId?: string,
    onDamaged?: (damaged: DamagedSidecar) => void,
  ): Promise<Sidecar[]> {
    const names = await this.names();
    const present = new Set(names);
    const out: Sidecar[] = [];
    for (const name of names) {
      if (!name.endsWith(SIDECAR_SUFFIX)) continue;
      const archive = name.slice(0, -SIDECAR_SUFFIX.length);
      if (parseArchiveName(archive) === null || !present.has(archive)) continue;
      const file = path.join(this.location, name);
      let text: string;
      try {
        text = await fsp.readFile(file, 'utf8');
      } catch (err) {
        // Removed since the listing (another job's retention): not a backup any more.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        const failed = this.fail(err, `reading the metadata of ${archive}`);
        onDamaged?.({
          archive,
          // Not a file at all (a folder by that name): damaged, as a bad sidecar is.
          error:
            failed.code === 'INTERNAL'
              ? new CoffreError('CORRUPT_ARCHIVE', failed.message, { cause: err })
              : failed,
        });
        continue;
      }
      try {
        out.push(parseCached(this.parseSidecar, file, text, archive));
      } catch (err) {
        // A damaged sidecar: the archive is still there; reading it says what is wrong.
        onDamaged?.({ archive, error: asCoffreError(err) });
      }
    }
    return out.sort((a, b) => a.header.createdAt.localeCompare(b.header.createdAt));
  }

  async delete(archive: string): Promise<void> {
    const file = this.archivePath(archive);
    try {
      // Sidecar first: once it is gone, the backup is no longer listed.
      await fsp.rm(file + SIDECAR_SUFFIX, { force: true });
      await fsp.rm(file, { force: true });
      await fsyncDir(this.location);
    } catch (err) {
      throw this.fail(err, 'deleting');
    }
  }

  async usage(): Promise<Usage> {
    const names = await this.names();
    let usedBytes = 0;
    let backups = 0;
    const present = new Set(names);
    for (const name of names) {
      const archive = name.endsWith(SIDECAR_SUFFIX) ? name.slice(0, -SIDECAR_SUFFIX.length) : name;
      if (parseArchiveName(archive) === null) continue;
      const stat = await fsp.stat(path.join(this.location, name)).catch(() => null);
      if (!stat) continue;
      usedBytes += stat.size;
      if (archive === name && present.has(name + SIDECAR_SUFFIX)) backups++;
    }
    let freeBytes: number | null = null;
    try {
      const fsStat = await fsp.statfs(this.location);
      freeBytes = fsStat.bavail * fsStat.bsize;
    } catch {
      freeBytes = null;
    }
    return { usedBytes, backups, freeBytes, quotaBytes: null };
  }

  async sweep(registerId: string): Promise<number> {
    const names = await this.names();
    const present = new Set(names);
    const mine = (archive: string) =>
      parseArchiveName(archive)?.id.endsWith(`_${registerId.slice(0, 8)}`) === true;
    let removed = 0;
    const system: SystemFacts = {
      bootId: BOOT_ID,
      bootTimeMs: Date.now() - os.uptime() * 1000,
      alive: processAlive,
    };
    for (const name of names) {
      let stale = false;
      if (name.startsWith(PARTIAL_PREFIX)) {
        const stat = await fsp.stat(path.join(this.location, name)).catch(() => null);
        const archive = stat ? stalePartial({ name, mtimeMs: stat.mtimeMs }, system) : null;
        stale = archive !== null && mine(archive);
      } else if (mine(name) && !present.has(name + SIDECAR_SUFFIX)) {
        // Renamed into place but never committed: the job died in between.
        stale = true;
      } else if (
        /^\..+\.[0-9a-f]{8}\.tmp$/.test(name) &&
        mine(
          name
            .slice(1)
            .replace(/\.[0-9a-f]{8}\.tmp$/, '')
            .replace(SIDECAR_SUFFIX, ''),
        )
      ) {
        stale = true;
      }
      if (stale) {
        await fsp.rm(path.join(this.location, name), { force: true });
        removed++;
      }
    }
    return removed;
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
