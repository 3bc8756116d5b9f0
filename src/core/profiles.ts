// Pure: app profiles, declared as data. A profile tells Coffre how to present
// and handle an app it did not write: its sections (tables, files folder,
// settings file) in the app's words, its headline count, the relations it
// does not declare as foreign keys, the rows that count as deleted
// (tombstones), how to read its schema and app versions, which rows a fresh
// installation has, the caches and sync state to drop after a restore,
// whether it must be closed for one, and optionally its fiscal recipe.
// The built-in profiles (./builtin-profiles.ts) are declarations of this same
// schema; a home may declare its own in the config (`profiles`).

import { z } from 'zod';
import { CoffreError } from './errors.js';
import { fiscalRecipeSchema } from './fiscal/recipe.js';
import { LINES } from './fiscal/chain.js';
import { fecRecipeSchema } from './fiscal/fec.js';
import { issueLines, strictObject } from './strict.js';

const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a table or column name: letters, digits and _');
const tableColumn = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/,
    'table.column, e.g. transactions.acct',
  );
/** SQL the app's owner writes in the profile; run read-only unless said otherwise. */
const sql = z.string().trim().min(1, 'an SQL text');

/** Profile and section names: used on the command line and in archive headers. */
export const PROFILE_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
const name = z.string().regex(PROFILE_NAME, 'lower-case letters, digits, - and _');

/** A file next to the database, named relative to its folder (no "..", not absolute). */
const besideDatabase = z
  .string()
  .min(1)
  .refine(
    (p) => !p.startsWith('/') && !/^[A-Za-z]:/.test(p) && !p.split(/[\\/]/).includes('..'),
    'a file name relative to the database folder, without ".."',
  );

const sectionSchema = strictObject({
  name,
  label: z.string().min(1),
  /** The section's tables; "*": every table no other section names. */
  tables: z.union([z.literal('*'), z.array(identifier)]),
  /** The app's files folder belongs to this section. */
  files: z.boolean().default(false),
  /** The app's settings file belongs to this section. */
  settings: z.boolean().default(false),
});

export const profileSchema = strictObject({
  name,
  label: z.string().min(1),
  /** What the files folder holds, in words: images, attachments, files. */
  filesLabel: z.string().min(1).default('files'),
  sections: z.array(sectionSchema).min(1),
  /** The count shown in status, e.g. receipts, transactions. */
  headline: strictObject({ table: identifier, label: z.string().min(1) }).optional(),
  /** References the app keeps without a FOREIGN KEY: a section restore checks them too. */
  relations: z.array(strictObject({ child: tableColumn, parent: tableColumn })).default([]),
  /** Table -> SQL condition of the rows that count as deleted, e.g. "tombstone = 1". */
  tombstones: z.record(identifier, sql).default({}),
  /** A query whose one value is the schema version (instead of PRAGMA user_version). */
  schemaVersion: strictObject({ query: sql }).optional(),
  /** A query whose one value is the app's version, recorded in every archive. */
  appVersion: strictObject({ query: sql }).optional(),
  /**
   * What a fresh installation already holds: the most real rows each table
   * may have (others: none), and queries that count rows a fresh install
   * would not have (0: fresh).
   */
  freshInstall: strictObject({
    rows: z.record(identifier, z.number().int().min(0)).default({}),
    queries: z.array(sql).default([]),
  }).optional(),
  /** Dropped after a restore, so that the app rebuilds them from the restored data. */
  caches: strictObject({
    /** Files next to the database, e.g. "cache.sqlite". */
    files: z.array(besideDatabase).default([]),
    /** Tables emptied. */
    tables: z.array(identifier).default([]),
  }).default({ files: [], tables: [] }),
  /** Sync positions reset after a restore, so that no server undoes it; the message says what to do. */
  syncReset: strictObject({
    /** SQL run on the restored database, e.g. DELETE FROM messages_crdt. */
    statements: z.array(sql).default([]),
    /** Changes to the settings file (JSON): top-level keys removed, and keys set. */
    settings: strictObject({
      unset: z.array(z.string().min(1)).default([]),
      set: z.record(z.string().min(1), z.json()).default({}),
    }).optional(),
    /** What the user must do next, e.g. upload the budget to the sync server again. */
    message: z.string().min(1),
  }).optional(),
  /** The app must be closed for an in-place restore (it keeps data in memory). */
  mustClose: z.boolean().default(false),
  /** Where the app keeps its chained fiscal records and how it hashes them (core/fiscal/recipe.ts). */
  fiscal: fiscalRecipeSchema.optional(),
  /** Which tables and columns feed the FEC (core/fiscal/fec.ts). */
  fec: fecRecipeSchema.optional(),
});

export type Profile = z.infer<typeof profileSchema>;
export type ProfileInput = z.input<typeof profileSchema>;
export type SectionDef = Profile['sections'][number];
export type Relation = {
  child: { table: string; column: string };
  parent: { table: string; column: string };
};

export const OTHER_SECTION = 'other';

/** Pure: the rules a profile must hold beyond its shape, as `path: message` lines. */
export function profileRules(p: Profile, where = ''): string[] {
  const at = (k: string) => [where, k].filter(Boolean).join('.');
  const errors: string[] = [];
  const seen = new Map<string, string>();
  p.sections.forEach((s, i) => {
    if (s.name === OTHER_SECTION)
      errors.push(
        `${at(`sections.${i}.name`)}: "${OTHER_SECTION}" is kept for the tables no section names`,
      );
    if (p.sections.findIndex((o) => o.name === s.name) !== i)
      errors.push(`${at(`sections.${i}.name`)}: the section "${s.name}" is declared twice`);
    if (s.tables === '*') return;
    for (const t of s.tables) {
      const other = seen.get(t);
      if (other && other !== s.name)
        errors.push(`${at(`sections.${i}.tables`)}: "${t}" is already in section "${other}"`);
      seen.set(t, s.name);
    }
  });
  if (p.sections.filter((s) => s.tables === '*').length > 1)
    errors.push(`${at('sections')}: only one section may take "*" (the other tables)`);
  for (const k of ['files', 'settings'] as const) {
    if (p.sections.filter((s) => s[k]).length > 1)
      errors.push(
        `${at('sections')}: only one section may hold the ${k === 'files' ? 'files folder' : 'settings file'}`,
      );
  }
  const lines = p.fiscal?.records.lines;
  if (p.fiscal && p.fiscal.records.chain.fields.includes(LINES) && lines === undefined)
    errors.push(`${at('fiscal.records.chain.fields')}: "@lines" needs records.lines`);
  return errors;
}

export type ProfileValidation = { ok: true; profile: Profile } | { ok: false; errors: string[] };

/** Pure: validates a declared profile (parsed JSON): shape, then rules. */
export function validateProfile(json: unknown, where = ''): ProfileValidation {
  const parsed = profileSchema.safeParse(json);
  if (!parsed.success) return { ok: false, errors: issueLines(parsed.error, where) };
  const errors = profileRules(parsed.data, where);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, profile: parsed.data };
}

/** Pure: a declaration that must be valid (the built-in ones); throws CONFIG_INVALID. */
export function declareProfile(json: ProfileInput): Profile {
  const result = validateProfile(json, json.name);
  if (!result.ok)
    throw new CoffreError('CONFIG_INVALID', `Invalid profile: ${result.errors.join('; ')}.`, {
      details: { errors: result.errors },
    });
  return result.profile;
}

/** "transactions.acct" -> { table, column } (checked by the schema). */
export function relationOf(r: Profile['relations'][number]): Relation {
  const [ct, cc] = r.child.split('.') as [string, string];
  const [pt, pc] = r.parent.split('.') as [string, string];
  return { child: { table: ct, column: cc }, parent: { table: pt, column: pc } };
}

/** Every table a profile's sections name. */
export function namedTables(p: Profile): string[] {
  return p.sections.flatMap((s) => (s.tables === '*' ? [] : s.tables));
}

/** Looks a profile up by name among the built-in ones and those the config declares. */
export function findProfile(
  profileName: string,
  builtIn: Readonly<Record<string, Profile>>,
  declared: Readonly<Record<string, Profile>>,
): Profile {
  if (Object.hasOwn(declared, profileName)) return declared[profileName];
  if (Object.hasOwn(builtIn, profileName)) return builtIn[profileName];
  const valid = [...Object.keys(builtIn), ...Object.keys(declared)];
  throw new CoffreError(
    'USAGE',
    `Unknown profile "${profileName}": valid profiles are ${valid.join(', ')}.`,
    { details: { profile: profileName, valid } },
  );
}

/** What reading a database needs from a profile: plain data, passed to worker threads. */
export interface ProfileReading {
  tombstones: Record<string, string>;
  schemaVersionQuery: string | null;
  appVersionQuery: string | null;
}

export function profileReading(p: Profile): ProfileReading {
  return {
    tombstones: p.tombstones,
    schemaVersionQuery: p.schemaVersion?.query ?? null,
    appVersionQuery: p.appVersion?.query ?? null,
  };
}
