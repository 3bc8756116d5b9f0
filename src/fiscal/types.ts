// The fiscal service's public shapes: what its methods take and return.

import type Database from 'better-sqlite3-multiple-ciphers';
import type { FecRecipe } from '../core/fiscal/fec.js';
import type { Period } from '../core/fiscal/period.js';
import type { FiscalRecipe } from '../core/fiscal/recipe.js';
import type { Destination } from '../destinations/types.js';
import type { Identity } from '../state/identity.js';

/**
 * What the fiscal service receives: only what it uses (the app's recipe, a
 * way to open the live database and a backup's copy of it, the fiscal areas
 * of the destinations, the register's identity for signing, the encryption
 * to use, a clock, the home files it keeps).
 */
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
  /**
   * The live database's file and key, for a live audit in a worker thread
   * (it reads every record); without it the audit runs on the caller's thread.
   */
  sourceFile?(): { file: string; key: string | null };
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
  /** Where the last audit of the live records stopped (JSON), kept in the state database. */
  checkpoint: { get(): string | null; set(value: string): void };
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

/** The fiscal audit's result in a register's status. */
export interface FiscalSummary {
  ok: boolean;
  records: number | null;
  lastArchive: string | null;
  findings: string[];
  error: { code: string; message: string } | null;
  /** How many records this look hashed: only those since the last audit, when it still holds. */
  hashed: number | null;
  /** When the whole chain was last checked (`fiscal audit`, a fiscal archive); null: never. */
  fullAuditAt: string | null;
}
