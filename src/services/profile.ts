// The app's profile against the live data: `profile check` (tables the
// profile names that the database lacks, tables no section names, relations
// that already dangle, the versions read, whether the installation holds only
// what a fresh install has, and the sources not there yet), showing a
// profile, declaring one for this home, and the app's version.

import fs from 'node:fs';
import { BUILT_IN_PROFILES } from '../core/builtin-profiles.js';
import { CoffreError } from '../core/errors.js';
import { findProfile, namedTables, type Profile } from '../core/profiles.js';
import { unnamedTables } from '../core/sections.js';
import {
  beyondFreshInstall,
  danglingRelations,
  readAppVersion,
  readSchemaVersion,
  type DanglingRelation,
} from '../source/profile-queries.js';
import { openDatabase, userTables } from '../source/sqlite.js';
import type { ConfigStore } from '../state/config.js';
import { readProfileFile } from './setup.js';
import type { AppSource } from './source.js';

export interface ProfileCheck {
  profile: string;
  /** Whether the profile is declared in this home's config (else built in). */
  declared: boolean;
  /** What is not there yet: Coffre expects it at this path (a new machine before the app's first start). */
  missing: { what: 'database' | 'files' | 'settings'; path: string }[];
  /** Tables the profile names that the database does not have. */
  unknownTables: string[];
  /** Tables of the database that no section names (they go in "other"). */
  unnamedTables: string[];
  /** The profile's relations, with the rows that already point to a missing parent. */
  relations: DanglingRelation[];
  schemaVersion: number | null;
  /** The app's version: read by the profile's query, else the one recorded in the config. */
  appVersion: { value: string | null; detected: boolean };
  /** Rows beyond a fresh install's, by table; empty: a fresh installation. */
  beyondFreshInstall: Record<string, number>;
  /** Problems: unknown tables or dangling relations (a check a script can fail on). */
  ok: boolean;
}

export class ProfileService {
  constructor(
    private readonly config: ConfigStore,
    private readonly source: AppSource,
  ) {}

  /** Runs the home's profile against the live database. */
  check(): ProfileCheck {
    const config = this.config.get();
    const profile = this.source.profile;
    const missing: ProfileCheck['missing'] = [];
    const db = this.source.databaseFile;
    if (!fs.existsSync(db)) missing.push({ what: 'database', path: db });
    for (const what of ['files', 'settings'] as const) {
      const p = config.source[what];
      if (p && !fs.existsSync(this.source.path(p)))
        missing.push({ what, path: this.source.path(p) });
    }
    const base: ProfileCheck = {
      profile: profile.name,
      declared: Object.hasOwn(config.profiles, profile.name),
      missing,
      unknownTables: [],
      unnamedTables: [],
      relations: [],
      schemaVersion: null,
      appVersion: { value: config.source.appVersion, detected: false },
      beyondFreshInstall: {},
      ok: true,
    };
    if (missing.some((m) => m.what === 'database')) return base;
    const handle = openDatabase(db, { key: this.source.databaseKey(), readonly: true });
    try {
      const tables = userTables(handle);
      const named = [
        ...namedTables(profile),
        ...profile.relations.flatMap((r) => [r.child, r.parent].map((c) => c.split('.')[0])),
      ];
      const unknownTables = [...new Set(named)].filter((t) => !tables.includes(t)).sort();
      const relations = danglingRelations(handle, profile, tables);
      const detected = readAppVersion(handle, profile.appVersion?.query ?? null);
      return {
        ...base,
        unknownTables,
        unnamedTables: unnamedTables(profile, tables),
        relations,
        schemaVersion: readSchemaVersion(handle, profile.schemaVersion?.query ?? null),
        appVersion: detected
          ? { value: detected, detected: true }
          : { value: config.source.appVersion, detected: false },
        beyondFreshInstall: beyondFreshInstall(handle, tables, profile),
        ok: unknownTables.length === 0 && relations.every((r) => r.rows === 0),
      };
    } finally {
      handle.close();
    }
  }

  /** A profile by name (built in, or declared in this home); none: the home's own. */
  show(name?: string): Profile {
    if (!name) return this.source.profile;
    return findProfile(name, BUILT_IN_PROFILES, this.config.get().profiles);
  }

  /**
   * Declares a profile read from a JSON file in this home's config and makes
   * it the home's profile (a profile of the same name is replaced).
   */
  async declare(file: string): Promise<Profile> {
    const profile = await readProfileFile(file);
    await this.config.update((c) => ({
      ...c,
      profiles: { ...c.profiles, [profile.name]: profile },
      source: { ...c.source, profile: profile.name },
    }));
    return profile;
  }

  /** Records the app's version (after an app update), written in every archive from now on. */
  async setAppVersion(version: string | null): Promise<string | null> {
    if (version !== null && !version.trim()) {
      throw new CoffreError('USAGE', 'The app version is empty.');
    }
    await this.config.update((c) => ({
      ...c,
      source: { ...c.source, appVersion: version === null ? null : version.trim() },
    }));
    return version === null ? null : version.trim();
  }

  /** Uses a built-in profile (or one already declared) for this home. */
  async use(name: string): Promise<Profile> {
    const profile = this.show(name);
    await this.config.update((c) => ({ ...c, source: { ...c.source, profile: profile.name } }));
    return profile;
  }
}
