// Opening the protected app's SQLite database, plain or SQLCipher-encrypted,
// and reading what an archive header records about it.

import fs from 'node:fs';
import Database from 'better-sqlite3-multiple-ciphers';
import { CoffreError } from '../core/errors.js';
import type { ProfileReading } from '../core/profiles.js';
import { readProfileFacts } from './profile-queries.js';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** Files that are plainly something else, whatever their size. */
const OTHER_MAGICS = [
  Buffer.from('ffd8ff', 'hex'), // JPEG
  Buffer.from('89504e47', 'hex'), // PNG
  Buffer.from('%PDF', 'latin1'),
  Buffer.from('504b0304', 'hex'), // ZIP, and office documents
  Buffer.from('1f8b', 'hex'), // gzip
  Buffer.from('28b52ffd', 'hex'), // zstd
  Buffer.from('age-encryption.org/', 'latin1'),
];

/**
 * Whether the first bytes of a file look like a SQLCipher database: whole
 * pages (a multiple of 512 bytes) of what looks random from the first byte
 * on (the salt, then ciphertext). Text, CSV or an image does not.
 */
function looksEncrypted(head: Buffer, size: number): boolean {
  if (size < 512 || size % 512 !== 0) return false;
  if (OTHER_MAGICS.some((m) => head.subarray(0, m.length).equals(m))) return false;
  const sample = head.subarray(0, 1024);
  // 1 KiB of random bytes holds about 250 of the 256 byte values; text about 60.
  return new Set(sample).size >= 160;
}

/**
 * What a database path holds: an SQLite database (an empty file counts:
 * SQLite makes it one) or a SQLCipher-encrypted one. Throws NOT_A_DATABASE
 * for a folder, a special file or a file that is neither, and
 * SOURCE_UNAVAILABLE when it cannot be read.
 */
export function databaseFileKind(file: string): 'sqlite' | 'encrypted' {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CoffreError(
      'SOURCE_UNAVAILABLE',
      code === 'ENOENT'
        ? `The database ${file} does not exist.`
        : `Cannot read the database ${file}: ${(err as Error).message}.`,
      { cause: err, details: { file } },
    );
  }
  if (stat.isDirectory()) {
    throw new CoffreError('NOT_A_DATABASE', `${file} is a folder, not a database file.`, {
      details: { file },
    });
  }
  if (!stat.isFile()) {
    throw new CoffreError(
      'NOT_A_DATABASE',
      `${file} is not a regular file (a pipe, socket or device), so not a database.`,
      { details: { file } },
    );
  }
  const head = Buffer.alloc(4096);
  let n: number;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      n = fs.readSync(fd, head, 0, head.length, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    throw new CoffreError(
      'SOURCE_UNAVAILABLE',
      `Cannot read the database ${file}: ${(err as Error).message}.`,
      { cause: err, details: { file } },
    );
  }
  if (n === 0 || (n >= 16 && head.subarray(0, 16).equals(SQLITE_MAGIC))) return 'sqlite';
  if (looksEncrypted(head.subarray(0, n), stat.size)) return 'encrypted';
  throw new CoffreError(
    'NOT_A_DATABASE',
    `${file} is not an SQLite database: it does not start as one, and it does not look like an encrypted (SQLCipher) one either.`,
    { details: { file } },
  );
}

/** A database file that does not start with SQLite's magic is encrypted; throws NOT_A_DATABASE when it is not a database at all. */
export function isEncryptedDatabaseFile(file: string): boolean {
  return databaseFileKind(file) === 'encrypted';
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
  // A folder or a file that is not a database is said so, never "encrypted".
  databaseFileKind(file);
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
  /** Rows per table: real rows (tombstoned ones left out) when read with a profile. */
  tables: Record<string, number>;
  /** The profile's schema version (its query), else PRAGMA user_version. */
  schemaVersion: number;
  /** The app's version, when the profile has a query for it and it finds one. */
  appVersion: string | null;
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

export function readFacts(
  db: Database.Database,
  reading: ProfileReading = { tombstones: {}, schemaVersionQuery: null, appVersionQuery: null },
): DatabaseFacts {
  const facts = readProfileFacts(db, userTables(db), reading);
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pageCount = db.pragma('page_count', { simple: true }) as number;
  return {
    ...facts,
    pageSize,
    bytes: pageSize * pageCount,
  };
}

/**
 * The message of a SQLite error that reports a damaged database (a page
 * damaged badly enough makes SQLite stop a check, or an open, with an error),
 * or null for any other error.
 */
export function damageReported(err: unknown): string | null {
  const codes = [
    (err as { code?: unknown }).code,
    (err as { cause?: { code?: unknown } }).cause?.code,
  ];
  return codes.some((c) => typeof c === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(c))
    ? (err as Error).message
    : null;
}

/** integrity_check (or `pragma`, one of its parts) of an open database: 'ok', or what it found. */
export function integrityOf(db: Database.Database, pragma = 'PRAGMA integrity_check'): string {
  try {
    return (db.prepare(pragma).pluck().all() as string[]).join('; ');
  } catch (err) {
    const damage = damageReported(err);
    if (damage !== null) return damage;
    throw err;
  }
}
