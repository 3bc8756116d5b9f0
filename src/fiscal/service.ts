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
import { parsePeriod, periodEnd } from '../core/fiscal/period.js';
import type { FiscalRecipe } from '../core/fiscal/recipe.js';
import { describeRewind, type FiscalRewind } from '../core/fiscal/rewind.js';
import { archiveExtension, backupId, type Sidecar } from '../core/manifest.js';
import { exportPeriod, type FiscalHeader } from './archive.js';
import { formatInZone } from '../core/time.js';
import { callWorker } from '../source/worker.js';
import { auditDatabase, checkpointOf, oldestRecordDate, type RecordsCheckpoint } from './read.js';
import { readRewind } from './rewind.js';
import { writeRewindArchive } from './rewind-archive.js';
import { isFiscal, writeAndStore } from './store.js';
import { addToIndex, readIndex, type FiscalIndexEntry } from './made.js';

export type { FiscalIndexEntry };
import type {
  FiscalDeps,
  FiscalArchiveEntry,
  FiscalAuditOptions,
  FiscalExportOptions,
  FiscalExportResult,
  FiscalSummary,
} from './types.js';
export type {
  FiscalDeps,
  FiscalArchiveEntry,
  FiscalAuditOptions,
  FiscalExportOptions,
  FiscalExportResult,
  FiscalSummary,
};
import { writeFec, type FecResult } from './fec.js';
import type { FecEncoding, FecSeparator } from '../core/fiscal/fec.js';

/** The checkpoint kept between audits of the live data. */
interface AuditCheckpoint {
  /** When the whole chain was last checked. */
  fullAt: string | null;
  records: RecordsCheckpoint;
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

  /**
   * Audits the live database, or the database inside a backup. Callers that
   * ask for the live audit while one runs share it: it reads every record
   * and holds the process meanwhile (3 s for 100,000 receipts), so five
   * asked at once used to hold everything else for 15 s.
   */
  async audit(options: FiscalAuditOptions = {}): Promise<FiscalAudit> {
    if (options.backup) return this.auditNow(options);
    this.liveAudit ??= this.auditNow(options).finally(() => (this.liveAudit = null));
    return this.liveAudit;
  }

  /** The live audit under way, that callers meanwhile share. */
  private liveAudit: Promise<FiscalAudit> | null = null;

  private async auditNow(options: FiscalAuditOptions): Promise<FiscalAudit> {
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
      const input = { now, source: 'live', archives };
      const source = this.deps.sourceFile?.();
      let audit: FiscalAudit;
      // In a worker thread: it reads every record, and the server goes on meanwhile.
      if (source) {
        const module = new URL('./audit-worker.js', import.meta.url);
        audit = await callWorker<FiscalAudit>(module, { ...source, recipe, input }, 'fiscal audit')
          .result;
      } else {
        const db = this.deps.openSource();
        try {
          audit = auditDatabase(db, recipe, input);
        } finally {
          db.close();
        }
      }
      this.keepCheckpoint(audit, now.toISOString());
      return audit;
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

  /**
   * Archives a closed period. Exports run one after the other: each reads
   * the last archive to follow it, so two side by side (a double click, the
   * schedule and an accountant) would both follow the same one and make
   * two archives of one period.
   */
  async export(
    options: FiscalExportOptions,
    now: Date = this.deps.clock(),
  ): Promise<FiscalExportResult> {
    const turn = this.exporting.then(() => this.exportNow(options, now));
    this.exporting = turn.catch(() => undefined);
    return turn;
  }

  /** The export under way, that the next one waits for. */
  private exporting: Promise<unknown> = Promise.resolve();

  private async exportNow(options: FiscalExportOptions, now: Date): Promise<FiscalExportResult> {
    const recipe = this.recipe;
    const period = parsePeriod(options, now, this.localDay(now));
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
        this.keepCheckpoint(audit, now.toISOString());
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
    const names = [...new Set([...this.deps.defaultDestinations, ...this.holders()])];
    return writeRewindArchive(this.deps, this.recipe, rewind, restored, names);
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

  /**
   * The fiscal audit as a status shows it; null for a profile without a
   * fiscal recipe. It goes on from where the last audit stopped (the chain
   * is append-only): only records added since are hashed, unless that last
   * record changed or is gone. The whole chain is checked by `audit()` and
   * by every fiscal archive; `fullAuditAt` says when that last happened.
   */
  async summary(): Promise<FiscalSummary | null> {
    const recipe = this.deps.recipe;
    if (!recipe) return null;
    const saved = this.savedCheckpoint();
    try {
      const now = this.deps.clock();
      const series = this.readIndex().filter((e) => e.kind !== 'rewind');
      const archives = {
        last: series.at(-1)?.createdAt ?? null,
        warnings: await this.holdWarnings(now),
        everyMonths: this.deps.everyMonths,
      };
      const db = this.deps.openSource();
      let audit: FiscalAudit;
      try {
        audit = auditDatabase(db, recipe, {
          now,
          source: 'live',
          archives,
          from: saved?.records ?? null,
        });
      } finally {
        db.close();
      }
      const whole = audit.scope?.after === null;
      const fullAuditAt = whole ? now.toISOString() : (saved?.fullAt ?? null);
      this.keepCheckpoint(audit, fullAuditAt);
      return {
        ok: audit.ok,
        records: audit.records.count,
        lastArchive: audit.archives?.last ?? null,
        findings: audit.findings,
        error: null,
        hashed: audit.scope?.hashed ?? null,
        fullAuditAt,
      };
    } catch (err) {
      const e = asCoffreError(err);
      return {
        ok: false,
        records: null,
        lastArchive: null,
        findings: [],
        error: { code: e.code, message: e.message },
        hashed: null,
        fullAuditAt: saved?.fullAt ?? null,
      };
    }
  }

  private savedCheckpoint(): AuditCheckpoint | null {
    const text = this.deps.checkpoint.get();
    if (text === null) return null;
    try {
      return JSON.parse(text) as AuditCheckpoint;
    } catch {
      return null; // unreadable: the next audit reads the whole chain
    }
  }

  private keepCheckpoint(audit: FiscalAudit, fullAt: string | null): void {
    const records = checkpointOf(audit);
    if (records) this.deps.checkpoint.set(JSON.stringify({ fullAt, records }));
  }

  /** The register's local day (YYYY-MM-DD) at `now`. */
  localDay(now: Date): string {
    return formatInZone(now, this.deps.timeZone()).slice(0, 10);
  }

  /**
   * What the series of period archives already has, from the index of the
   * archives this register made: their labels, the last day they cover, and
   * the day of the register's first record (null: none yet, or no recipe).
   */
  seriesState(): { made: Set<string>; coveredTo: string | null; firstRecordDay: string | null } {
    const series = this.readIndex().filter((e) => e.kind !== 'rewind');
    const coveredTo = series.reduce<string | null>(
      (to, e) => (to === null || e.period.to > to ? e.period.to : to),
      null,
    );
    return {
      made: new Set(series.map((e) => e.period.label)),
      coveredTo,
      firstRecordDay: this.firstRecordDay(),
    };
  }

  private firstDay: string | null = null;

  /** The day of the first record; kept once known (the chain only grows at its end). */
  private firstRecordDay(): string | null {
    if (this.firstDay !== null || !this.deps.recipe) return this.firstDay;
    const db = this.deps.openSource();
    try {
      this.firstDay = oldestRecordDate(db, this.deps.recipe)?.slice(0, 10) ?? null;
    } finally {
      db.close();
    }
    return this.firstDay;
  }

  /** The last day the period archives in the destinations cover (an index made elsewhere, or lost). */
  async heldCoverage(): Promise<string | null> {
    const { archives } = await this.list();
    const to = archives.filter((a) => a.kind === 'period').map((a) => a.period.to);
    return to.length > 0 ? to.sort().at(-1)! : null;
  }

  /**
   * A scheduled archive of a closed period ("2026-11", "2026"): to the
   * default destinations and every destination already holding fiscal archives.
   */
  async exportScheduled(period: string, now?: Date): Promise<FiscalExportResult> {
    const destinations = [...new Set([...this.deps.defaultDestinations, ...this.holders()])];
    return this.export({ period, destinations }, now);
  }
}
