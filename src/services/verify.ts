// Verifying a backup: the sidecar's signature, the whole-archive fingerprint,
// every entry against the signed list and, deep, a test restore into a
// scratch folder. Restore reads archives through the same checks.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { checkFoundSidecar, fingerprintMismatch, readChecked } from '../archive/checked.js';
import { checkArchive, fingerprint } from '../archive/reader.js';
import type { Clock } from '../core/clock.js';
import { CoffreError } from '../core/errors.js';
import { ENTRY, isBackupId, parseArchiveName, type ArchiveHeader } from '../core/manifest.js';
import { recordedContentCheck } from '../core/sidecar.js';
import { openDatabase } from '../source/sqlite.js';
import type { HomePaths } from '../state/home.js';
import { isOwnRegister, notThisRegister, type IdentityStore } from '../state/identity.js';
import type { Progress } from './backup.js';
import type { Catalog } from './catalog.js';
import type { JobRunner } from './jobs.js';
import type { AppSource } from './source.js';

export interface KeyOptions {
  /** Contents of age identity files (AGE-SECRET-KEY-1... lines). */
  identities?: string[];
  passphrase?: string | null;
}

export interface VerifyOptions extends KeyOptions {
  /** Also restore into a scratch folder and check the database and files there. */
  deep?: boolean;
  /** Only look in this destination. */
  from?: string;
  /** What started it, kept in the history: manual, schedule. */
  trigger?: string;
  /** When the verification counts as made (the scheduler's clock). */
  now?: Date;
  onProgress?: (p: Progress) => void;
}

export interface VerifyReport {
  id: string;
  archive: string;
  destination: string | null;
  /**
   * The level reached (docs/VERIFY.md says what each proves). none: nothing
   * (an encrypted archive without key nor sidecar); fingerprint: the file's
   * hash against the signed sidecar only (encrypted, no key); full: every
   * entry against the signed list; deep: also a test restore.
   */
  level: 'none' | 'fingerprint' | 'full' | 'deep';
  /** The level asked for: deep with `deep`, else full. */
  requested: 'full' | 'deep';
  /**
   * passed: the level asked for was reached; checked-at-write: the archive
   * could not be opened (no key), but its content was checked when it was
   * written and its bytes have not changed since (docs/VERIFY.md); not-done:
   * nothing about its content could be proven (see notChecked).
   */
  status: 'passed' | 'checked-at-write' | 'not-done';
  sha256: string;
  size: number;
  encrypted: boolean;
  checks: { name: string; detail: string }[];
  notChecked: string | null;
}

/** Counts bytes for a progress phase. */
export function progressOf(
  phase: Progress['phase'],
  total: number,
  onProgress: ((p: Progress) => void) | undefined,
): (n: number) => void {
  let done = 0;
  return (n: number) => {
    done += n;
    onProgress?.({ phase, done, total: Math.max(total, done) });
  };
}

export class VerifyService {
  constructor(
    private readonly paths: Pick<HomePaths, 'tmp'>,
    private readonly identity: IdentityStore,
    private readonly source: Pick<AppSource, 'passphrase' | 'databaseKey'>,
    private readonly jobs: Pick<JobRunner, 'start' | 'recorded'>,
    private readonly catalog: Pick<Catalog, 'locate'>,
    private readonly clock: Clock,
  ) {}

  /**
   * Checks a backup: the whole-archive fingerprint and its signature, then
   * (with the key, if encrypted) every entry's hash against the signed list;
   * `deep` also restores into a scratch folder and checks the database there.
   * Throws a CoffreError naming what is wrong.
   */
  async verify(ref: string, options: VerifyOptions = {}): Promise<VerifyReport> {
    const jobId = this.jobs.start(
      'verify',
      options.now ?? this.clock(),
      options.from ? [options.from] : [],
      {
        trigger: options.trigger ?? 'manual',
        ...(isBackupId(ref) ? { backupId: ref } : {}),
      },
    );
    return this.jobs.recorded(
      jobId,
      () => this.verifyUnrecorded(ref, options),
      (report) => ({
        // A check that could not be done is not a pass: the history says so.
        result: report.status === 'not-done' ? 'partial' : 'ok',
        backupId: report.id,
        bytes: report.size,
        sha256: report.sha256,
        detail: report.status === 'checked-at-write' ? 'checked-at-write' : report.level,
      }),
    );
  }

  private async verifyUnrecorded(ref: string, options: VerifyOptions): Promise<VerifyReport> {
    const found = await this.catalog.locate(ref, options.from);
    const checks: VerifyReport['checks'] = [];
    const id = parseArchiveName(found.archive)?.id ?? found.archive;
    const total = found.sidecar?.size ?? 0;

    const signed = checkFoundSidecar(found, this.identity.get());
    if (signed) checks.push({ name: 'sidecar signature', detail: signed });

    const encryptedArchive = found.archive.endsWith('.age');
    const identities = options.identities ?? [];
    const passphrase =
      options.passphrase ?? (identities.length === 0 ? this.source.passphrase() : null);
    const haveKey = identities.length > 0 || !!passphrase;
    if (encryptedArchive && !haveKey) {
      const { sha256, size } = await fingerprint(
        await found.open(),
        progressOf('read', total, options.onProgress),
      );
      checkFoundSidecar(found, this.identity.get(), { actualSize: size });
      if (found.sidecar && sha256 !== found.sidecar.sha256)
        throw fingerprintMismatch(found.archive, sha256, found.sidecar.sha256);
      checks.push({
        name: 'fingerprint',
        detail: found.sidecar
          ? `SHA-256 ${sha256} matches the signed sidecar`
          : `SHA-256 ${sha256} (no sidecar to compare: this proves nothing)`,
      });
      // Checked when written, and the same bytes now: that much is proven.
      const atWrite = found.sidecar ? recordedContentCheck(found.sidecar) : null;
      if (atWrite) {
        checks.push({
          name: 'content at write',
          detail: `content checked at write time on ${atWrite.at}: ${atWrite.entries} entries matched SHA256SUMS, integrity_check ${atWrite.integrity}; bytes unchanged since`,
        });
        return {
          id,
          archive: found.archive,
          destination: found.destination,
          level: 'fingerprint',
          requested: options.deep ? 'deep' : 'full',
          status: 'checked-at-write',
          sha256,
          size,
          encrypted: true,
          checks,
          notChecked: `The archive is encrypted and no key was given: it was not decrypted now${options.deep ? ' nor test-restored' : ''}. Its content was checked while it was written (${atWrite.at}) and its bytes have not changed since; that the key opens it is proven only with the key.`,
        };
      }
      return {
        id,
        archive: found.archive,
        destination: found.destination,
        level: found.sidecar ? 'fingerprint' : 'none',
        requested: options.deep ? 'deep' : 'full',
        status: 'not-done',
        sha256,
        size,
        encrypted: true,
        checks,
        notChecked: found.sidecar
          ? `The archive is encrypted and no key was given: only its fingerprint was checked (the bytes are those that were signed), not its entries${options.deep ? ', and no test restore was made' : ''}. Give the age key file or the passphrase to check it.`
          : 'The archive is encrypted, no key was given and it has no sidecar: nothing about its contents or its integrity could be checked. Give the age key file or the passphrase to check it.',
      };
    }

    const scratch = options.deep
      ? await fsp.mkdtemp(path.join(this.paths.tmp, `verify-${id.slice(-20)}-`))
      : undefined;
    try {
      const contents = await readChecked(found, {
        identities,
        passphrase,
        ...(scratch ? { extractTo: scratch } : {}),
        onProgress: progressOf(found.remote ? 'download' : 'read', total, options.onProgress),
      });
      checks.push({
        name: 'fingerprint',
        detail: `SHA-256 ${contents.sha256}${found.sidecar ? ' matches the sidecar' : ''}`,
      });
      const { header, problems } = checkArchive(contents);
      if (!isOwnRegister(this.identity.get(), header.register))
        throw notThisRegister(this.identity.get(), header.register);
      checks.push({
        name: 'signature',
        detail: `entry list signed by ${header.register.keyFingerprint}`,
      });
      if (problems.length > 0) {
        throw new CoffreError(
          'CORRUPT_ARCHIVE',
          `${found.archive} has damaged entries: ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? ` (and ${problems.length - 10} more)` : ''}.`,
          { details: { problems } },
        );
      }
      checks.push({ name: 'entries', detail: `${contents.entries.size} entries match SHA256SUMS` });
      if (scratch) checks.push(...this.deepChecks(scratch, header));
      return {
        id,
        archive: found.archive,
        destination: found.destination,
        level: scratch ? 'deep' : 'full',
        requested: scratch ? 'deep' : 'full',
        status: 'passed',
        sha256: contents.sha256,
        size: contents.size,
        encrypted: contents.encrypted,
        checks,
        notChecked: null,
      };
    } finally {
      if (scratch) await fsp.rm(scratch, { recursive: true, force: true });
    }
  }

  /** A backup's database, checked and extracted into `dir`, opened read-only. */
  async openDatabaseOf(
    ref: string,
    keys: KeyOptions,
    dir: string,
  ): Promise<{ db: ReturnType<typeof openDatabase>; backupId: string }> {
    const found = await this.catalog.locate(ref);
    checkFoundSidecar(found, this.identity.get());
    const contents = await readChecked(found, {
      identities: keys.identities ?? [],
      passphrase: keys.passphrase ?? null,
      extractTo: dir,
    });
    const { header, problems } = checkArchive(contents);
    if (!isOwnRegister(this.identity.get(), header.register))
      throw notThisRegister(this.identity.get(), header.register);
    if (problems.length > 0) {
      throw new CoffreError(
        'CORRUPT_ARCHIVE',
        `${found.archive} is damaged: ${problems.join(', ')}.`,
      );
    }
    const file = path.join(dir, header.database.entry);
    const key = header.database.sourceEncrypted ? this.source.databaseKey() : null;
    return { db: openDatabase(file, { key, readonly: true }), backupId: header.id };
  }

  private deepChecks(scratch: string, header: ArchiveHeader): VerifyReport['checks'] {
    const dbFile = path.join(scratch, header.database.entry);
    const db = openDatabase(dbFile, {
      key: header.database.sourceEncrypted ? this.source.databaseKey() : null,
    });
    try {
      const result = db.pragma('integrity_check', { simple: true });
      if (result !== 'ok') {
        throw new CoffreError(
          'CORRUPT_ARCHIVE',
          `The archived database fails SQLite's integrity check: ${String(result)}.`,
        );
      }
      const wrong: string[] = [];
      for (const [table, rows] of Object.entries(header.database.tables)) {
        const actual = (
          db.prepare(`SELECT count(*) AS n FROM "${table.replace(/"/g, '""')}"`).get() as {
            n: number;
          }
        ).n;
        if (actual !== rows) wrong.push(`${table}: ${actual} rows, header says ${rows}`);
      }
      if (wrong.length > 0) {
        throw new CoffreError(
          'CORRUPT_ARCHIVE',
          `The archived database's row counts differ from its header: ${wrong.join('; ')}.`,
        );
      }
      const fk = db.prepare('PRAGMA foreign_key_check').all();
      const filesDir = path.join(scratch, ENTRY.filesDir);
      const fileCount = fs.existsSync(filesDir)
        ? fs
            .readdirSync(filesDir, { recursive: true, withFileTypes: true })
            .filter((e) => e.isFile()).length
        : 0;
      if (fileCount !== header.files.count) {
        throw new CoffreError(
          'CORRUPT_ARCHIVE',
          `The archive restores ${fileCount} ${header.files.label}, its header says ${header.files.count}.`,
        );
      }
      return [
        {
          name: 'test restore',
          detail: `restored into a scratch folder: ${fileCount} ${header.files.label}`,
        },
        { name: 'integrity_check', detail: 'ok' },
        {
          name: 'row counts',
          detail: `${Object.keys(header.database.tables).length} tables match the header`,
        },
        {
          name: 'foreign keys',
          detail: fk.length === 0 ? 'no violations' : `${fk.length} violations (as in the source)`,
        },
      ];
    } finally {
      db.close();
    }
  }
}
