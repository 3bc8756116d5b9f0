// What the fiscal service is given by the center: the app's recipe and
// identity as they are now (read at each use, so a profile or identity
// change is seen), and the parts of the other services it works through.

import path from 'node:path';
import type { Clock } from '../core/clock.js';
import type { BackupService } from '../services/backup.js';
import type { DestinationService } from '../services/destinations.js';
import type { AppSource } from '../services/source.js';
import type { VerifyService } from '../services/verify.js';
import { openDatabase } from '../source/sqlite.js';
import type { ConfigStore } from '../state/config.js';
import type { HomePaths } from '../state/home.js';
import type { IdentityStore } from '../state/identity.js';
import type { StateDb } from '../state/statedb.js';
import type { FiscalDeps } from './service.js';

export function fiscalDeps(parts: {
  paths: HomePaths;
  config: ConfigStore;
  identity: IdentityStore;
  source: AppSource;
  verifier: () => Pick<VerifyService, 'openDatabaseOf'>;
  dests: Pick<DestinationService, 'fiscalAreas' | 'cloudConfig'>;
  backups: Pick<BackupService, 'resolveEncryption'>;
  db: () => Pick<StateDb, 'checkpoint' | 'setCheckpoint'>;
  timeZone: () => string;
  log: FiscalDeps['log'];
  clock: Clock;
}): FiscalDeps {
  const { paths, config, identity, source, dests, backups } = parts;
  return {
    get recipe() {
      return source.profile.fiscal ?? null;
    },
    get fec() {
      return source.profile.fec ?? null;
    },
    get app() {
      return { profile: source.profile.name, version: config.get().source.appVersion };
    },
    get identity() {
      return identity.get();
    },
    scratch: paths.tmp,
    indexFile: path.join(paths.root, 'fiscal-archives.json'),
    openSource: () =>
      openDatabase(source.databaseFile, { key: source.databaseKey(), readonly: true }),
    sourceFile: () => ({ file: source.databaseFile, key: source.databaseKey() }),
    openBackupDatabase: (ref, keys, dir) => parts.verifier().openDatabaseOf(ref, keys, dir),
    areas: (names) => dests.fiscalAreas(names),
    allowsUnencrypted: (n) => dests.cloudConfig(n).allowUnencrypted,
    get defaultDestinations() {
      return config.get().defaultDestinations;
    },
    encryption: () => backups.resolveEncryption(),
    get compressionLevel() {
      return config.get().compressionLevel;
    },
    get everyMonths() {
      const f = config.get().schedule.fiscal;
      return f.monthly ? 1 : f.yearly ? 12 : null;
    },
    checkpoint: {
      get: () => parts.db().checkpoint('fiscal-audit')?.value ?? null,
      set: (value) => parts.db().setCheckpoint('fiscal-audit', value, parts.clock()),
    },
    clock: parts.clock,
    timeZone: parts.timeZone,
    log: parts.log,
  };
}
