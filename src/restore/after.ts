// What a restore does to the app once the data is back, as its profile says:
// drop the caches the app would otherwise trust (a cache database next to the
// main one, cache tables), and reset the sync state (sync tables, positions
// in the settings file) so that no sync server pulls back the changes made
// after the backup. Each step is safe to repeat: it also runs when the next
// start finishes a restore that a crash interrupted.

import fs from 'node:fs';
import path from 'node:path';
import type { Profile } from '../core/profiles.js';
import { writeFileAtomic } from '../state/files.js';
import { openDatabase } from '../source/sqlite.js';
import { quoteName } from '../source/profile-queries.js';

/** What the user must do after a restore, as codes (each edge words them). */
export type NextStep =
  | { code: 'RESTART_APP' }
  | { code: 'RESYNC'; message: string }
  | { code: 'AFTER_RESTORE_STEP_FAILED'; step: string; message: string };

export interface AfterRestore {
  /** Cache files deleted and cache tables emptied. */
  cachesDropped: string[];
  /** The sync state was reset; the profile's message says what to do next. */
  syncReset: boolean;
  nextSteps: NextStep[];
}

export async function afterRestore(input: {
  profile: Pick<Profile, 'caches' | 'syncReset'>;
  database: string;
  key: string | null;
  /** The app's settings file, when it has one. */
  settings: string | null;
  /** Whether the restore changed the database (a files-only restore does not). */
  databaseChanged: boolean;
}): Promise<AfterRestore> {
  const { profile } = input;
  const out: AfterRestore = { cachesDropped: [], syncReset: false, nextSteps: [] };
  const failed = (step: string, err: unknown) =>
    out.nextSteps.push({
      code: 'AFTER_RESTORE_STEP_FAILED',
      step,
      message: (err as Error).message,
    });
  const dir = path.dirname(input.database);
  for (const name of profile.caches.files) {
    const file = path.join(dir, name);
    for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
      try {
        fs.rmSync(f);
        if (f === file) out.cachesDropped.push(name);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') failed(`delete ${name}`, err);
      }
    }
  }
  const statements = [
    ...profile.caches.tables.map((t) => `DELETE FROM ${quoteName(t)}`),
    ...(profile.syncReset?.statements ?? []),
  ];
  if (input.databaseChanged && statements.length > 0 && fs.existsSync(input.database)) {
    try {
      const db = openDatabase(input.database, { key: input.key });
      try {
        const tables = new Set(
          db
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .pluck()
            .all() as string[],
        );
        db.transaction(() => {
          for (const t of profile.caches.tables) {
            if (!tables.has(t)) continue;
            db.exec(`DELETE FROM ${quoteName(t)}`);
            out.cachesDropped.push(t);
          }
          for (const sql of profile.syncReset?.statements ?? []) db.exec(sql);
        })();
      } finally {
        db.close();
      }
    } catch (err) {
      failed('reset the sync tables', err);
    }
  }
  const settings = profile.syncReset?.settings;
  if (input.databaseChanged && settings && input.settings && fs.existsSync(input.settings)) {
    try {
      const json = JSON.parse(fs.readFileSync(input.settings, 'utf8')) as Record<string, unknown>;
      for (const k of settings.unset) delete json[k];
      Object.assign(json, settings.set);
      const mode = fs.statSync(input.settings).mode & 0o777;
      await writeFileAtomic(input.settings, JSON.stringify(json, null, 2) + '\n', mode);
    } catch (err) {
      failed('reset the sync positions in the settings file', err);
    }
  }
  out.nextSteps.unshift({ code: 'RESTART_APP' });
  if (input.databaseChanged && profile.syncReset) {
    out.syncReset = true;
    out.nextSteps.push({ code: 'RESYNC', message: profile.syncReset.message });
  }
  return out;
}
