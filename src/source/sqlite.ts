// Opening the protected app's SQLite database, plain or SQLCipher-encrypted,
// and reading what an archive header records about it.

import fs from 'node:fs';
import Database from 'better-sqlite3-multiple-ciphers';
import { CoffreError } from '../core/errors.js';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** A database file that does not start with SQLite's magic is encrypted (or not SQLite). */
export function isEncryptedDatabaseFile(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(16);
    const n = fs.readSync(fd, head, 0, 16, 0);
    return n === 16 && !head.equals(SQLITE_MAGIC);
  } finally {
    fs.closeSync(fd);
  }
}

function quote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** SQLCipher 4 defaults, which is what SQLCipher-based apps write. */
export function applyKey(db: Database.Database, key: string): void {
  db.pragma(`cipher = 'sqlcipher'`);
  db.pragma('legacy = 4');
  db.pragma(`key = ${quote(key)}`);
}

export interface OpenOptions {
  key?: string | null;
  readonly?: boolean;
}

export function openDatabase(file: string, options: OpenOptions = {}): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file, { fileMustExist: true, readonly: options.readonly ?? false });
  } catch (err) {
    throw new CoffreError(
      'SOURCE_UNAVAILABLE',
      `Cannot open the database ${file}: ${(err as Error).message}.`,
      {
        cause: err,
        details: { file },
      },
    );
  }
  try {
    if (options.key) applyKey(db, options.key);
    db.pragma('busy_timeout = 10000');
    // Reading the schema fails here, not later, when the key is wrong or missing.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (err) {
    db.close();
    const encrypted = isEncryptedDatabaseFile(file);
    // Why it cannot be read decides what the user should do: wait for
    // another program's lock, give a key, or check the file.
    const locked = (err as { code?: string }).code?.startsWith('SQLITE_BUSY') === true;
    const reason = locked
      ? 'locked'
      : encrypted
        ? options.key
          ? 'wrong-key'
          : 'no-key'
        : 'unreadable';
    throw new CoffreError(
      'SOURCE_UNAVAILABLE',
      locked
        ? `The database ${file} stayed locked by another program for more than 10 seconds.`
        : encrypted
          ? options.key
            ? `The database ${file} is encrypted and the configured key does not open it.`
            : `The database ${file} is encrypted and no key is configured (source.databaseKeyFile).`
          : `${file} is not a readable SQLite database: ${(err as Error).message}.`,
      { cause: err, details: { file, encrypted, reason } },
    );
  }
  return db;
}

export interface DatabaseFacts {
  tables: Record<string, number>;
  schemaVersion: number;
  pageSize: number;
  bytes: number;
}

export function userTables(db: Database.Database): string[] {
  return (
    db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
      )
      .all() as { name: string }[]
  ).map((r) => r.name);
}

export function readFacts(db: Database.Database): DatabaseFacts {
  const tables: Record<string, number> = {};
  for (const name of userTables(db)) {
    const row = db.prepare(`SELECT count(*) AS n FROM "${name.replace(/"/g, '""')}"`).get() as {
      n: number;
    };
    tables[name] = row.n;
  }
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pageCount = db.pragma('page_count', { simple: true }) as number;
  return {
    tables,
    schemaVersion: db.pragma('user_version', { simple: true }) as number,
    pageSize,
    bytes: pageSize * pageCount,
  };
}
