// Setting up a home: creating one that protects an app's data (checked
// first), opening one, and the built-in demo register with its home.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { CoffreError } from '../core/errors.js';
import { getProfile } from '../core/profiles.js';
import type { DemoOptions } from '../source/demo.js';
import { openDatabase } from '../source/sqlite.js';
import { configSchema, ConfigStore, saveConfig, type Config } from '../state/config.js';
import { diskFullAt, homeDiskFull } from '../state/disk.js';
import { checkHome, homeFileError, homePaths, type HomePaths } from '../state/home.js';
import { createIdentity, loadIdentity, saveIdentity, type Identity } from '../state/identity.js';
import { readSecretFile } from '../state/secrets.js';
import { StateDb } from '../state/statedb.js';

export interface InitOptions {
  home: string;
  name: string;
  profile: string;
  database: string;
  files?: string | null;
  settings?: string | null;
  databaseKeyFile?: string | null;
  appVersion?: string | null;
  now?: Date;
}

export interface DemoResult {
  home: string;
  dataDir: string;
  profile: string;
  counts: Record<string, number>;
}

export type DemoHomeOptions = Omit<DemoOptions, 'dir'> & { name?: string; now?: Date };

export interface Home {
  paths: HomePaths;
  config: Config;
  identity: Identity;
}

/** Creates a home protecting an existing app's data. */
export async function createHome(options: InitOptions): Promise<Home> {
  const paths = homePaths(options.home);
  checkHome(paths.root);
  if (fs.existsSync(paths.config) || fs.existsSync(paths.identity)) {
    throw new CoffreError(
      'ALREADY_INITIALIZED',
      `${paths.root} already holds a Coffre installation.`,
      { details: { home: paths.root } },
    );
  }
  const profile = getProfile(options.profile);
  if (!options.name.trim()) throw new CoffreError('USAGE', 'The register needs a name.');
  const database = path.resolve(options.database);
  if (!fs.existsSync(database)) {
    throw new CoffreError('SOURCE_UNAVAILABLE', `The database ${database} does not exist.`, {
      details: { file: database },
    });
  }
  const keyFile = options.databaseKeyFile ? path.resolve(options.databaseKeyFile) : null;
  openDatabase(database, { key: keyFile ? readSecretFile(keyFile) : null }).close();
  for (const [label, p] of [
    ['files folder', options.files],
    ['settings file', options.settings],
  ] as const) {
    if (p && !fs.existsSync(p)) {
      throw new CoffreError(
        'SOURCE_UNAVAILABLE',
        `The ${label} ${path.resolve(p)} does not exist.`,
      );
    }
  }
  // Everything not given takes the defaults the schema documents.
  const config: Config = configSchema.parse({
    version: 1,
    source: {
      profile: profile.name,
      database,
      files: options.files ? path.resolve(options.files) : null,
      settings: options.settings ? path.resolve(options.settings) : null,
      databaseKeyFile: keyFile,
      appVersion: options.appVersion ?? null,
    },
  });
  await fsp.mkdir(paths.root, { recursive: true, mode: 0o700 });
  await fsp.mkdir(paths.backups, { recursive: true });
  await fsp.mkdir(paths.tmp, { recursive: true });
  const identity = createIdentity(options.name.trim(), options.now ?? new Date());
  await saveIdentity(paths.identity, identity);
  await saveConfig(paths.config, config);
  new StateDb(paths.stateDb).close();
  return { paths, config, identity };
}

/** Opens a home: its paths, config and identity, checked. */
export async function openHome(home: string): Promise<Home> {
  const paths = homePaths(home);
  checkHome(paths.root);
  const store = await ConfigStore.load(paths.config);
  const identity = await loadIdentity(paths.identity);
  await fsp.mkdir(paths.tmp, { recursive: true }).catch((err: unknown) => {
    throw diskFullAt(err, paths.root)
      ? homeDiskFull(paths.root, 'making its tmp folder', err)
      : (homeFileError(paths.tmp, err) ?? err);
  });
  return { paths, config: store.get(), identity };
}

/** Creates the built-in demo register (or accounting books) and a home protecting it. */
export async function createDemoHome(
  home: string,
  options: DemoHomeOptions = { profile: 'pos' },
): Promise<DemoResult> {
  const paths = homePaths(home);
  if (fs.existsSync(paths.config)) {
    throw new CoffreError(
      'ALREADY_INITIALIZED',
      `${paths.root} already holds a Coffre installation.`,
    );
  }
  const accounting = options.profile === 'accounting';
  const dataDir = path.join(paths.root, accounting ? 'demo-books' : 'demo-register');
  const { name, now, ...demo } = options;
  // The demo generator is large and used once: loaded only here.
  const { createDemoData } = await import('../source/demo.js');
  const data = await createDemoData({ ...demo, dir: dataDir });
  await createHome({
    home: paths.root,
    name:
      name ?? (accounting ? 'Atelier Dupont (demo books)' : 'Boulangerie Martin (demo register)'),
    profile: options.profile,
    database: data.dbPath,
    files: data.filesDir,
    settings: data.settingsPath,
    appVersion: accounting ? 'demo-books 2.3.0' : 'demo-pos 4.8.1',
    now: now ?? new Date(),
  });
  return { home: paths.root, dataDir, profile: options.profile, counts: data.counts };
}
