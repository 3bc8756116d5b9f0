// Archives uploaded from the admin's computer (the Backup center page):
// streamed to a private folder of the home, never held in memory, their
// fingerprint computed on the way and compared with the one expected, then
// checked like any backup (signature, register) before the restore wizard
// may use them. Uploads older than a day are removed.

import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Clock } from '../core/clock.js';
import { CoffreError, isNoSpace } from '../core/errors.js';
import { formatBytes } from '../core/quota.js';
import { freeBytes } from '../state/disk.js';
import type { VerifyReport, VerifyService } from './verify.js';

export interface ReceivedArchive {
  /** The upload's id, to restore it (`center.uploads.path(id)`). */
  upload: string;
  archive: string;
  size: number;
  sha256: string;
  verify: VerifyReport;
}

const ARCHIVE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.tar\.zst(\.age)?$/;
const KEEP_MS = 24 * 3600_000;
/** An upload never leaves less than this free on the home's disk: the register's own database lives there. */
const KEEP_FREE_BYTES = 1024 ** 3;
/** How often (in bytes received) the free space is looked at again during an upload. */
const CHECK_EVERY_BYTES = 32 * 1024 ** 2;

export interface ReceiveOptions {
  /** The archive's file name (NAME.tar.zst or NAME.tar.zst.age). */
  name: string;
  /** The fingerprint expected (from the backup's listing), if known. */
  sha256?: string | null;
  maxBytes?: number;
  /** The size the sender announced (HTTP Content-Length), when it did. */
  declaredBytes?: number | null;
}

export interface UploadOptions {
  /** Free space an upload must leave on the home's disk (default 1 GiB). */
  keepFreeBytes?: number;
}

export class UploadService {
  private readonly keepFree: number;

  constructor(
    private readonly dir: string,
    private readonly verifier: Pick<VerifyService, 'verify'>,
    private readonly clock: Clock,
    options: UploadOptions = {},
  ) {
    this.keepFree = options.keepFreeBytes ?? KEEP_FREE_BYTES;
  }

  /**
   * Streams an archive to disk, checks its fingerprint (the SHA-256 given,
   * e.g. from the backup's listing) and then the archive itself. A file that
   * fails any check is removed. An upload may not fill the home's disk: one
   * whose declared size does not fit is refused before a byte is written,
   * and one that grows past the room left is stopped and removed.
   */
  async receive(body: Readable, options: ReceiveOptions): Promise<ReceivedArchive> {
    if (!ARCHIVE_NAME.test(options.name)) {
      throw new CoffreError(
        'USAGE',
        `"${options.name}" is not a Coffre archive name (NAME.tar.zst or NAME.tar.zst.age).`,
        { details: { field: 'name' } },
      );
    }
    if (options.sha256 != null && !/^[0-9a-f]{64}$/.test(options.sha256)) {
      throw new CoffreError('USAGE', 'The expected fingerprint must be 64 hexadecimal digits.', {
        details: { field: 'sha256' },
      });
    }
    // One upload at a time: each measures the room left as it goes, so
    // several side by side would each count the same free space.
    if (this.receiving) {
      throw new CoffreError(
        'BUSY',
        'Another archive is being uploaded: wait until it has arrived, then upload this one.',
      );
    }
    this.receiving = true;
    try {
      return await this.receiveOne(body, options);
    } finally {
      this.receiving = false;
    }
  }

  private receiving = false;

  private async receiveOne(body: Readable, options: ReceiveOptions): Promise<ReceivedArchive> {
    await this.sweep();
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const max = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
    const declared = options.declaredBytes ?? null;
    if (declared !== null && declared > max) throw tooLarge(max);
    const room = this.room();
    if (declared !== null && room !== null && declared > room) {
      throw this.noRoom(declared, room);
    }
    const upload = crypto.randomBytes(12).toString('hex');
    const folder = path.join(this.dir, upload);
    await fsp.mkdir(folder, { recursive: true, mode: 0o700 });
    const file = path.join(folder, options.name);
    const hash = crypto.createHash('sha256');
    let size = 0;
    let nextCheck = CHECK_EVERY_BYTES;
    const count = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        size += chunk.length;
        if (size > max) {
          done(tooLarge(max));
          return;
        }
        if (size >= nextCheck) {
          nextCheck = size + CHECK_EVERY_BYTES;
          const left = this.room();
          if (left !== null && left < CHECK_EVERY_BYTES) {
            done(this.noRoom(null, left + size));
            return;
          }
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, count, fs.createWriteStream(file + '.partial', { mode: 0o600 }));
      const sha256 = hash.digest('hex');
      if (options.sha256 && sha256 !== options.sha256) {
        throw new CoffreError(
          'CORRUPT_ARCHIVE',
          `The uploaded file's fingerprint (${sha256.slice(0, 16)}...) is not the backup's (${options.sha256.slice(0, 16)}...): it was damaged or is another file. Do not restore from it.`,
          { details: { sha256, expected: options.sha256 } },
        );
      }
      await fsp.rename(file + '.partial', file);
      const verify = await this.verifier.verify(file, { trigger: 'upload' });
      return { upload, archive: options.name, size, sha256, verify };
    } catch (err) {
      await fsp.rm(folder, { recursive: true, force: true });
      if (isNoSpace(err)) {
        throw new CoffreError(
          'DISK_FULL',
          'The disk of the Coffre home is full: the upload was not kept.',
          {
            cause: err,
            details: { place: 'home' },
          },
        );
      }
      throw err;
    }
  }

  /** The file of an upload, for a restore; BACKUP_NOT_FOUND once removed. */
  path(upload: string): string {
    if (/^[0-9a-f]{24}$/.test(upload)) {
      const folder = path.join(this.dir, upload);
      const names = fs.existsSync(folder)
        ? fs.readdirSync(folder).filter((n) => ARCHIVE_NAME.test(n))
        : [];
      if (names.length === 1) return path.join(folder, names[0]);
    }
    throw new CoffreError(
      'BACKUP_NOT_FOUND',
      `No uploaded archive "${upload}" (uploads are kept for a day).`,
      {
        details: { upload },
      },
    );
  }

  /** Bytes an upload may still take on the home's disk; null when the disk cannot tell. */
  private room(): number | null {
    const free = freeBytes(this.dir);
    return free === null ? null : Math.max(0, free - this.keepFree);
  }

  private noRoom(declared: number | null, room: number): CoffreError {
    return new CoffreError(
      'DISK_FULL',
      `${declared === null ? 'The upload' : `The archive (${formatBytes(declared)})`} does not fit on the disk of the Coffre home: an upload may use ${formatBytes(room)}, so that ${formatBytes(this.keepFree)} stay free for the register. Nothing was kept. Free some space, or restore from the backup's own destination instead.`,
      { details: { place: 'home', ...(declared !== null ? { declared } : {}), room } },
    );
  }

  /** Removes uploads older than a day. */
  private async sweep(): Promise<void> {
    const now = this.clock().getTime();
    let entries: string[];
    try {
      entries = await fsp.readdir(this.dir);
    } catch {
      return;
    }
    for (const name of entries) {
      const p = path.join(this.dir, name);
      const stat = await fsp.stat(p).catch(() => null);
      if (stat && now - stat.mtimeMs > KEEP_MS) await fsp.rm(p, { recursive: true, force: true });
    }
  }
}

function tooLarge(max: number): CoffreError {
  return new CoffreError('USAGE', `The upload is larger than ${formatBytes(max)}: it is not kept.`);
}
