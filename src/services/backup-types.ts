// What a backup takes and what it gives back (BackupService in backup.ts).

import type { Origin } from '../core/manifest.js';
import type { Progress } from '../core/progress.js';
import type { Warning } from '../core/warnings.js';

export interface BackupOptions {
  /** Destination names; the config's defaults when empty. */
  to?: string[];
  /** age recipients for this backup, instead of the config's. */
  recipients?: string[];
  /** A passphrase for this backup, instead of the config's. */
  passphrase?: string | null;
  origin?: Origin;
  note?: string | null;
  now?: Date;
  /** What started it, kept in the history: manual, schedule, on-close, guard. */
  trigger?: string;
  /** Apply each destination's retention after the backup (default true). */
  applyRetention?: boolean;
  /** A missing files folder or settings file counts as empty (the safety backup of a restore). */
  allowMissingSources?: boolean;
  /** Send this backup to cloud destinations even if it is not encrypted. */
  allowUnencrypted?: boolean;
  /** zstd level for this backup instead of the config's, or 'store' (the safety backup of a restore). */
  compressionLevel?: number | 'store';
  /**
   * The app is stopped (the safety backup of a restore): a plain database,
   * in either journal mode, is read in place after its WAL is emptied, held
   * still by a read transaction. Falls back to a copy when the WAL cannot be
   * emptied. (Without it, only a WAL database backed up to local disks is
   * read in place, held between two of the app's commits.)
   */
  snapshotInPlace?: boolean;
  /**
   * Called once the database's state for this backup is secured (held in
   * place, or copied): the restore then starts its page copy into the WAL.
   */
  onSnapshotSecured?: () => void;
  /**
   * The register id and name the backup is made under, instead of the
   * current ones (still signed with this installation's own key): the safety
   * backup before an adoption belongs to the register being adopted, so that
   * it stays listed, and undoable, once the adoption took effect.
   */
  asRegister?: { id: string; name: string };
  /**
   * Check the content while the archive is written and record it, signed, in
   * its sidecar (docs/VERIFY.md): for backups this register cannot decrypt.
   * Default: the config's `encryption.checkAtWrite`, for an encrypted backup.
   */
  checkContent?: boolean;
  onProgress?: (p: Progress) => void;
}

export interface BackupResult {
  id: string;
  archive: string;
  registerName: string;
  destinations: { name: string; location: string }[];
  size: number;
  sha256: string;
  encrypted: boolean;
  origin: Origin;
  counts: { tables: Record<string, number>; files: number; sourceBytes: number };
  durationMs: number;
  /** The content check made while writing, when one was made and passed. */
  contentCheck: { at: string; entries: number; integrity: string } | null;
  warnings: Warning[];
  /** Backups that retention removed, before this one (to fit a quota) or after it. */
  pruned: { destination: string; id: string }[];
  /**
   * Destinations that did not get this backup, and why. The backup exists in
   * the others; it fails as a whole only when no destination got it.
   */
  failed: {
    destination: string;
    code: string;
    message: string;
    details: Readonly<Record<string, unknown>>;
  }[];
}
