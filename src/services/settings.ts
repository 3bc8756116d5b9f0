// Settings that are not a destination or the schedule: how backups are
// encrypted (including making a key pair and writing its key file), and who
// hears about a failed or stale backup.

import fs from 'node:fs';
import path from 'node:path';
import { generateAgeKeyPair, isAgeRecipient } from '../archive/age.js';
import type { Clock } from '../core/clock.js';
import { CoffreError } from '../core/errors.js';
import type { Config, ConfigStore } from '../state/config.js';
import type { IdentityStore } from '../state/identity.js';
import { readSecretFile } from '../state/secrets.js';
import { isEncryptedDatabaseFile } from '../source/sqlite.js';
import { sendAlert, type AlertEvent } from './alerts.js';
import type { AppSource } from './source.js';

export interface EncryptionSettings {
  recipients: string[];
  passphraseFile: string | null;
  /**
   * Check each encrypted backup's content while it is written, and record it
   * (docs/VERIFY.md). Unchanged when not given.
   */
  checkAtWrite?: boolean;
}

export interface NewKey {
  /** The public key that now encrypts every backup. */
  recipient: string;
  /** The secret key: the only way to open these backups. Show it once, for the recovery printout. */
  identity: string;
  /** Where the secret key was written (mode 0600), if a file was asked for. */
  identityFile: string | null;
}

export type AlertSettings = Config['alerts'];

/** The commands run around a restore (e.g. stop and start the app); null: none. */
export type RestoreHooks = Config['hooks'];

export class SettingsService {
  constructor(
    private readonly config: ConfigStore,
    private readonly identity: IdentityStore,
    private readonly source: Pick<AppSource, 'databaseFile' | 'databaseKey'>,
    private readonly clock: Clock,
  ) {}

  get encryption(): Readonly<EncryptionSettings> {
    return this.config.get().encryption;
  }

  /** Sets the encryption used by backups that do not name their own. */
  async setEncryption(encryption: EncryptionSettings): Promise<void> {
    for (const r of encryption.recipients) {
      if (!isAgeRecipient(r))
        throw new CoffreError('USAGE', `"${r}" is not an age recipient (age1...).`);
    }
    if (encryption.recipients.length > 0 && encryption.passphraseFile) {
      throw new CoffreError('USAGE', 'Use either recipients or a passphrase file, not both.');
    }
    const passphraseFile = encryption.passphraseFile
      ? path.resolve(encryption.passphraseFile)
      : null;
    // A passphrase that cannot be read now would fail every backup from now on.
    if (passphraseFile) readSecretFile(passphraseFile);
    // An encrypted database's backups must be encrypted: "none" would fail every backup.
    if (encryption.recipients.length === 0 && !passphraseFile && this.sourceEncrypted()) {
      throw new CoffreError(
        'ENCRYPTION_REQUIRED',
        'The database is encrypted (SQLCipher), so its backups must be encrypted too: keep a recipient or a passphrase file.',
      );
    }
    await this.config.update(
      (c) => ({
        ...c,
        encryption: {
          recipients: encryption.recipients,
          passphraseFile,
          checkAtWrite: encryption.checkAtWrite ?? c.encryption.checkAtWrite,
        },
      }),
      'encryption-set',
    );
  }

  private sourceEncrypted(): boolean {
    if (this.source.databaseKey() !== null) return true;
    const file = this.source.databaseFile;
    return fs.existsSync(file) && isEncryptedDatabaseFile(file);
  }

  /**
   * Makes an age key pair: the public key encrypts every backup from now on;
   * the secret key is written to `out` (mode 0600, never over an existing
   * file) and returned once, for a printed recovery copy.
   */
  async newKey(out: string | null): Promise<NewKey> {
    const pair = generateAgeKeyPair();
    const identityFile = out ? path.resolve(out) : null;
    if (identityFile) {
      const text = `# Coffre backup key, created ${this.clock().toISOString()}\n# public key: ${pair.recipient}\n${pair.identity}\n`;
      try {
        fs.writeFileSync(identityFile, text, { mode: 0o600, flag: 'wx' });
      } catch (err) {
        throw new CoffreError(
          'USAGE',
          `Cannot write ${identityFile}: ${(err as Error).message} (an existing key file is never overwritten).`,
          { details: { file: identityFile } },
        );
      }
    }
    await this.setEncryption({ recipients: [pair.recipient], passphraseFile: null });
    return { recipient: pair.recipient, identity: pair.identity, identityFile };
  }

  get restoreHooks(): Readonly<RestoreHooks> {
    return this.config.get().hooks;
  }

  /**
   * Sets (or, with null, clears) the command run before or after every
   * restore. The before-restore command must return only once the app has
   * let go of its database: the restore checks that right after it.
   */
  async setRestoreHook(
    which: keyof RestoreHooks,
    command: string | null,
  ): Promise<Readonly<RestoreHooks>> {
    if (command !== null && command.trim() === '') {
      throw new CoffreError(
        'USAGE',
        `An empty ${which === 'beforeRestore' ? 'before' : 'after'}-restore command does nothing: give a command, or clear the hook.`,
      );
    }
    const next = await this.config.update(
      (c) => ({ ...c, hooks: { ...c.hooks, [which]: command } }),
      'hooks-set',
    );
    return next.hooks;
  }

  get alerts(): Readonly<AlertSettings> {
    return this.config.get().alerts;
  }

  async setAlerts(alerts: Partial<AlertSettings>): Promise<AlertSettings> {
    const next = await this.config.update(
      (c) => ({ ...c, alerts: { ...c.alerts, ...alerts } }),
      'alerts-set',
    );
    return next.alerts;
  }

  /**
   * Tells whoever the alert settings name (command, webhook) about an event.
   * Returns the problems met; never throws, so that an alert cannot turn a
   * failed backup into a crashed scheduler. Nothing configured: null.
   */
  async alert(event: AlertEvent['event'], message: string): Promise<string[] | null> {
    const targets = this.config.get().alerts;
    if (!targets.command && !targets.webhook) return null;
    const { id, name } = this.identity.get();
    return sendAlert(targets, {
      event,
      message,
      at: this.clock().toISOString(),
      register: { id, name },
    });
  }
}
