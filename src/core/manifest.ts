// The archive's self-description, as pure data: the header stored inside
// every archive, the SHA256SUMS entry list, the sidecar that lets a
// destination list backups without opening archives, and archive names.
// docs/FORMAT.md is the human-readable version of this file; keep both in step.

import { CoffreError } from './errors.js';

export const FORMAT_NAME = 'coffre-archive';
export const FORMAT_VERSION = 1;

export const ORIGINS = ['manual', 'automatic', 'pre-operation', 'safety'] as const;
export type Origin = (typeof ORIGINS)[number];

/** The longest note a backup keeps in its header (every list shows it). */
export const MAX_NOTE = 500;

export function checkNote(note: string | null | undefined): void {
  if (note && note.length > MAX_NOTE) {
    throw new CoffreError(
      'USAGE',
      `A backup's note is ${MAX_NOTE} characters at most (this one has ${note.length}).`,
      { details: { field: 'note' } },
    );
  }
}

/** Paths inside the tar stream. */
export const ENTRY = {
  filesDir: 'files/',
  settingsDir: 'settings/',
  databaseDir: 'database/',
  header: 'coffre/header.json',
  sums: 'coffre/SHA256SUMS',
  signature: 'coffre/SHA256SUMS.sig',
  publicKey: 'coffre/register.pub.pem',
} as const;

export interface SectionSummary {
  name: string;
  label: string;
  /** Rows per table in this section. */
  tables: Record<string, number>;
  /** Files of the app's files folder, when the section holds them. */
  files?: number;
  /** Whether the settings file belongs to this section. */
  settings?: boolean;
}

export interface EncryptionInfo {
  encrypted: boolean;
  /** 'age' with X25519 recipients and/or a scrypt passphrase. */
  method: 'age-x25519' | 'age-scrypt' | null;
  recipients: string[];
}

export interface ArchiveHeader {
  format: typeof FORMAT_NAME;
  formatVersion: number;
  /** The backup's id, also the archive's base name. */
  id: string;
  createdAt: string;
  origin: Origin;
  note: string | null;
  register: {
    id: string;
    name: string;
    /** Ed25519 public key, raw 32 bytes in base64. */
    publicKey: string;
    keyFingerprint: string;
  };
  app: {
    profile: string;
    version: string | null;
    /** The database's PRAGMA user_version. */
    schemaVersion: number;
  };
  coffre: { version: string };
  database: {
    entry: string;
    bytes: number;
    pageSize: number;
    /** SQLCipher-encrypted source: the snapshot keeps that encryption. */
    sourceEncrypted: boolean;
    tables: Record<string, number>;
  };
  files: { label: string; count: number; bytes: number };
  settings: { entry: string; bytes: number } | null;
  sections: SectionSummary[];
  encryption: EncryptionInfo;
}

/** What a destination stores next to an archive (or as object metadata). */
export interface Sidecar {
  sidecarVersion: 1;
  archive: string;
  size: number;
  /** SHA-256 of the whole archive file: the integrity fingerprint. */
  sha256: string;
  /** Ed25519 signature (base64) of `fingerprintMessage(archive, sha256)`. */
  fingerprintSignature: string;
  header: ArchiveHeader;
  /**
   * The content check made while the archive was written (docs/VERIFY.md):
   * present only when one was made and passed.
   */
  contentCheck?: ContentCheckRecord;
}

/**
 * What the register checked while it wrote an archive it cannot read back
 * later (encrypted to a key it does not hold): the plaintext stream decoded,
 * every entry against SHA256SUMS, and SQLite's integrity check of the
 * snapshot. Signed with the fingerprint, so it speaks of exactly those bytes.
 */
export interface ContentCheckRecord {
  /** When the check ended (ISO 8601). */
  at: string;
  /** Entries read back, each matching SHA256SUMS. */
  entries: number;
  /** SQLite's integrity_check of the database snapshot: 'ok'. */
  integrity: string;
  /** Ed25519 signature (base64) of `contentCheckMessage(archive, sha256, record)`. */
  signature: string;
}

export function fingerprintMessage(archive: string, sha256: string): Buffer {
  return Buffer.from(`coffre-archive-sha256 ${archive} ${sha256}\n`);
}

export function contentCheckMessage(
  archive: string,
  sha256: string,
  check: Omit<ContentCheckRecord, 'signature'>,
): Buffer {
  return Buffer.from(
    `coffre-content-check ${archive} ${sha256} ${check.at} entries=${check.entries} integrity=${check.integrity}\n`,
  );
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r' };
const UNESCAPES: Record<string, string> = { '\\\\': '\\', '\\n': '\n', '\\r': '\r' };

/**
 * `sha256sum -c` compatible text. Paths are archive entry names. A name with
 * a backslash, a newline or a carriage return is escaped as GNU sha256sum
 * escapes it: the line starts with a backslash, and the name has `\\`,
 * `\n` and `\r` in their place.
 */
export function formatSums(sums: ReadonlyArray<{ name: string; sha256: string }>): string {
  return sums
    .map((s) =>
      /[\\\n\r]/.test(s.name)
        ? `\\${s.sha256}  ${s.name.replace(/[\\\n\r]/g, (c) => ESCAPES[c])}\n`
        : `${s.sha256}  ${s.name}\n`,
    )
    .join('');
}

export function parseSums(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    // `s`: a name may hold any character but a newline (U+2028 included).
    const match = /^(\\?)([0-9a-f]{64}) [ *](.+)$/s.exec(line);
    // An escaped line: every backslash starts one of the escapes sha256sum writes.
    if (!match || (match[1] === '\\' && !/^(?:[^\\]|\\[\\nr])*$/s.test(match[3]))) {
      throw new CoffreError('CORRUPT_ARCHIVE', 'The entry list (SHA256SUMS) has a malformed line.');
    }
    const name = match[1] === '\\' ? match[3].replace(/\\[\\nr]/g, (e) => UNESCAPES[e]) : match[3];
    out.set(name, match[2]);
  }
  return out;
}

export function archiveExtension(encrypted: boolean): string {
  return encrypted ? '.tar.zst.age' : '.tar.zst';
}

export const SIDECAR_SUFFIX = '.coffre.json';

/** Lower-case ASCII letters, digits and dashes: safe in every file system. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32);
  return slug === '' ? 'register' : slug;
}

/**
 * A backup id: `<register-slug>_<UTC date>-<time>-<ms>_<register id prefix>`.
 * Sorting ids of one register sorts them by time; the register id prefix
 * keeps registers sharing a folder apart.
 */
export function backupId(registerName: string, registerId: string, at: Date): string {
  const iso = at.toISOString(); // 2026-11-22T14:00:00.123Z
  const stamp = `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}-${iso.slice(20, 23)}`;
  return `${slugify(registerName)}_${stamp}_${registerId.slice(0, 8)}`;
}

const ID_PATTERN = /^[a-z0-9-]{1,32}_\d{8}-\d{6}-\d{3}_[0-9a-f]{8}$/;

export function isBackupId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** Reads an archive file name back into its id and encryption state. */
export function parseArchiveName(file: string): { id: string; encrypted: boolean } | null {
  for (const encrypted of [true, false]) {
    const ext = archiveExtension(encrypted);
    if (file.endsWith(ext)) {
      const id = file.slice(0, -ext.length);
      return isBackupId(id) ? { id, encrypted } : null;
    }
  }
  return null;
}

/** Checks the parts of a header a reader relies on; throws CORRUPT/UNSUPPORTED. */
export function checkHeader(value: unknown): ArchiveHeader {
  const h = value as Partial<ArchiveHeader> | null;
  if (!h || typeof h !== 'object' || h.format !== FORMAT_NAME) {
    throw new CoffreError('CORRUPT_ARCHIVE', 'The archive header is not a Coffre header.');
  }
  if (typeof h.formatVersion !== 'number' || h.formatVersion > FORMAT_VERSION) {
    throw new CoffreError(
      'UNSUPPORTED_FORMAT',
      `The archive uses format version ${String(h.formatVersion)}; this Coffre reads up to version ${FORMAT_VERSION}.`,
    );
  }
  if (
    typeof h.id !== 'string' ||
    typeof h.register?.publicKey !== 'string' ||
    typeof h.database?.entry !== 'string' ||
    !Array.isArray(h.sections)
  ) {
    throw new CoffreError('CORRUPT_ARCHIVE', 'The archive header is incomplete.');
  }
  return h as ArchiveHeader;
}
