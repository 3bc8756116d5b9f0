// The home's config file: its schema (each key documented, with its default),
// pure validation with readable `path: message` errors, and atomic load/save.
// Relative paths in the config are relative to the home directory.

import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { CoffreError } from '../core/errors.js';
import { DEFAULT_RETENTION, validatePolicy } from '../core/retention.js';
import { validateSpec } from '../core/schedule.js';
import { writeFileAtomic } from './files.js';
import { diskFullAt, homeDiskFull } from './disk.js';
import { homeFileError } from './home.js';
import { strictObject } from '../core/strict.js';
import { PROFILE_NAME, profileRules, profileSchema } from '../core/profiles.js';
import { BUILT_IN_PROFILES } from '../core/builtin-profiles.js';

/** Names users give destinations: used in file names and on the command line. */
export const DESTINATION_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

const externalDestination = strictObject({
  kind: z.literal('external'),
  /** A folder on a USB stick or a network share. Never created by Coffre: a missing folder means the medium is not there. */
  path: z.string().min(1),
});

const s3Destination = strictObject({
  kind: z.literal('s3'),
  /** The service's URL, e.g. https://s3.eu-central-003.backblazeb2.com (AWS: https://s3.REGION.amazonaws.com). */
  endpoint: z
    .url({ protocol: /^https?$/, error: 'a URL starting with https:// (or http://)' })
    .refine((u) => !/^https?:\/\/[^/]*@/.test(u), {
      error:
        'no user or password in the URL: credentials go in the environment or a credentials file',
    }),
  bucket: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      'a bucket name: 3 to 63 lower-case letters, digits, dots and hyphens',
    ),
  /** A folder inside the bucket; each register writes under PREFIX/REGISTER8/. */
  prefix: z
    .string()
    .regex(/^([A-Za-z0-9._-]+\/)*$/, 'folders ending with /, e.g. "shops/" (or empty)')
    .default(''),
  region: z.string().min(1).default('us-east-1'),
  /** Bucket in the URL path (MinIO, Ceph, most self-hosted servers) instead of the host name. */
  pathStyle: z.boolean().default(false),
  /** The storage the shop's plan pays for, in bytes; null: no limit. */
  quotaBytes: z.number().int().positive().nullable().default(null),
  /** An AWS-style credentials file (mode 0600); without it, the environment's AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. */
  credentialsFile: z.string().min(1).nullable().default(null),
  /** The profile to read in credentialsFile. */
  credentialsProfile: z.string().min(1).default('default'),
  /** Accept backups that are not encrypted (the provider could then read the data). */
  allowUnencrypted: z.boolean().default(false),
  /** Send a SHA-256 checksum with every part, checked by services that support it. */
  checksums: z.boolean().default(true),
});

export const destinationSchema = z.discriminatedUnion('kind', [externalDestination, s3Destination]);
export type S3DestinationConfig = z.infer<typeof s3Destination>;
export type DestinationConfig = z.infer<typeof destinationSchema>;

const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM, e.g. 02:30');
const scheduleSpec = z.discriminatedUnion('every', [
  strictObject({ every: z.literal('day'), at: time }),
  strictObject({
    every: z.literal('week'),
    day: z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']),
    at: time,
  }),
  strictObject({ every: z.literal('cron'), cron: z.string().min(1) }),
]);
const count = z.number().int().min(0).max(1000);
// Strict: a misspelt key ("dayly") is reported, not silently ignored.
const retentionPolicy = strictObject({
  daily: count,
  weekly: count,
  monthly: count.default(0),
  yearly: count.default(0),
  preOperation: count.default(DEFAULT_RETENTION.preOperation),
  safety: count.default(DEFAULT_RETENTION.safety),
});

export const configSchema = strictObject({
  version: z.literal(1),
  source: strictObject({
    /** The app profile: a built-in one (pos, accounting, generic, actual) or one declared in `profiles`. */
    profile: z.string().regex(PROFILE_NAME, 'a profile name: lower-case letters, digits, - and _'),
    /** The app's SQLite database file. */
    database: z.string().min(1),
    /** The app's files folder (product images, attachments), if any. */
    files: z.string().min(1).nullable().default(null),
    /** The app's settings file, if any. */
    settings: z.string().min(1).nullable().default(null),
    /** For a SQLCipher-encrypted database: a file holding its key (mode 0600). */
    databaseKeyFile: z.string().min(1).nullable().default(null),
    /** The protected app's version, recorded in every archive. */
    appVersion: z.string().min(1).nullable().default(null),
  }),
  /**
   * App profiles declared for this home (see docs/APPS.md), by name; a name
   * may not be a built-in profile's. Configs older than profiles have none.
   */
  profiles: z
    .record(z.string().regex(PROFILE_NAME, 'lower-case letters, digits, - and _'), profileSchema)
    .default({}),
  encryption: strictObject({
    /** age recipients (age1...): scheduled backups encrypt without any secret on the device. */
    recipients: z.array(z.string().startsWith('age1')).default([]),
    /** A file holding a passphrase (mode 0600), used instead of recipients. */
    passphraseFile: z.string().min(1).nullable().default(null),
    /**
     * Check each encrypted backup's content while it is written and record it
     * in its sidecar (docs/VERIFY.md): for a register without the secret key.
     */
    checkAtWrite: z.boolean().default(false),
  }).default({ recipients: [], passphraseFile: null, checkAtWrite: false }),
  /** Destinations by name. `local` (the home's backups/ folder) always exists and is not listed here. */
  destinations: z
    .record(
      z.string().regex(DESTINATION_NAME, 'lower-case letters, digits, - and _'),
      destinationSchema,
    )
    .default({}),
  /**
   * The folder of the built-in `local` destination; null: the home's backups/.
   * It must exist, be writable and lie outside the app's files folder.
   */
  localPath: z.string().min(1).nullable().default(null),
  /** Where `coffre backup` writes when no --to is given. */
  defaultDestinations: z.array(z.string()).min(1).default(['local']),
  /** zstd level: 3 is the good balance; higher is smaller and slower. */
  compressionLevel: z.number().int().min(1).max(19).default(3),
  /** Automatic backups and test restores. Times are the register's local time. */
  schedule: strictObject({
    /** When automatic backups run; null: no automatic backups. */
    backup: scheduleSpec.nullable().default(null),
    /** Also back up when the application closes (daemon stop, `coffre run`, `coffre on-close`, or BackupCenter.onApplicationClose()). */
    onClose: z.boolean().default(false),
    /** Destinations of automatic backups; empty: the default destinations. */
    destinations: z.array(z.string()).default([]),
    /** When the newest backup is test-restored into a scratch folder (deep verification). */
    verify: scheduleSpec.nullable().default({ every: 'week', day: 'sun', at: '04:00' }),
    /** When the schedule was last set: runs before it are not caught up. */
    since: z.string().nullable().default(null),
    /** IANA time zone of the register; null: the machine's. */
    timeZone: z.string().nullable().default(null),
    /**
     * Fiscal archives made by the daemon (registers with a fiscal recipe): one
     * per month and/or one per year, once the period is over; `since` is when
     * this was set (periods that ended before it are not caught up).
     */
    fiscal: strictObject({
      monthly: z.boolean().default(false),
      yearly: z.boolean().default(false),
      since: z.string().nullable().default(null),
    }).default({ monthly: false, yearly: false, since: null }),
  }).default({
    backup: null,
    onClose: false,
    destinations: [],
    verify: { every: 'week', day: 'sun', at: '04:00' },
    since: null,
    timeZone: null,
    fiscal: { monthly: false, yearly: false, since: null },
  }),
  /** Retention applied to every destination after each successful backup (see docs/RETENTION.md). */
  retention: retentionPolicy.default({ ...DEFAULT_RETENTION }),
  /** A different retention for some destinations, e.g. 30 daily on the external drive. */
  retentionByDestination: z.record(z.string(), retentionPolicy).default({}),
  /** Commands run around a restore, e.g. to stop and start the protected app. */
  hooks: strictObject({
    /** Run before anything is changed; if it fails, the restore stops and nothing changes. */
    beforeRestore: z.string().min(1).nullable().default(null),
    /** Run after the restore, whether or not it succeeded (COFFRE_RESTORE_RESULT says which). */
    afterRestore: z.string().min(1).nullable().default(null),
  }).default({ beforeRestore: null, afterRestore: null }),
  /** Someone must hear about a failed or stale backup. */
  alerts: strictObject({
    /**
     * Warn when the newest good backup is older than this many hours. null:
     * the backup schedule's period plus 2 h (26 h for a daily schedule, 170 h
     * for a weekly one; 26 h without a schedule).
     */
    staleAfterHours: z.number().positive().nullable().default(null),
    /** A command run on a failure or a stale backup, with COFFRE_EVENT and COFFRE_MESSAGE set. */
    command: z.string().min(1).nullable().default(null),
    /** A URL that receives a JSON POST on a failure or a stale backup. */
    webhook: z
      .url({ protocol: /^https?$/, error: 'a URL starting with https:// (or http://)' })
      .nullable()
      .default(null),
  }).default({ staleAfterHours: null, command: null, webhook: null }),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

export type ValidationResult = { ok: true; config: Config } | { ok: false; errors: string[] };

/** A destination name the config uses must exist ("local" always does). */
function knownDestination(config: Config, name: string): boolean {
  return name === 'local' || name in config.destinations;
}

/**
 * The rules a config must hold beyond its shape, one validator each. Every
 * load and every update runs all of them, so no front end can store a config
 * that the next start would refuse.
 */
export const CONFIG_RULES: readonly { rule: string; check: (config: Config) => string[] }[] = [
  {
    rule: 'the profile exists',
    check: (c) =>
      Object.hasOwn(c.profiles, c.source.profile) ||
      Object.hasOwn(BUILT_IN_PROFILES, c.source.profile)
        ? []
        : [
            `source.profile: no profile named "${c.source.profile}"; the valid profiles are: ${[...Object.keys(BUILT_IN_PROFILES), ...Object.keys(c.profiles)].join(', ')}`,
          ],
  },
  {
    rule: 'declared profiles are valid and named apart from the built-in ones',
    check: (c) =>
      Object.entries(c.profiles).flatMap(([name, p]) => [
        ...(Object.hasOwn(BUILT_IN_PROFILES, name)
          ? [`profiles.${name}: "${name}" is a built-in profile; give yours another name`]
          : []),
        ...(p.name !== name
          ? [`profiles.${name}.name: must be "${name}", the key it is declared under`]
          : []),
        ...profileRules(p, `profiles.${name}`),
      ]),
  },
  {
    rule: '"local" is built in',
    check: (c) =>
      'local' in c.destinations
        ? ['destinations.local: "local" is built in and cannot be redefined']
        : [],
  },
  {
    rule: 'restore hooks are commands',
    check: (c) =>
      (['beforeRestore', 'afterRestore'] as const)
        .filter((h) => c.hooks[h] !== null && c.hooks[h].trim() === '')
        .map((h) => `hooks.${h}: an empty command (use null for none)`),
  },
  {
    rule: 'default destinations exist',
    check: (c) =>
      c.defaultDestinations
        .filter((d) => !knownDestination(c, d))
        .map((d) => `defaultDestinations: no destination named "${d}"`),
  },
  {
    rule: 'schedules are valid',
    check: (c) => [
      ...(c.schedule.backup
        ? validateSpec(c.schedule.backup).map((e) => `schedule.backup: ${e}`)
        : []),
      ...(c.schedule.verify
        ? validateSpec(c.schedule.verify).map((e) => `schedule.verify: ${e}`)
        : []),
    ],
  },
  {
    rule: 'scheduled destinations exist',
    check: (c) =>
      c.schedule.destinations
        .filter((d) => !knownDestination(c, d))
        .map((d) => `schedule.destinations: no destination named "${d}"`),
  },
  {
    rule: 'the time zone exists',
    check: (c) => {
      if (!c.schedule.timeZone) return [];
      try {
        new Intl.DateTimeFormat('en', { timeZone: c.schedule.timeZone });
        return [];
      } catch {
        return [
          `schedule.timeZone: "${c.schedule.timeZone}" is not a time zone (e.g. Europe/Paris)`,
        ];
      }
    },
  },
  {
    rule: 'retention is valid',
    check: (c) => [
      ...validatePolicy(c.retention).map((e) => `retention: ${e}`),
      ...Object.entries(c.retentionByDestination).flatMap(([d, p]) => [
        ...(knownDestination(c, d)
          ? []
          : [`retentionByDestination.${d}: no destination named "${d}"`]),
        ...validatePolicy(p).map((e) => `retentionByDestination.${d}: ${e}`),
      ]),
    ],
  },
  {
    rule: 'one kind of encryption',
    check: (c) =>
      c.encryption.recipients.length > 0 && c.encryption.passphraseFile
        ? ['encryption: use either recipients or a passphrase file, not both']
        : [],
  },
];

/** Pure: validates parsed JSON and returns a typed config or `path: message` lines. */
export function validateConfig(json: unknown): ValidationResult {
  const result = configSchema.safeParse(json);
  if (!result.success) {
    return {
      ok: false,
      errors: result.error.issues.map(
        (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
      ),
    };
  }
  const errors = CONFIG_RULES.flatMap((r) => r.check(result.data));
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config: result.data };
}

export async function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CoffreError('NOT_INITIALIZED', `No Coffre installation in ${path.dirname(file)}.`, {
        details: { home: path.dirname(file) },
      });
    }
    throw (
      homeFileError(file, err) ??
      new CoffreError('CONFIG_INVALID', `${file} cannot be read: ${(err as Error).message}.`, {
        cause: err,
        details: { file },
      })
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CoffreError(
      'CONFIG_INVALID',
      `${file} is not valid JSON: ${(err as Error).message}`,
      {
        details: { file },
      },
    );
  }
  const result = validateConfig(json);
  if (!result.ok) {
    throw new CoffreError(
      'CONFIG_INVALID',
      `${file} is not a valid Coffre config:\n  ${result.errors.join('\n  ')}`,
      {
        details: { file, errors: result.errors },
      },
    );
  }
  return result.config;
}

export async function saveConfig(file: string, config: Config): Promise<void> {
  const result = validateConfig(config);
  if (!result.ok)
    throw new CoffreError(
      'USAGE',
      `Refusing to save an invalid config:\n  ${result.errors.join('\n  ')}`,
    );
  try {
    await writeFileAtomic(file, JSON.stringify(result.config, null, 2) + '\n', 0o600);
  } catch (err) {
    if (diskFullAt(err, path.dirname(file))) {
      throw homeDiskFull(path.dirname(file), 'saving the config', err);
    }
    throw homeFileError(file, err) ?? err;
  }
}

/** Resolves a config path (relative to the home) to an absolute one. */
export function resolveFromHome(home: string, p: string): string {
  return path.resolve(home, p);
}

/** Which retention applies in a destination: its own, else the general one. */
export function retentionFor(config: Config, destination: string): Config['retention'] {
  return config.retentionByDestination[destination] ?? config.retention;
}

/**
 * The home's config, held in memory and changed through one function: every
 * update is validated whole (shape and rules) before it is written
 * atomically, and only then becomes the current config.
 */
export class ConfigStore {
  private readonly listeners: ((action: string, before: Config, after: Config) => void)[] = [];

  private constructor(
    readonly file: string,
    private current: Config,
  ) {}

  /** Called after each saved change, with what it was (e.g. "destination-add"): the journal listens. */
  onChange(listener: (action: string, before: Config, after: Config) => void): void {
    this.listeners.push(listener);
  }

  static async load(file: string): Promise<ConfigStore> {
    return new ConfigStore(file, await loadConfig(file));
  }

  /** A store for a config just created (and already saved). */
  static of(file: string, config: Config): ConfigStore {
    return new ConfigStore(file, config);
  }

  get(): Readonly<Config> {
    return this.current;
  }

  /**
   * Applies a change to a copy, validates the result, saves it, and makes it
   * current. `action` names the change for Coffre's journal.
   */
  async update(change: (config: Config) => Config, action = 'settings-change'): Promise<Config> {
    const next = change(structuredClone(this.current));
    const result = validateConfig(next);
    if (!result.ok) {
      throw new CoffreError('USAGE', `That change is not valid: ${result.errors.join('; ')}.`, {
        details: { errors: result.errors },
      });
    }
    await writeFileAtomic(this.file, JSON.stringify(result.config, null, 2) + '\n', 0o600);
    const before = this.current;
    this.current = result.config;
    for (const listener of this.listeners) listener(action, before, result.config);
    return result.config;
  }
}
