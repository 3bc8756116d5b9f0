// Coffre's own users, their server-side sessions and failed sign-ins, in the
// state database (tables made by statedb.ts's migrations). Rows only: the
// rules (hashing, timeouts, throttling) are the users service's. A session
// is stored by the SHA-256 of its id, never the id itself.

import type Database from 'better-sqlite3-multiple-ciphers';

export interface UserRow {
  name: string;
  /** scrypt$N$r$p$salt$hash (base64). */
  password: string;
  rights: string[];
  createdAt: string;
  changedAt: string;
}

export interface SessionRow {
  idHash: string;
  user: string;
  csrf: string;
  createdAt: string;
  lastSeen: string;
}

export const USERS_SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY COLLATE NOCASE,
  password TEXT NOT NULL,
  rights TEXT NOT NULL DEFAULT '[]',
  created_at TEXT NOT NULL,
  changed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
  id_hash TEXT PRIMARY KEY,
  user TEXT NOT NULL COLLATE NOCASE,
  csrf TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_seen TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user);
CREATE TABLE IF NOT EXISTS login_failures (
  key TEXT PRIMARY KEY,
  count INTEGER NOT NULL,
  last_at TEXT NOT NULL
);
`;

interface RawUser {
  name: string;
  password: string;
  rights: string;
  created_at: string;
  changed_at: string;
}

export class UserStore {
  constructor(private readonly db: Database.Database) {}

  get(name: string): UserRow | null {
    const r = this.db.prepare('SELECT * FROM users WHERE name = ?').get(name) as
      RawUser | undefined;
    return r ? toUser(r) : null;
  }

  list(): UserRow[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY name').all() as RawUser[]).map(toUser);
  }

  insert(row: UserRow): boolean {
    const info = this.db
      .prepare(
        'INSERT OR IGNORE INTO users (name, password, rights, created_at, changed_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(row.name, row.password, JSON.stringify(row.rights), row.createdAt, row.changedAt);
    return info.changes === 1;
  }

  /** Changes a user's password or rights and ends all their sessions, in one transaction. */
  update(name: string, patch: { password?: string; rights?: string[] }, at: string): boolean {
    return this.db.transaction(() => {
      const info = this.db
        .prepare(
          'UPDATE users SET password = coalesce(?, password), rights = coalesce(?, rights), changed_at = ? WHERE name = ?',
        )
        .run(patch.password ?? null, patch.rights ? JSON.stringify(patch.rights) : null, at, name);
      this.db.prepare('DELETE FROM sessions WHERE user = ?').run(name);
      return info.changes === 1;
    })();
  }

  /** Removes a user and their sessions. */
  delete(name: string): boolean {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM sessions WHERE user = ?').run(name);
      return this.db.prepare('DELETE FROM users WHERE name = ?').run(name).changes === 1;
    })();
  }

  insertSession(row: SessionRow): void {
    this.db
      .prepare(
        'INSERT INTO sessions (id_hash, user, csrf, created_at, last_seen) VALUES (?, ?, ?, ?, ?)',
      )
      .run(row.idHash, row.user, row.csrf, row.createdAt, row.lastSeen);
  }

  session(idHash: string): SessionRow | null {
    const r = this.db.prepare('SELECT * FROM sessions WHERE id_hash = ?').get(idHash) as
      | { id_hash: string; user: string; csrf: string; created_at: string; last_seen: string }
      | undefined;
    return r
      ? {
          idHash: r.id_hash,
          user: r.user,
          csrf: r.csrf,
          createdAt: r.created_at,
          lastSeen: r.last_seen,
        }
      : null;
  }

  touchSession(idHash: string, at: string): void {
    this.db.prepare('UPDATE sessions SET last_seen = ? WHERE id_hash = ?').run(at, idHash);
  }

  deleteSession(idHash: string): void {
    this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(idHash);
  }

  /** Sessions idle since before `idleBefore` or made before `createdBefore`. */
  deleteExpiredSessions(idleBefore: string, createdBefore: string): number {
    return this.db
      .prepare('DELETE FROM sessions WHERE last_seen < ? OR created_at < ?')
      .run(idleBefore, createdBefore).changes;
  }

  sessionCount(user: string): number {
    return (
      this.db.prepare('SELECT count(*) AS n FROM sessions WHERE user = ?').get(user) as {
        n: number;
      }
    ).n;
  }

  failures(key: string): { count: number; lastAt: string } | null {
    const r = this.db
      .prepare('SELECT count, last_at FROM login_failures WHERE key = ?')
      .get(key) as { count: number; last_at: string } | undefined;
    return r ? { count: r.count, lastAt: r.last_at } : null;
  }

  setFailures(key: string, count: number, at: string): void {
    this.db
      .prepare(
        'INSERT INTO login_failures (key, count, last_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET count = excluded.count, last_at = excluded.last_at',
      )
      .run(key, count, at);
  }

  clearFailures(key: string): void {
    this.db.prepare('DELETE FROM login_failures WHERE key = ?').run(key);
  }
}

function toUser(r: RawUser): UserRow {
  return {
    name: r.name,
    password: r.password,
    rights: JSON.parse(r.rights) as string[],
    createdAt: r.created_at,
    changedAt: r.changed_at,
  };
}
