// The home's small state database: the history of every job (backups,
// verifications), which `status` and later `history` read.

import type { Progress } from '../core/progress.js';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { CoffreError } from '../core/errors.js';
import { diskFullAt, homeDiskFull } from './disk.js';
import { USERS_SCHEMA, UserStore } from './users.js';

export interface JobRecord {
  id: number;
  kind: string;
  startedAt: string;
  endedAt: string | null;
  result: 'running' | 'ok' | 'partial' | 'failed';
  backupId: string | null;
  destinations: string[];
  bytes: number | null;
  sha256: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  /** What started it: manual, schedule, on-close, guard. */
  trigger: string;
  /** For verifications: the level reached (fingerprint, full, deep). */
  detail: string | null;
}

/** A running job's progress as stored: phase, how far, time left, when, which process. */
export type JobProgressRow = Progress & {
  jobId: number;
  kind: string;
  at: string;
  pid: number;
};

interface JobRow {
  id: number;
  kind: string;
  started_at: string;
  ended_at: string | null;
  result: JobRecord['result'];
  backup_id: string | null;
  destinations: string;
  bytes: number | null;
  sha256: string | null;
  error_code: string | null;
  error_message: string | null;
  trigger: string;
  detail: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  result TEXT NOT NULL,
  backup_id TEXT,
  destinations TEXT NOT NULL DEFAULT '[]',
  bytes INTEGER,
  sha256 TEXT,
  error_code TEXT,
  error_message TEXT
);
CREATE INDEX IF NOT EXISTS jobs_started ON jobs(started_at);
`;

/** Schema changes, in order; user_version counts how many have been applied. */
const MIGRATIONS = [
  '', // 1: the jobs table above
  "ALTER TABLE jobs ADD COLUMN trigger TEXT NOT NULL DEFAULT 'manual'; ALTER TABLE jobs ADD COLUMN detail TEXT;",
  // 3: Coffre's users, sessions and failed sign-ins; a running job's progress for other processes.
  USERS_SCHEMA + 'ALTER TABLE jobs ADD COLUMN progress TEXT;',
  // 4: what a long check covered, so the next one starts from there (the fiscal audit in status)
  'CREATE TABLE checkpoints (key TEXT PRIMARY KEY, value TEXT NOT NULL, at TEXT NOT NULL);',
];

export class StateDb {
  private readonly db: Database.Database;
  private readonly home: string;
  /** Coffre's users, their sessions and failed sign-ins. */
  readonly users: UserStore;

  constructor(file: string) {
    this.home = path.dirname(file);
    let db: Database.Database | undefined;
    try {
      db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA);
      const version = db.pragma('user_version', { simple: true }) as number;
      for (let v = Math.max(version, 1); v < MIGRATIONS.length; v++) {
        const open = db;
        open.transaction(() => {
          open.exec(MIGRATIONS[v]);
          open.pragma(`user_version = ${v + 1}`);
        })();
      }
    } catch (err) {
      db?.close();
      throw this.failure(err, 'opening the state database');
    }
    this.db = db;
    this.users = new UserStore(db);
  }

  /** A failure of the state database as the error a user can act on. */
  private failure(err: unknown, doing: string): unknown {
    if (diskFullAt(err, this.home)) return homeDiskFull(this.home, doing, err);
    const code = (err as { code?: unknown }).code;
    if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM') {
      return new CoffreError(
        'HOME_UNAVAILABLE',
        `The Coffre home ${this.home} cannot be written by this user: ${doing} failed (${(err as Error).message}).`,
        { cause: err, details: { home: this.home } },
      );
    }
    return err;
  }

  /** Runs a write; a full disk or a read-only home becomes a CoffreError. */
  private write<T>(doing: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw this.failure(err, doing);
    }
  }

  startJob(
    kind: string,
    at: Date,
    destinations: string[],
    options: { trigger?: string; backupId?: string } = {},
  ): number {
    const info = this.write('recording the job in the history', () =>
      this.db
        .prepare(
          'INSERT INTO jobs (kind, started_at, result, destinations, trigger, backup_id) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(
          kind,
          at.toISOString(),
          'running',
          JSON.stringify(destinations),
          options.trigger ?? 'manual',
          options.backupId ?? null,
        ),
    );
    return Number(info.lastInsertRowid);
  }

  /** A checkpoint kept by a service (JSON text), or null. */
  checkpoint(key: string): { value: string; at: string } | null {
    return (
      (this.db.prepare('SELECT value, at FROM checkpoints WHERE key = ?').get(key) as
        { value: string; at: string } | undefined) ?? null
    );
  }

  setCheckpoint(key: string, value: string, at: Date): void {
    this.write('keeping a checkpoint', () =>
      this.db
        .prepare('INSERT OR REPLACE INTO checkpoints (key, value, at) VALUES (?, ?, ?)')
        .run(key, value, at.toISOString()),
    );
  }

  /** The most recent job of a kind (and trigger), whatever its result. */
  lastJob(kind: string, trigger?: string): JobRecord | null {
    const row = (
      trigger
        ? this.db
            .prepare(
              'SELECT * FROM jobs WHERE kind = ? AND trigger = ? ORDER BY started_at DESC, id DESC LIMIT 1',
            )
            .get(kind, trigger)
        : this.db
            .prepare('SELECT * FROM jobs WHERE kind = ? ORDER BY started_at DESC, id DESC LIMIT 1')
            .get(kind)
    ) as JobRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** The latest verification result of each backup id. */
  verifications(): Map<string, { result: 'passed' | 'failed'; level: string | null; at: string }> {
    const rows = this.db
      .prepare(
        "SELECT backup_id, result, detail, started_at FROM jobs WHERE kind = 'verify' AND backup_id IS NOT NULL AND result IN ('ok', 'failed') ORDER BY started_at, id",
      )
      .all() as { backup_id: string; result: string; detail: string | null; started_at: string }[];
    const out = new Map<
      string,
      { result: 'passed' | 'failed'; level: string | null; at: string }
    >();
    for (const r of rows) {
      out.set(r.backup_id, {
        result: r.result === 'ok' ? 'passed' : 'failed',
        level: r.detail,
        at: r.started_at,
      });
    }
    return out;
  }

  setDetail(id: number, detail: string): void {
    this.write('recording the job in the history', () =>
      this.db.prepare('UPDATE jobs SET detail = ? WHERE id = ?').run(detail, id),
    );
  }

  finishJob(
    id: number,
    at: Date,
    outcome:
      | {
          /** partial: a backup that some destinations did not get. */
          result: 'ok' | 'partial';
          backupId?: string;
          bytes?: number;
          sha256?: string;
          /** A backup that some destinations did not get: why, kept with the success. */
          errorCode?: string;
          errorMessage?: string;
        }
      | { result: 'failed'; errorCode: string; errorMessage: string },
  ): void {
    this.write('recording the end of the job in the history', () => {
      if (outcome.result === 'ok' || outcome.result === 'partial') {
        this.db
          .prepare(
            'UPDATE jobs SET ended_at = ?, result = ?, backup_id = ?, bytes = ?, sha256 = ?, error_code = ?, error_message = ? WHERE id = ?',
          )
          .run(
            at.toISOString(),
            outcome.result,
            outcome.backupId ?? null,
            outcome.bytes ?? null,
            outcome.sha256 ?? null,
            outcome.errorCode ?? null,
            outcome.errorMessage ?? null,
            id,
          );
      } else {
        this.db
          .prepare(
            'UPDATE jobs SET ended_at = ?, result = ?, error_code = ?, error_message = ? WHERE id = ?',
          )
          .run(at.toISOString(), 'failed', outcome.errorCode, outcome.errorMessage, id);
      }
    });
  }

  /**
   * Backups and restores left 'running' by a killed process are marked
   * failed. Only the holder of the job lock may call this: no other backup or
   * restore can be running then. (Verifications run without the lock.)
   */
  closeAbandonedJobs(at: Date): number {
    // A restore whose history says it took effect (its database committed)
    // succeeded, even if its process died afterwards (e.g. in the
    // after-restore hook); a backup killed after a destination committed it
    // exists there: partial.
    return this.write(
      'closing interrupted jobs in the history',
      () =>
        this.db
          .prepare(
            "UPDATE jobs SET ended_at = ?, result = 'ok' WHERE result = 'running' AND kind = 'restore' AND json_valid(detail) AND json_extract(detail, '$.applied') = 1",
          )
          .run(at.toISOString()).changes +
        this.db
          .prepare(
            "UPDATE jobs SET ended_at = ?, result = 'partial', error_code = 'INTERNAL', error_message = 'The job was interrupted (process ended) after the backup was saved to some destinations; the others did not get it.' WHERE result = 'running' AND kind = 'backup' AND backup_id IS NOT NULL",
          )
          .run(at.toISOString()).changes +
        this.db
          .prepare(
            "UPDATE jobs SET ended_at = ?, result = 'failed', error_code = 'INTERNAL', error_message = 'The job was interrupted (process ended).' WHERE result = 'running' AND kind IN ('backup', 'restore')",
          )
          .run(at.toISOString()).changes,
    );
  }

  /**
   * A destination committed a running backup: its id, size and fingerprint,
   * and the destinations that have it so far (the job's detail), so that a
   * job killed before the others still names the backup it made.
   */
  recordCommitted(
    id: number,
    commit: { backupId: string; bytes: number; sha256: string; committed: string[] },
  ): void {
    this.db
      .prepare('UPDATE jobs SET backup_id = ?, bytes = ?, sha256 = ?, detail = ? WHERE id = ?')
      .run(
        commit.backupId,
        commit.bytes,
        commit.sha256,
        JSON.stringify({ committed: commit.committed }),
        id,
      );
  }

  /** The archive size of the last backup that succeeded: the best guess of the next one's. */
  lastBackupBytes(): number | null {
    const row = this.db
      .prepare(
        "SELECT bytes FROM jobs WHERE kind = 'backup' AND result IN ('ok', 'partial') AND bytes IS NOT NULL ORDER BY id DESC LIMIT 1",
      )
      .get() as { bytes: number } | undefined;
    return row?.bytes ?? null;
  }

  /** A running job's last progress (JSON), for other processes' live feeds. */
  setProgress(id: number, progress: string): void {
    this.db
      .prepare("UPDATE jobs SET progress = ? WHERE id = ? AND result = 'running'")
      .run(progress, id);
  }

  /** Jobs marked running, with their last progress. */
  runningJobs(): (JobRecord & { progress: JobProgressRow | null })[] {
    const rows = this.db
      .prepare("SELECT * FROM jobs WHERE result = 'running' ORDER BY id")
      .all() as (JobRow & { progress: string | null })[];
    return rows.map((r) => ({
      ...toRecord(r),
      progress: r.progress ? (JSON.parse(r.progress) as JobProgressRow) : null,
    }));
  }

  job(id: number): JobRecord | null {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row ? toRecord(row) : null;
  }

  jobs(limit = 50, kind?: string): JobRecord[] {
    const rows = (
      kind
        ? this.db
            .prepare('SELECT * FROM jobs WHERE kind = ? ORDER BY id DESC LIMIT ?')
            .all(kind, limit)
        : this.db.prepare('SELECT * FROM jobs ORDER BY id DESC LIMIT ?').all(limit)
    ) as JobRow[];
    return rows.map(toRecord);
  }

  close(): void {
    this.db.close();
  }
}

function toRecord(r: JobRow): JobRecord {
  return {
    id: r.id,
    kind: r.kind,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    result: r.result,
    backupId: r.backup_id,
    destinations: JSON.parse(r.destinations) as string[],
    bytes: r.bytes,
    sha256: r.sha256,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    trigger: r.trigger,
    detail: r.detail,
  };
}
