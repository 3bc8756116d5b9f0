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
import type Database from 'better-sqlite3-multiple-ciphers';
import { asCoffreError, CoffreError } from '../core/errors.js';
import {
  checkHold,
  holdUntil,
  isUnderHold,
  type ArchiveWarning,
  type FiscalAudit,
} from '../core/fiscal/audit.js';
import { parsePeriod, periodEnd, type Period } from '../core/fiscal/period.js';
import type { FiscalRecipe } from '../core/fiscal/recipe.js';
import { describeRewind, type FiscalRewind } from '../core/fiscal/rewind.js';
import { archiveExtension, backupId, type Sidecar } from '../core/manifest.js';
import type { Destination } from '../destinations/types.js';
import type { Identity } from '../state/identity.js';
import { exportPeriod, exportRows, type FiscalHeader } from './archive.js';
import { auditDatabase } from './read.js';
import { readRewind } from './rewind.js';
import { isFiscal, writeAndStore } from './store.js';
import { addToIndex, readIndex, type FiscalIndexEntry } from './made.js';

export type { FiscalIndexEntry };
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
  /** The register's time zone, for dates in the shop's words. */
  timeZone(): string;
  /** Records what happened in Coffre's own journal. */
  log(action: string, detail: Record<string, unknown>): void;
}

export interface FiscalAuditOptions {
  /** A backup's id or file: audit the database inside it instead of the live one. */
  backup?: string | null;
  identities?: string[];
  passphrase?: string | null;
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
  /** period: one of the series; rewind: the records a restore took out of the chain. */
  kind: 'period' | 'rewind';
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
    return readIndex(this.deps.indexFile);
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
          kind: h.rewind ? 'rewind' : 'period',
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
    const series = this.readIndex().filter((e) => e.kind !== 'rewind');
    const last = series.length > 0 ? series[series.length - 1].createdAt : null;
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
    const index = this.readIndex().filter((e) => e.kind !== 'rewind');
    if (index.length > 0) return index[index.length - 1];
    const { archives } = await this.list();
    const newest = archives.filter((a) => a.kind === 'period').at(-1);
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
      const result = await writeAndStore({
        identity: this.deps.identity,
        app: this.deps.app,
        id,
        archive,
        now,
        work,
        content: {
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
        },
        audit,
        encryption,
        compressionLevel: this.deps.compressionLevel,
        areas,
        allowsUnencrypted: (n) => this.deps.allowsUnencrypted(n),
        out: options.out ?? null,
      });
      await addToIndex(this.deps.indexFile, result, content.chains.records.last, 'period');
      this.deps.log('fiscal-export', {
        archive,
        period: period.label,
        sha256: result.sha256,
        destinations: result.destinations.map((s) => s.name),
        out: result.out,
      });
      return {
        id,
        archive,
        period,
        sha256: result.sha256,
        size: result.size,
        encrypted: result.encrypted,
        records: content.chains.records.count,
        destinations: result.destinations,
        failed: result.failed,
        out: result.out,
        previous: previous ? { archive: previous.archive, sha256: previous.sha256 } : null,
        audit: { ok: audit.ok, findings: audit.findings },
      };
    } finally {
      await fsp.rm(work, { recursive: true, force: true });
    }
  }

  /**
   * What a restore would take out of the fiscal chain: the live rows beyond
   * the backup's last number in each chain (null when none, when the restore
   * does not touch the records, or when the profile has no fiscal recipe),
   * with the sentence the plan shows.
   */
  rewindOf(
    live: Database.Database,
    backup: Database.Database,
    tables: readonly string[],
  ): { rewind: FiscalRewind; message: string } | null {
    const recipe = this.deps.recipe;
    if (!recipe) return null;
    const rewind = readRewind(live, backup, recipe, tables.includes(recipe.records.table));
    if (!rewind) return null;
    const format = {
      locale: recipe.locale,
      currency: recipe.currency,
      timeZone: this.deps.timeZone(),
    };
    return { rewind, message: describeRewind(rewind, format) };
  }

  /**
   * Before a restore takes rows out of the chain: writes them (the live rows
   * beyond the backup's last numbers) to a fiscal archive in every
   * destination that holds fiscal archives, under the 6-year hold. It stands
   * beside the series of period archives. Fails, so that the restore changes
   * nothing, when no destination could take it.
   */
  async archiveRewind(rewind: FiscalRewind, restored: string): Promise<FiscalExportResult> {
    const recipe = this.recipe;
    const now = this.deps.clock();
    const id = backupId(`fiscal rewind`, this.deps.identity.id, now);
    const encryption = this.deps.encryption();
    const encrypted = encryption.recipients.length > 0 || encryption.passphrase !== null;
    const archive = id + archiveExtension(encrypted);
    const names = [...new Set([...this.deps.defaultDestinations, ...this.holders()])];
    const work = await fsp.mkdtemp(path.join(this.deps.scratch, 'fiscal-rewind-'));
    try {
      const db = this.deps.openSource();
      let audit: FiscalAudit;
      let content: ReturnType<typeof exportRows>;
      try {
        audit = auditDatabase(db, recipe, { now, source: 'live', archives: null });
        content = exportRows(db, recipe, { by: 'sequence', after: rewind.after }, work);
      } finally {
        db.close();
      }
      const days = [content.chains.records, content.chains.closings, content.chains.events]
        .flatMap((c) => [c?.first?.at, c?.last?.at])
        .filter((d): d is string => typeof d === 'string')
        .map((d) => d.slice(0, 10))
        .sort();
      const today = now.toISOString().slice(0, 10);
      const period = {
        from: days[0] ?? today,
        to: days[days.length - 1] ?? today,
        label: 'rewind',
      };
      const result = await writeAndStore({
        identity: this.deps.identity,
        app: this.deps.app,
        id,
        archive,
        now,
        work,
        content: {
          period,
          recipe,
          ...content,
          previous: null,
          rewind: { backupId: restored, after: rewind.after },
        },
        audit,
        encryption,
        compressionLevel: this.deps.compressionLevel,
        areas: this.deps.areas(names),
        allowsUnencrypted: (n) => this.deps.allowsUnencrypted(n),
        out: null,
      });
      await addToIndex(this.deps.indexFile, result, content.chains.records.last, 'rewind');
      const r = rewind.records;
      this.deps.log('fiscal-rewind-archive', {
        archive,
        backupId: restored,
        records:
          r.count > 0 ? { from: r.fromSeq, to: r.toSeq, count: r.count, total: r.total } : null,
        closings: rewind.closings,
        events: rewind.events,
        sha256: result.sha256,
        destinations: result.destinations.map((d) => d.name),
      });
      return {
        id,
        archive,
        period,
        sha256: result.sha256,
        size: result.size,
        encrypted: result.encrypted,
        records: content.chains.records.count,
        destinations: result.destinations,
        failed: result.failed,
        out: null,
        previous: null,
        audit: { ok: audit.ok, findings: audit.findings },
      };
    } finally {
      await fsp.rm(work, { recursive: true, force: true });
    }
  }

  /** The destinations that already hold fiscal archives of this register (from the index). */
  private holders(): string[] {
    return [...new Set(this.readIndex().flatMap((e) => e.destinations))].filter((d) => {
      try {
        this.deps.areas([d]);
        return true;
      } catch {
        return false; // removed since
      }
    });
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
