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

export class UploadService {
  constructor(
    private readonly dir: string,
    private readonly verifier: Pick<VerifyService, 'verify'>,
    private readonly clock: Clock,
  ) {}

  /**
   * Streams an archive to disk, checks its fingerprint (the SHA-256 given,
   * e.g. from the backup's listing) and then the archive itself. A file that
   * fails any check is removed.
   */
  async receive(
    body: Readable,
    options: { name: string; sha256?: string | null; maxBytes?: number },
  ): Promise<ReceivedArchive> {
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
    await this.sweep();
    const upload = crypto.randomBytes(12).toString('hex');
    const folder = path.join(this.dir, upload);
    await fsp.mkdir(folder, { recursive: true, mode: 0o700 });
    const file = path.join(folder, options.name);
    const hash = crypto.createHash('sha256');
    let size = 0;
    const max = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > max) {
          done(new CoffreError('USAGE', `The upload is larger than ${max} bytes.`));
          return;
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
