// Setting up a home: creating one that protects an app's data (checked
// first), opening one, and the built-in demo register with its home.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { CoffreError } from '../core/errors.js';
import { BUILT_IN_PROFILES } from '../core/builtin-profiles.js';
import { layoutProblems, type LayoutProblem } from '../core/places.js';
import { findProfile, validateProfile, type Profile } from '../core/profiles.js';
import { realFolder } from '../destinations/places.js';
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
  /** A built-in profile's name (pos, accounting, generic, actual); or give profileFile. */
  profile?: string;
  /** A JSON file declaring the app's own profile (docs/APPS.md), kept in the config. */
  profileFile?: string;
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
  const { profile, declared } = await chooseProfile(options);
  if (!options.name.trim()) throw new CoffreError('USAGE', 'The register needs a name.');
  const database = path.resolve(options.database);
  const files = options.files ? path.resolve(options.files) : null;
  const settings = options.settings ? path.resolve(options.settings) : null;
  refuseLayout(
    layoutProblems({
      database: realFolder(database),
      files: files && realFolder(files),
      settings: settings && realFolder(settings),
      home: realFolder(paths.root),
      destinations: [realFolder(paths.backups)],
    }),
  );
  const keyFile = options.databaseKeyFile ? path.resolve(options.databaseKeyFile) : null;
  // A database, files folder or settings file not there yet is accepted (a
  // new machine before the app's first start): the profile check says what
  // Coffre expects, and backups wait for it.
  if (fs.existsSync(database)) {
    openDatabase(database, { key: keyFile ? readSecretFile(keyFile) : null }).close();
  }
  // Everything not given takes the defaults the schema documents.
  const config: Config = configSchema.parse({
    version: 1,
    ...(declared ? { profiles: { [profile.name]: declared } } : {}),
    source: {
      profile: profile.name,
      database,
      files,
      settings,
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

/** The profile a new home uses: a built-in one, or one declared in a JSON file (kept in the config). */
async function chooseProfile(
  options: Pick<InitOptions, 'profile' | 'profileFile'>,
): Promise<{ profile: Profile; declared: Profile | null }> {
  if (options.profileFile && options.profile) {
    throw new CoffreError('USAGE', 'Give either a profile name or a profile file, not both.');
  }
  if (!options.profileFile) {
    if (!options.profile) {
      throw new CoffreError(
        'USAGE',
        `Name the app's profile (${Object.keys(BUILT_IN_PROFILES).join(', ')}) or give a profile file.`,
      );
    }
    return { profile: findProfile(options.profile, BUILT_IN_PROFILES, {}), declared: null };
  }
  const declared = await readProfileFile(options.profileFile);
  return { profile: declared, declared };
}

/** Reads and validates a profile declared in a JSON file; CONFIG_INVALID names each problem. */
export async function readProfileFile(file: string): Promise<Profile> {
  let json: unknown;
  try {
    json = JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch (err) {
    throw new CoffreError(
      'CONFIG_INVALID',
      `The profile file ${file} cannot be read as JSON: ${(err as Error).message}.`,
      { cause: err, details: { file } },
    );
  }
  const result = validateProfile(json);
  const errors = result.ok
    ? Object.hasOwn(BUILT_IN_PROFILES, result.profile.name)
      ? [`name: "${result.profile.name}" is a built-in profile; give yours another name`]
      : []
    : result.errors;
  if (!result.ok || errors.length > 0) {
    throw new CoffreError(
      'CONFIG_INVALID',
      `${file} is not a valid app profile:\n  ${errors.join('\n  ')}`,
      { details: { file, errors } },
    );
  }
  return result.profile;
}

const LAYOUT_WORDS: Record<LayoutProblem['code'], string> = {
  FILES_HOLD_DATABASE:
    'the files folder holds the database: every backup would also carry a raw, possibly torn copy of the live file, and a restore would stage inside the folder it swaps',
  FILES_HOLD_HOME: "the files folder holds Coffre's home: every backup would carry the backups",
  FILES_HOLD_DESTINATION:
    'the files folder holds where backups are written: every backup would carry the backups',
  SETTINGS_IN_FILES:
    'the settings file lies inside the files folder: give the folder and the file apart',
};

function refuseLayout(problems: LayoutProblem[]): void {
  if (problems.length === 0) return;
  throw new CoffreError(
    'USAGE',
    `This layout cannot work: ${problems.map((p) => `${LAYOUT_WORDS[p.code]} (${p.path})`).join('; ')}.`,
    { details: { reason: 'layout', problems } },
  );
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
