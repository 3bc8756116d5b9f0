// What a restore is asked (its options) and what it answers (its result).

import type { Warning } from '../core/warnings.js';
import type { Progress } from '../services/backup.js';
import type { KeyOptions } from '../services/verify.js';
import type { IntegrityProof, PhaseTime } from './apply.js';
import type { AfterRestore } from './after.js';
import type { RestorePlan } from './plan.js';

export interface RestoreOptions extends KeyOptions {
  /** Only look in this destination. */
  from?: string;
  /** Section names; none: a full restore. */
  sections?: string[];
  /** On a new installation: take the backup's register identity (a replaced register). */
  adopt?: boolean;
  /**
   * With adopt, on an installation that holds data of its own (beyond the
   * rows a fresh install of the app has): replace that data. An explicit
   * consent, asked of the user in words of their own; the plan says what
   * is there.
   */
  replaceData?: boolean;
  /**
   * When adopting a backup encrypted to age recipients, on an installation
   * without encryption: go on encrypting new backups to them (default true).
   */
  keepEncryption?: boolean;
  /** Sees the plan before anything changes; false cancels. Absent: apply. */
  confirm?: (plan: RestorePlan) => boolean | Promise<boolean>;
  /**
   * The second confirmation, asked only when the restore takes fiscal records
   * out of the chain (`plan.fiscalRewind`); false cancels. Absent then: the
   * restore is refused (USAGE, `details.fiscalRewind`), nothing changed.
   */
  confirmFiscalRewind?: (plan: RestorePlan) => boolean | Promise<boolean>;
  /**
   * A host app that embeds Coffre closes its database (stops its work) here;
   * it runs after the configured before-restore command, and the check that
   * no program has the database open runs after both.
   */
  beforeRestore?: () => void | Promise<void>;
  /** The host app reopens its database here, after the restore or its failure. */
  afterRestore?: (result: 'restored' | 'failed') => void | Promise<void>;
  /** Restore even though another program has the database open (a warning says so). */
  force?: boolean;
  trigger?: string;
  now?: Date;
  onProgress?: (p: Progress) => void;
}

export interface RestoreResult {
  applied: boolean;
  plan: RestorePlan;
  /** The backup taken just before, which `coffre restore --undo` brings back. */
  safetyBackupId: string | null;
  /** The app should restart (or reopen its database) to see the restored data. */
  restartApp: boolean;
  /**
   * How SQLite's integrity check of the restored database was made: on the
   * staged copy, when the archive was written (this register's signed content
   * check, the bytes proven unchanged since), or inside the row copy.
   * Absent when no database existed to replace (the staged copy is renamed in).
   */
  integrity?: IntegrityProof;
  /** How long each step took, in order (seconds): stage, plan, confirm, safety, checks, apply, finish. */
  phases?: PhaseTime[];
  /** An adoption that took effect: the register taken over, its key, and what became of encryption. */
  adopted: RestorePlan['adopt'];
  /** The fiscal archive written first with the records this restore took out of the chain. */
  fiscalArchive?: string | null;
  /** Caches dropped, sync state reset, and what the user must do next (restart the app, sync again). */
  after?: AfterRestore;
  /** E.g. APP_STILL_RUNNING: a forced restore under a program that had the database open. */
  warnings: Warning[];
}

/** A restore that a crash interrupted, finished or rolled back when the center opened. */
export interface RecoveredRestore {
  outcome: 'rolled-forward' | 'rolled-back';
  backupId: string;
}
