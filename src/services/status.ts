// The status of a register: what is protected, the last backup and failure,
// the last passed test restore, the schedule, the destinations, and the
// warnings someone should act on.

import fs from 'node:fs';
import type { Clock } from '../core/clock.js';
import { backupWarnings, partialBackupWarning, type Warning } from '../core/warnings.js';
import { countRealRows } from '../source/profile-queries.js';
import { listFiles } from '../source/files.js';
import { isEncryptedDatabaseFile, openDatabase } from '../source/sqlite.js';
import type { ConfigStore } from '../state/config.js';
import { keyFingerprint, type IdentityStore } from '../state/identity.js';
import type { JobRecord } from '../state/statedb.js';
import type { BackupEntry, Catalog } from './catalog.js';
import type { CloudUsage, DestinationService } from './destinations.js';
import type { FiscalService, FiscalSummary } from '../fiscal/service.js';
import type { JobRunner } from './jobs.js';
import type { ScheduleService } from './schedule.js';

/** The destinations a backup job's detail says committed it, or null. */
function committedOf(detail: string | null): string[] | null {
  if (!detail) return null;
  try {
    const parsed = JSON.parse(detail) as { committed?: unknown };
    return Array.isArray(parsed.committed) ? parsed.committed.map(String) : null;
  } catch {
    return null;
  }
}
import type { AppSource } from './source.js';

export interface StatusReport {
  register: { id: string; name: string; profile: string; keyFingerprint: string };
  source: {
    database: string;
    headline: { label: string; count: number } | null;
    files: { label: string; count: number; bytes: number } | null;
    databaseBytes: number;
    encrypted: boolean;
  };
  lastBackup: (BackupEntry & { ageMs: number }) | null;
  lastFailure: JobRecord | null;
  /** The last deep verification (test restore) that passed. */
  lastTestRestore: { at: string; backupId: string | null } | null;
  schedule: {
    backup: string | null;
    verify: string | null;
    onClose: boolean;
    nextBackup: string | null;
    /** Fiscal archives by the schedule: monthly, yearly, or null (off). */
    fiscal: 'monthly' | 'yearly' | null;
    /** The next fiscal archive: a period due now (`dueOn` today or earlier), or the next one to close. */
    nextFiscalArchive: { period: string; dueOn: string } | null;
  };
  /** Things someone should act on: no backup, a stale one, a failure, a cloud nearly full. */
  warnings: Warning[];
  destinations: {
    name: string;
    kind: string;
    location: string;
    backups: number | null;
    error: string | null;
  }[];
  encryption: { recipients: number; passphrase: boolean };
  /** Each cloud destination's space against its quota. */
  cloud: CloudUsage[];
  /** The fiscal audit of the live data; null when the profile has no fiscal recipe. */
  fiscal: FiscalSummary | null;
}

export class StatusService {
  constructor(
    private readonly config: ConfigStore,
    private readonly identity: IdentityStore,
    private readonly source: AppSource,
    private readonly jobs: Pick<JobRunner, 'db'>,
    private readonly catalog: Pick<Catalog, 'list'>,
    private readonly destinations: Pick<DestinationService, 'all' | 'cloudUsage'>,
    private readonly schedule: Pick<ScheduleService, 'info' | 'staleAfterHours' | 'localDay'>,
    private readonly fiscal: Pick<FiscalService, 'summary'>,
    private readonly clock: Clock,
  ) {}

  async status(now: Date = this.clock()): Promise<StatusReport> {
    const profile = this.source.profile;
    const config = this.config.get();
    const source = config.source;
    const identity = this.identity.get();
    const dbFile = this.source.databaseFile;
    let headline: StatusReport['source']['headline'] = null;
    let databaseBytes = 0;
    let encrypted = false;
    if (fs.existsSync(dbFile)) {
      databaseBytes = fs.statSync(dbFile).size;
      encrypted = isEncryptedDatabaseFile(dbFile);
      if (profile.headline) {
        try {
          const db = openDatabase(dbFile, { key: this.source.databaseKey() });
          try {
            const n = countRealRows(db, profile.headline.table, profile.tombstones);
            headline = { label: profile.headline.label, count: n };
          } finally {
            db.close();
          }
        } catch {
          headline = null;
        }
      }
    }
    let files: StatusReport['source']['files'] = null;
    if (source.files) {
      const list = await listFiles(this.source.path(source.files)).catch(() => []);
      files = {
        label: profile.filesLabel,
        count: list.length,
        bytes: list.reduce((n, f) => n + f.size, 0),
      };
    }
    // The listings (the cloud's take longest) and the fiscal audit, side by side.
    const [{ backups, unavailable }, cloud, fiscal] = await Promise.all([
      this.catalog.list(),
      this.destinations.cloudUsage(),
      this.fiscal.summary(),
    ]);
    const last = backups.length > 0 ? backups[backups.length - 1] : null;
    const db = this.jobs.db();
    const failures = db.jobs(20, 'backup').filter((j) => j.result === 'failed');
    const lastFailure =
      failures[0] && (!last || failures[0].startedAt > last.createdAt) ? failures[0] : null;
    const deep = db.jobs(200, 'verify').find((j) => j.result === 'ok' && j.detail === 'deep');
    const info = this.schedule.info(now);
    const warnings = backupWarnings(
      last ? last.createdAt : null,
      lastFailure,
      this.schedule.staleAfterHours(now),
      now,
      info.timeZone,
    );
    const made = db.jobs(20, 'backup').find((j) => j.result === 'ok' || j.result === 'partial');
    const partial = partialBackupWarning(
      made ? { ...made, committed: committedOf(made.detail) } : null,
    );
    if (partial) warnings.push(partial);
    for (const u of cloud) if (u.warning) warnings.push(u.warning);
    return {
      register: {
        id: identity.id,
        name: identity.name,
        profile: profile.name,
        keyFingerprint: keyFingerprint(identity.publicKey),
      },
      source: { database: dbFile, headline, files, databaseBytes, encrypted },
      lastBackup: last ? { ...last, ageMs: now.getTime() - Date.parse(last.createdAt) } : null,
      lastFailure,
      lastTestRestore: deep
        ? { at: deep.endedAt ?? deep.startedAt, backupId: deep.backupId }
        : null,
      schedule: {
        backup: info.backup?.describe ?? null,
        verify: info.verify?.describe ?? null,
        onClose: info.onClose,
        nextBackup: info.backup?.next ?? null,
        fiscal: info.fiscal?.every ?? null,
        nextFiscalArchive: info.fiscal
          ? info.fiscal.due.length > 0
            ? { period: info.fiscal.due[0], dueOn: this.schedule.localDay(now) }
            : info.fiscal.next
          : null,
      },
      warnings,
      destinations: this.destinations.all().map((d) => {
        const down = unavailable.find((u) => u.destination === d.name);
        return {
          name: d.name,
          kind: d.kind,
          location: d.location,
          backups: down ? null : backups.filter((b) => b.destination === d.name).length,
          error: down ? down.message : null,
        };
      }),
      encryption: {
        recipients: config.encryption.recipients.length,
        passphrase: config.encryption.passphraseFile !== null,
      },
      cloud,
      fiscal,
    };
  }
}
