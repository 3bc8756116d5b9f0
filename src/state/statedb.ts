// The home's small state database: the history of every job (backups,
// verifications), which `status` and later `history` read.

import Database from 'better-sqlite3-multiple-ciphers';

export interface JobRecord {
  id: number;
  kind: string;
  startedAt: string;
  endedAt: string | null;
  result: 'running' | 'ok' | 'failed';
  backupId: string | null;
  destinations: string[];
  bytes: number | null;
  sha256: string | null;
  errorCode: string | null;
  errorMessage: string | null;
}

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

export class StateDb {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.db.pragma('user_version = 1');
  }

  startJob(kind: string, at: Date, destinations: string[]): number {
    const info = this.db
      .prepare('INSERT INTO jobs (kind, started_at, result, destinations) VALUES (?, ?, ?, ?)')
      .run(kind, at.toISOString(), 'running', JSON.stringify(destinations));
    return Number(info.lastInsertRowid);
  }

  finishJob(
    id: number,
    at: Date,
    outcome:
      | { result: 'ok'; backupId?: string; bytes?: number; sha256?: string }
      | { result: 'failed'; errorCode: string; errorMessage: string },
  ): void {
    if (outcome.result === 'ok') {
      this.db
        .prepare(
          'UPDATE jobs SET ended_at = ?, result = ?, backup_id = ?, bytes = ?, sha256 = ? WHERE id = ?',
        )
        .run(
          at.toISOString(),
          'ok',
          outcome.backupId ?? null,
          outcome.bytes ?? null,
          outcome.sha256 ?? null,
          id,
        );
    } else {
      this.db
        .prepare(
          'UPDATE jobs SET ended_at = ?, result = ?, error_code = ?, error_message = ? WHERE id = ?',
        )
        .run(at.toISOString(), 'failed', outcome.errorCode, outcome.errorMessage, id);
    }
  }

  /** Jobs left 'running' by a killed process are marked failed. */
  closeAbandonedJobs(at: Date): number {
    return this.db
      .prepare(
        "UPDATE jobs SET ended_at = ?, result = 'failed', error_code = 'INTERNAL', error_message = 'The job was interrupted (process ended).' WHERE result = 'running'",
      )
      .run(at.toISOString()).changes;
  }

  jobs(limit = 50, kind?: string): JobRecord[] {
    const rows = (
      kind
        ? this.db
            .prepare('SELECT * FROM jobs WHERE kind = ? ORDER BY id DESC LIMIT ?')
            .all(kind, limit)
        : this.db.prepare('SELECT * FROM jobs ORDER BY id DESC LIMIT ?').all(limit)
    ) as JobRow[];
    return rows.map((r) => ({
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
    }));
  }

  close(): void {
    this.db.close();
  }
}
