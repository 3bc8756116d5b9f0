// The protected app's data as the config describes it: where the database,
// files and settings are, which profile maps them to sections (a built-in one
// or one the config declares), and the keys (the database's SQLCipher key,
// the backups' passphrase) kept in files.

import { BUILT_IN_PROFILES } from '../core/builtin-profiles.js';
import { findProfile, type Profile } from '../core/profiles.js';
import { resolveFromHome, type ConfigStore } from '../state/config.js';
import { readSecretFile } from '../state/secrets.js';

export class AppSource {
  constructor(
    private readonly home: string,
    private readonly config: ConfigStore,
  ) {}

  get profile(): Profile {
    const config = this.config.get();
    return findProfile(config.source.profile, BUILT_IN_PROFILES, config.profiles);
  }

  /** A config path resolved against the home. */
  path(p: string): string {
    return resolveFromHome(this.home, p);
  }

  get databaseFile(): string {
    return this.path(this.config.get().source.database);
  }

  /** The key of the app's database, when it is encrypted. */
  databaseKey(): string | null {
    const file = this.config.get().source.databaseKeyFile;
    return file ? readSecretFile(this.path(file)) : null;
  }

  /** The configured backup passphrase, when backups are encrypted with one. */
  passphrase(): string | null {
    const file = this.config.get().encryption.passphraseFile;
    return file ? readSecretFile(this.path(file)) : null;
  }
}
