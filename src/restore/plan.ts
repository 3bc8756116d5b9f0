// Pure: what a restore will do, in the user's words. Which sections it takes
// from the backup, rows now against rows in the backup, and above all what
// will be lost (the sales recorded after the backup was taken).

import { CoffreError } from '../core/errors.js';
import type { ArchiveHeader, EncryptionInfo, SectionSummary } from '../core/manifest.js';
import type { FiscalRewind } from '../core/fiscal/rewind.js';
import { OTHER_SECTION } from '../core/sections.js';

export interface Selection {
  /** Every table, the files and the settings: the database is replaced whole. */
  full: boolean;
  sections: SectionSummary[];
  tables: string[];
  files: boolean;
  settings: boolean;
}

/**
 * Resolves the requested sections against the backup's sections. No list at
 * all means a full restore; an empty list (an empty shell variable, a stray
 * comma) names nothing and is refused: read as "everything", it would
 * replace the sales recorded since the backup.
 */
export function selectSections(header: ArchiveHeader, requested?: readonly string[]): Selection {
  const all = header.sections;
  if (requested !== undefined && requested.length === 0) {
    throw new CoffreError(
      'USAGE',
      `No section was named. Name at least one of this backup's sections (${all.map((s) => s.name).join(', ')}), or ask for a full restore by naming none at all.`,
      { details: { sections: all.map((s) => s.name) } },
    );
  }
  if (!requested) {
    return {
      full: true,
      sections: all,
      tables: Object.keys(header.database.tables),
      files: header.files.count > 0 || all.some((s) => s.files !== undefined),
      settings: header.settings !== null,
    };
  }
  const unknown = requested.filter((r) => !all.some((s) => s.name === r));
  if (unknown.length > 0) {
    throw new CoffreError(
      'USAGE',
      `This backup has no section ${unknown.map((u) => `"${u}"`).join(', ')}; its sections are: ${all.map((s) => s.name).join(', ')}.`,
    );
  }
  const sections = all.filter((s) => requested.includes(s.name));
  return {
    full: false,
    sections,
    tables: sections.flatMap((s) => Object.keys(s.tables)),
    files: sections.some((s) => s.files !== undefined),
    settings: sections.some((s) => s.settings === true),
  };
}

export interface Loss {
  table: string;
  /** What its rows are called: the headline's label ("receipts"), else "rows of TABLE". */
  label: string;
  /** The profile's section holding the table, and its label. */
  section: string;
  sectionLabel: string;
  rows: number;
  /** Dates of the first and last row lost, when the table has a date column. */
  from: string | null;
  to: string | null;
}

/** The files folder now against the backup's: what the restore takes away or brings back. */
export interface FileChanges {
  /** Files added since the backup: the restore removes them. */
  added: number;
  /** Files removed since the backup: the restore brings them back. */
  removed: number;
  /** Files changed since the backup: the restore puts the old content back. */
  changed: number;
  /** A few paths of each kind, sorted. */
  examples: { added: string[]; removed: string[]; changed: string[] };
}

/**
 * What an adoption does with encryption. A backup never carries a secret,
 * but an archive encrypted to age recipients names their public keys: new
 * backups can go on being encrypted to them (the secret key the owner
 * already keeps opens them), which is what happens unless declined.
 */
export interface AdoptedEncryption {
  /** How the adopted register's backup was encrypted (its header). */
  archive: { method: EncryptionInfo['method']; recipients: string[] };
  /**
   * New backups after the adoption: kept-recipients (encrypted to the
   * archive's recipients), own-setting (this installation's encryption stays),
   * set-passphrase (the archive used a passphrase, which must be set again),
   * unencrypted.
   */
  after: 'kept-recipients' | 'own-setting' | 'set-passphrase' | 'unencrypted';
  /** The recipients new backups will be encrypted to. */
  recipients: string[];
}

/** Pure: decides what an adoption does with encryption (see AdoptedEncryption). */
export function adoptedEncryption(
  archive: EncryptionInfo,
  current: { recipients: string[]; passphrase: boolean },
  keep: boolean,
  isRecipient: (r: string) => boolean,
): AdoptedEncryption {
  const recipients = archive.method === 'age-x25519' ? archive.recipients : [];
  const base = { archive: { method: archive.method, recipients: archive.recipients } };
  if (current.recipients.length > 0 || current.passphrase) {
    return { ...base, after: 'own-setting', recipients: current.recipients };
  }
  if (keep && recipients.length > 0 && recipients.every(isRecipient)) {
    return { ...base, after: 'kept-recipients', recipients };
  }
  if (archive.method === 'age-scrypt') return { ...base, after: 'set-passphrase', recipients: [] };
  return { ...base, after: 'unencrypted', recipients: [] };
}

function encryptionNote(e: AdoptedEncryption): string | null {
  switch (e.after) {
    case 'kept-recipients':
      return `New backups will be encrypted to the same ${e.recipients.length} age recipient(s) as this register's backups were (${e.recipients.join(', ')}): the secret key that opened this backup opens them.`;
    case 'set-passphrase':
      return "This register's backups were encrypted with a passphrase, which a backup does not carry: set it on this installation before its next backup, or new backups will not be encrypted (and cloud destinations will refuse them).";
    case 'unencrypted':
      return e.archive.method === null
        ? null
        : "This register's backups were encrypted, and new backups on this installation will not be: set up encryption before the next backup (cloud destinations refuse unencrypted backups).";
    case 'own-setting':
      return null;
  }
}

export interface RestorePlan {
  backupId: string;
  createdAt: string;
  origin: string;
  full: boolean;
  sections: {
    name: string;
    label: string;
    tables: { name: string; now: number | null; backup: number }[];
    files: { now: number; backup: number } | null;
    settings: boolean;
  }[];
  /** Rows of every replaced table that the backup does not have, headline first, then by section. */
  losses: Loss[];
  /** The files folder against the backup's, when the restore replaces it. */
  fileChanges: FileChanges | null;
  /** Things to know before confirming: a migration, an adoption. */
  notes: string[];
  adopt: {
    registerId: string;
    registerName: string;
    keyFingerprint: string;
    encryption: AdoptedEncryption;
    /**
     * The installation holds data of its own (rows beyond a fresh install's,
     * by table): the adoption replaces it, which needs an explicit consent.
     */
    replacesData: Record<string, number> | null;
  } | null;
  schema: { backup: number; current: number };
  /** What the profile says about the app around a restore. */
  app: {
    /** The app must be closed while the restore runs. */
    mustClose: boolean;
    /** After the restore: its sync state is reset, and what the user must do. */
    syncReset: string | null;
  };
  /**
   * The fiscal records this restore takes out of the register's chain (the
   * live ones beyond the backup's last numbers), and the plan's sentence:
   * such a restore needs a second confirmation, and writes them to a fiscal
   * archive before anything changes. Null when none.
   */
  fiscalRewind: { rewind: FiscalRewind; message: string } | null;
}

export function buildPlan(input: {
  header: ArchiveHeader;
  selection: Selection;
  currentTables: Record<string, number>;
  currentFiles: number;
  currentSchema: number;
  losses: Loss[];
  fileChanges?: FileChanges | null;
  /** Adopting the backup's register: the fingerprint of the key that really signed it. */
  adopt: {
    keyFingerprint: string;
    encryption: AdoptedEncryption;
    replacesData?: Record<string, number> | null;
  } | null;
  app?: RestorePlan['app'];
  fiscalRewind?: RestorePlan['fiscalRewind'];
}): RestorePlan {
  const { header, selection } = input;
  const notes: string[] = [];
  if (header.app.schemaVersion < input.currentSchema) {
    notes.push(
      `The backup's database schema (version ${header.app.schemaVersion}) is older than the app's (version ${input.currentSchema}): the app may need to migrate it when it next starts.`,
    );
  }
  if (input.adopt) {
    notes.push(
      `This installation will take the identity of register "${header.register.name}" (${header.register.id}) and trust the key that signed this backup: its key fingerprint is ${input.adopt.keyFingerprint}. Check that it is your register's key (the old machine's status shows it) before you confirm.`,
    );
    const note = encryptionNote(input.adopt.encryption);
    if (note) notes.push(note);
    const data = input.adopt.replacesData;
    if (data && Object.keys(data).length > 0) {
      notes.push(
        `This installation already holds data of its own (${Object.entries(data)
          .map(([t, n]) => `${n} row(s) in ${t}`)
          .join(', ')}): the adoption replaces it (a safety backup keeps it).`,
      );
    }
  }
  const app = input.app ?? { mustClose: false, syncReset: null };
  if (app.syncReset) notes.push(`After the restore: ${app.syncReset}`);
  if (!selection.full && selection.sections.some((s) => s.name === OTHER_SECTION)) {
    notes.push('The "other" section holds the tables no profile section names.');
  }
  return {
    backupId: header.id,
    createdAt: header.createdAt,
    origin: header.origin,
    full: selection.full,
    sections: selection.sections.map((s) => ({
      name: s.name,
      label: s.label,
      tables: Object.entries(s.tables).map(([name, backup]) => ({
        name,
        now: input.currentTables[name] ?? null,
        backup,
      })),
      files: s.files !== undefined ? { now: input.currentFiles, backup: s.files } : null,
      settings: s.settings === true,
    })),
    losses: input.losses.filter((l) => l.rows > 0),
    fileChanges: input.fileChanges ?? null,
    notes,
    adopt: input.adopt
      ? {
          registerId: header.register.id,
          registerName: header.register.name,
          keyFingerprint: input.adopt.keyFingerprint,
          encryption: input.adopt.encryption,
          replacesData: input.adopt.replacesData ?? null,
        }
      : null,
    schema: { backup: header.app.schemaVersion, current: input.currentSchema },
    app,
    fiscalRewind: input.fiscalRewind ?? null,
  };
}

/** "37 receipts recorded after this backup (2026-11-20 18:02 to 2026-11-21 19:40) will no longer exist." */
export function describeLoss(loss: Loss): string {
  const when =
    loss.from && loss.to
      ? ` (${loss.from.slice(0, 16).replace('T', ' ')} to ${loss.to.slice(0, 16).replace('T', ' ')})`
      : '';
  return `${loss.rows} ${loss.label} recorded after this backup${when} will no longer exist.`;
}

/** "3 files added since this backup will be removed; 1 changed file will get its old content back." */
export function describeFileChanges(c: FileChanges): string | null {
  const parts = [
    c.added > 0 ? `${c.added} file(s) added since this backup will be removed` : null,
    c.changed > 0 ? `${c.changed} file(s) changed since will get their old content back` : null,
    c.removed > 0 ? `${c.removed} file(s) removed since will come back` : null,
  ].filter((p): p is string => p !== null);
  return parts.length > 0 ? `${parts.join('; ')}.` : null;
}
