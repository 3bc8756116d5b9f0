// The fiscal service: audits the register's fiscal data (live or inside a
// backup), writes fiscal archives of closed periods to the `fiscal/` area of
// destinations, lists them apart from backups, and guards their 6-year
// hold. It receives only what it uses: the app's recipe, a way to open the
// live database and a backup's copy of it, the fiscal areas of the
// destinations, the register's identity for signing, the encryption to use,
// a clock, and the home files it keeps (its index of archives made).

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type Database from 'better-sqlite3-multiple-ciphers';
import { writeBundle } from '../archive/bundle.js';
import { asCoffreError, CoffreError } from '../core/errors.js';
import {
  checkHold,
  holdUntil,
  isUnderHold,
  type ArchiveWarning,
  type FiscalAudit,
} from '../core/fiscal/audit.js';
import type { RecordRef } from '../core/fiscal/chain.js';
import { parsePeriod, periodEnd, type Period } from '../core/fiscal/period.js';
import type { FiscalRecipe } from '../core/fiscal/recipe.js';
import { archiveExtension, backupId, fingerprintMessage, type Sidecar } from '../core/manifest.js';
import type { Destination } from '../destinations/types.js';
import { writeFileAtomic } from '../state/files.js';
import { keyFingerprint, sign, type Identity } from '../state/identity.js';
import {
  auditSummary,
  exportPeriod,
  FISCAL_AUDIT,
  FISCAL_FORMAT,
  FISCAL_FORMAT_VERSION,
  FISCAL_README,
  fiscalReadme,
  type FiscalHeader,
} from './archive.js';
import { auditDatabase } from './read.js';
import { writeFec, type FecResult } from './fec.js';
import type { FecEncoding, FecRecipe, FecSeparator } from '../core/fiscal/fec.js';

export interface FiscalDeps {
  /** The app's fiscal recipe; null when its profile declares none. */
  recipe: FiscalRecipe | null;
  /** Which tables feed the FEC; null when the profile declares none. */
  fec: FecRecipe | null;
  app: { profile: string; version: string | null };
  identity: Identity;
  /** Scratch space on the home's file system. */
  scratch: string;
  /** The home file listing the fiscal archives this register made. */
  indexFile: string;
  /** Opens the live database, read-only. */
  openSource(): Database.Database;
  /** Extracts a backup's database into `dir` (checked) and opens it read-only. */
  openBackupDatabase(
    ref: string,
    keys: { identities?: string[]; passphrase?: string | null },
    dir: string,
  ): Promise<{ db: Database.Database; backupId: string }>;
  /** The fiscal areas of the named destinations (every destination when null). */
  areas(names: readonly string[] | null): Destination[];
  defaultDestinations: readonly string[];
  /** Whether this cloud destination takes unencrypted archives (the user allowed it). */
  allowsUnencrypted(name: string): boolean;
  encryption(): { recipients: string[]; passphrase: string | null };
  compressionLevel: number;
  /** How often the settings ask for a fiscal archive, in months; null: the yearly minimum. */
  everyMonths: number | null;
  clock(): Date;
  /** Records what happened in Coffre's own journal. */
  log(action: string, detail: Record<string, unknown>): void;
}

export interface FiscalAuditOptions {
  /** A backup's id or file: audit the database inside it instead of the live one. */
  backup?: string | null;
  identities?: string[];
  passphrase?: string | null;
}

/** What the index keeps of each fiscal archive made. */
export interface FiscalIndexEntry {
  archive: string;
  id: string;
  createdAt: string;
  period: Period;
  sha256: string;
  size: number;
  recordsLast: RecordRef | null;
  destinations: string[];
}

export interface FiscalArchiveEntry {
  id: string;
  archive: string;
  destination: string;
  createdAt: string;
  period: Period;
  size: number;
  sha256: string;
  encrypted: boolean;
  records: number;
  /** Kept at least until then, whatever the retention. */
  holdUntil: string;
}

export interface FiscalExportOptions {
  /** 2026 or 2026-11; or `from` and `to` (days, both included). */
  period?: string;
  from?: string;
  to?: string;
  /** Destination names; the default destinations when empty. */
  destinations?: string[];
  /** Also write the archive to this file. */
  out?: string | null;
}

export interface FiscalExportResult {
  id: string;
  archive: string;
  period: Period;
  sha256: string;
  size: number;
  encrypted: boolean;
  records: number;
  destinations: { name: string; location: string }[];
  failed: { destination: string; code: string; message: string }[];
  out: string | null;
  previous: { archive: string; sha256: string } | null;
  audit: { ok: boolean; findings: string[] };
}

type FiscalSidecar = Omit<Sidecar, 'header'> & { header: FiscalHeader };

/** Destinations take a backup's sidecar; they only read its id, creation time, register and encryption. */
function asSidecar(s: FiscalSidecar): Sidecar {
  return s as unknown as Sidecar;
}

function isFiscal(s: Sidecar): boolean {
  return (s.header as unknown as { format?: string }).format === FISCAL_FORMAT;
}

export class FiscalService {
  constructor(private readonly deps: FiscalDeps) {}

  private get recipe(): FiscalRecipe {
    if (!this.deps.recipe) {
      throw new CoffreError(
        'USAGE',
        `The ${this.deps.app.profile} profile declares no fiscal recipe: there is no fiscal data to check or archive.`,
      );
    }
    return this.deps.recipe;
  }

  readIndex(): FiscalIndexEntry[] {
    try {
      return JSON.parse(fs.readFileSync(this.deps.indexFile, 'utf8')) as FiscalIndexEntry[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new CoffreError(
        'CONFIG_INVALID',
        `${this.deps.indexFile} cannot be read: ${(err as Error).message}.`,
      );
    }
  }

  private async writeIndex(entries: FiscalIndexEntry[]): Promise<void> {
    await writeFileAtomic(this.deps.indexFile, JSON.stringify(entries, null, 2) + '\n');
  }

  /** Fiscal archives in every reachable destination, oldest first. */
  async list(): Promise<{
    archives: FiscalArchiveEntry[];
    unavailable: { destination: string; code: string; message: string }[];
  }> {
    const archives: FiscalArchiveEntry[] = [];
    const unavailable: { destination: string; code: string; message: string }[] = [];
    for (const area of this.deps.areas(null)) {
      let sidecars: Sidecar[];
      try {
        sidecars = await area.list(this.deps.identity.id);
      } catch (err) {
        const e = asCoffreError(err);
        unavailable.push({ destination: area.name, code: e.code, message: e.message });
        continue;
      }
      for (const s of sidecars) {
        if (!isFiscal(s)) continue;
        const h = s.header as unknown as FiscalHeader;
        if (h.register.id !== this.deps.identity.id) continue;
        archives.push({
          id: h.id,
          archive: s.archive,
          destination: area.name,
          createdAt: h.createdAt,
          period: h.period,
          size: s.size,
          sha256: s.sha256,
          encrypted: h.encryption.encrypted,
          records: h.chains.records.count,
          holdUntil: holdUntil(h.createdAt).toISOString(),
        });
      }
    }
    archives.sort(
      (a, b) =>
        a.createdAt.localeCompare(b.createdAt) || a.destination.localeCompare(b.destination),
    );
    return { archives, unavailable };
  }

  /** Archives under the hold that no reachable destination holds (one behind an unplugged drive is not counted). */
  private async holdWarnings(now: Date): Promise<ArchiveWarning[]> {
    const index = this.readIndex();
    if (index.length === 0) return [];
    const { archives, unavailable } = await this.list();
    const held = new Set(archives.map((a) => a.archive));
    const down = new Set(unavailable.map((u) => u.destination));
    const knowable = index.filter((e) => !e.destinations.some((d) => down.has(d)));
    return checkHold(knowable, held, now);
  }

  /** Audits the live database, or the database inside a backup. */
  async audit(options: FiscalAuditOptions = {}): Promise<FiscalAudit> {
    const recipe = this.recipe;
    const now = this.deps.clock();
    const index = this.readIndex();
    const last = index.length > 0 ? index[index.length - 1].createdAt : null;
    const archives = {
      last,
      warnings: await this.holdWarnings(now),
      everyMonths: this.deps.everyMonths,
    };
    if (!options.backup) {
      const db = this.deps.openSource();
      try {
        return auditDatabase(db, recipe, { now, source: 'live', archives });
      } finally {
        db.close();
      }
    }
    const dir = await fsp.mkdtemp(path.join(this.deps.scratch, 'fiscal-audit-'));
    try {
      const { db, backupId: id } = await this.deps.openBackupDatabase(options.backup, options, dir);
      try {
        return auditDatabase(db, recipe, { now, source: id, archives });
      } finally {
        db.close();
      }
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }

  /** The archive this one continues: the newest in the index, or else in the destinations. */
  private async previous(): Promise<FiscalIndexEntry | null> {
    const index = this.readIndex();
    if (index.length > 0) return index[index.length - 1];
    const { archives } = await this.list();
    const newest = archives[archives.length - 1];
    if (!newest) return null;
    return {
      archive: newest.archive,
      id: newest.id,
      createdAt: newest.createdAt,
      period: newest.period,
      sha256: newest.sha256,
      size: newest.size,
      recordsLast: null,
      destinations: [newest.destination],
    };
  }

  async export(options: FiscalExportOptions): Promise<FiscalExportResult> {
    const recipe = this.recipe;
    const now = this.deps.clock();
    const period = parsePeriod(options, now);
    const names =
      options.destinations && options.destinations.length > 0
        ? [...new Set(options.destinations)]
        : [...this.deps.defaultDestinations];
    const areas = this.deps.areas(names);
    if (options.out && fs.existsSync(options.out)) {
      throw new CoffreError(
        'USAGE',
        `${path.resolve(options.out)} already exists; a fiscal archive never overwrites a file.`,
      );
    }
    const previous = await this.previous();
    if (previous && period.from <= previous.period.to) {
      throw new CoffreError(
        'USAGE',
        `The fiscal archives already cover up to ${previous.period.to} (${previous.archive}); the next one starts on ${periodEnd(previous.period)} or later.`,
        { details: { previous: previous.archive } },
      );
    }
    const encryption = this.deps.encryption();
    const encrypted = encryption.recipients.length > 0 || encryption.passphrase !== null;
    const id = backupId(`fiscal ${period.label}`, this.deps.identity.id, now);
    const archive = id + archiveExtension(encrypted);
    const work = await fsp.mkdtemp(path.join(this.deps.scratch, 'fiscal-export-'));
    try {
      const db = this.deps.openSource();
      let audit: FiscalAudit;
      let content: ReturnType<typeof exportPeriod>;
      try {
        if (previous) {
          const r = recipe.records;
          const between = db
            .prepare(`SELECT count(*) FROM "${r.table}" WHERE "${r.date}" >= ? AND "${r.date}" < ?`)
            .pluck()
            .get(periodEnd(previous.period), period.from) as number;
          if (between > 0) {
            throw new CoffreError(
              'USAGE',
              `${between} ${r.label[1]} between ${previous.period.to} and ${period.from} are in no fiscal archive: start this one on ${periodEnd(previous.period)}.`,
            );
          }
        }
        audit = auditDatabase(db, recipe, { now, source: 'live', archives: null });
        content = exportPeriod(db, recipe, period, work);
      } finally {
        db.close();
      }
      const header: FiscalHeader = {
        format: FISCAL_FORMAT,
        formatVersion: FISCAL_FORMAT_VERSION,
        id,
        createdAt: now.toISOString(),
        register: {
          id: this.deps.identity.id,
          name: this.deps.identity.name,
          publicKey: this.deps.identity.publicKey,
          keyFingerprint: keyFingerprint(this.deps.identity.publicKey),
        },
        app: this.deps.app,
        period,
        recipe,
        ...content,
        previous: previous
          ? {
              archive: previous.archive,
              sha256: previous.sha256,
              recordsLast: previous.recordsLast,
            }
          : null,
        audit: auditSummary(audit),
        encryption: {
          encrypted,
          method: !encrypted ? null : encryption.passphrase ? 'age-scrypt' : 'age-x25519',
          recipients: encryption.recipients,
        },
      };
      const file = path.join(work, archive);
      const written = await writeBundle({
        identity: this.deps.identity,
        entries: [
          { name: FISCAL_README, data: Buffer.from(fiscalReadme(header)) },
          ...content.files.map((f) => ({ name: f.name, file: path.join(work, f.name) })),
          { name: FISCAL_AUDIT, data: Buffer.from(JSON.stringify(audit, null, 2) + '\n') },
        ],
        header,
        encryption,
        compressionLevel: this.deps.compressionLevel,
        target: file,
        mtime: Math.floor(now.getTime() / 1000),
      });
      const sidecar: FiscalSidecar = {
        sidecarVersion: 1,
        archive,
        size: written.size,
        sha256: written.sha256,
        fingerprintSignature: sign(
          this.deps.identity,
          fingerprintMessage(archive, written.sha256),
        ).toString('base64'),
        header,
      };
      const stored: { name: string; location: string }[] = [];
      const failed: FiscalExportResult['failed'] = [];
      for (const area of areas) {
        try {
          if (area.kind === 's3' && !encrypted && !this.deps.allowsUnencrypted(area.name)) {
            throw new CoffreError(
              'UNENCRYPTED_UPLOAD',
              `This fiscal archive is not encrypted, and "${area.name}" is a cloud destination: the provider could read the sales. Nothing was uploaded there.`,
              { details: { destination: area.name } },
            );
          }
          await area.check();
          const upload = await area.put(archive, { expectedBytes: written.size });
          try {
            await pipeline(fs.createReadStream(file), upload.stream);
            await upload.commit(asSidecar(sidecar));
          } catch (err) {
            await upload.abort().catch(() => undefined);
            throw err;
          }
          stored.push({ name: area.name, location: area.location });
        } catch (err) {
          const e = asCoffreError(err);
          failed.push({ destination: area.name, code: e.code, message: e.message });
        }
      }
      let out: string | null = null;
      if (options.out) {
        out = path.resolve(options.out);
        await fsp.copyFile(file, out, fs.constants.COPYFILE_EXCL);
      }
      if (stored.length === 0 && out === null) {
        throw new CoffreError(
          failed[0]?.code === undefined
            ? 'DESTINATION_UNAVAILABLE'
            : (failed[0].code as CoffreError['code']),
          `The fiscal archive could not be stored anywhere: ${failed.map((f) => f.message).join(' ')}`,
        );
      }
      if (stored.length > 0) {
        await this.writeIndex([
          ...this.readIndex(),
          {
            archive,
            id,
            createdAt: header.createdAt,
            period,
            sha256: written.sha256,
            size: written.size,
            recordsLast: content.chains.records.last,
            destinations: stored.map((s) => s.name),
          },
        ]);
      }
      this.deps.log('fiscal-export', {
        archive,
        period: period.label,
        sha256: written.sha256,
        destinations: stored.map((s) => s.name),
        out,
      });
      return {
        id,
        archive,
        period,
        sha256: written.sha256,
        size: written.size,
        encrypted,
        records: content.chains.records.count,
        destinations: stored,
        failed,
        out,
        previous: previous ? { archive: previous.archive, sha256: previous.sha256 } : null,
        audit: { ok: audit.ok, findings: audit.findings },
      };
    } finally {
      await fsp.rm(work, { recursive: true, force: true });
    }
  }

  /**
   * Removes a fiscal archive from one destination. One under the 6-year hold
   * is refused unless `override` gives a reason, which is logged.
   */
  async delete(
    ref: string,
    options: { from: string; override?: { reason: string } | null },
  ): Promise<FiscalArchiveEntry> {
    const { archives } = await this.list();
    const found = archives.find(
      (a) => (a.id === ref || a.archive === ref) && a.destination === options.from,
    );
    if (!found) {
      throw new CoffreError(
        'BACKUP_NOT_FOUND',
        `Destination "${options.from}" holds no fiscal archive ${ref}.`,
        {
          details: { archive: ref, destination: options.from },
        },
      );
    }
    const now = this.deps.clock();
    if (isUnderHold(found.createdAt, now)) {
      const reason = options.override?.reason.trim() ?? '';
      if (reason === '') {
        throw new CoffreError(
          'USAGE',
          `Fiscal archive ${found.id} is under the ${6}-year hold until ${found.holdUntil.slice(0, 10)}: removing it takes an explicit override with a reason, which is logged.`,
          { details: { archive: found.archive, holdUntil: found.holdUntil } },
        );
      }
      this.deps.log('fiscal-delete-override', {
        archive: found.archive,
        destination: found.destination,
        reason,
      });
    } else {
      this.deps.log('fiscal-delete', { archive: found.archive, destination: found.destination });
    }
    const [area] = this.deps.areas([options.from]);
    await area.delete(found.archive);
    return found;
  }

  /** Writes the FEC of a year into `dir` and checks it. */
  fec(options: {
    year: string;
    siren: string;
    separator?: FecSeparator;
    encoding?: FecEncoding;
    dir: string;
  }): FecResult {
    if (!this.deps.fec) {
      throw new CoffreError(
        'USAGE',
        `The ${this.deps.app.profile} profile declares no ledger for a FEC (the accounting profile does).`,
      );
    }
    const db = this.deps.openSource();
    let result: FecResult;
    try {
      result = writeFec(db, this.deps.fec, {
        year: options.year,
        siren: options.siren,
        separator: options.separator ?? 'pipe',
        encoding: options.encoding ?? 'latin9',
        dir: options.dir,
      });
    } finally {
      db.close();
    }
    this.deps.log('fec-export', {
      file: path.basename(result.file),
      year: options.year,
      lines: result.lines,
      ok: result.ok,
    });
    return result;
  }

  /** The fiscal audit as a status shows it; null for a profile without a fiscal recipe. */
  async summary(): Promise<FiscalSummary | null> {
    if (!this.deps.recipe) return null;
    try {
      const audit = await this.audit();
      return {
        ok: audit.ok,
        records: audit.records.count,
        lastArchive: audit.archives?.last ?? null,
        findings: audit.findings,
        error: null,
      };
    } catch (err) {
      const e = asCoffreError(err);
      return {
        ok: false,
        records: null,
        lastArchive: null,
        findings: [],
        error: { code: e.code, message: e.message },
      };
    }
  }
}

/** The fiscal audit's result in a register's status. */
export interface FiscalSummary {
  ok: boolean;
  records: number | null;
  lastArchive: string | null;
  findings: string[];
  error: { code: string; message: string } | null;
}
