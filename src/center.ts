// BackupCenter: the one facade. The CLI, the HTTP API, the scheduler and host
// apps call these methods and nothing below them; the rules live here and in
// core/, the I/O in source/, archive/, destinations/ and state/.

import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  checkArchive,
  fingerprint,
  readArchive,
  type ArchiveContents,
  type ReadOptions,
} from './archive/reader.js';
import { writeArchive, type ArchiveSnapshot } from './archive/writer.js';
import { isAgeRecipient } from './archive/age.js';
import { asCoffreError, CoffreError, isCoffreError } from './core/errors.js';
import {
  archiveExtension,
  backupId,
  ENTRY,
  foreign,
  FORMAT_NAME,
  FORMAT_VERSION,
  fingerprintMessage,
  isBackupId,
  parseArchiveName,
  SIDECAR_SUFFIX,
  type ArchiveHeader,
  type Origin,
  type Sidecar,
} from './core/manifest.js';
import { getProfile, type Profile } from './core/profiles.js';
import {
  describePolicy,
  planRetention,
  validatePolicy,
  type RetentionPolicy,
} from './core/retention.js';
import { describeSpec, isDue, nextRun, validateSpec, type ScheduleSpec } from './core/schedule.js';
import { summarizeSections } from './core/sections.js';
import { FolderDestination } from './destinations/folder.js';
import { openDestination } from './destinations/open.js';
import type { Destination, Upload, Usage } from './destinations/types.js';
import {
  fitsInQuota,
  quotaExceeded,
  quotaPercent,
  quotaWarning,
  roomLeft,
  type QuotaState,
} from './core/quota.js';
import { createDemoData, type DemoOptions } from './source/demo.js';
import { listFiles } from './source/files.js';
import { takeSnapshot } from './source/snapshot.js';
import { isEncryptedDatabaseFile, openDatabase } from './source/sqlite.js';
import type { RestorePlan } from './restore/plan.js';
import {
  RestoreService,
  type JobSummary,
  type RestoreOptions,
  type RestoreResult,
} from './restore/service.js';
import {
  configSchema,
  DESTINATION_NAME,
  loadConfig,
  resolveFromHome,
  saveConfig,
  type Config,
  destinationSchema,
  type DestinationConfig,
  type S3DestinationConfig,
} from './state/config.js';
import { homePaths, type HomePaths } from './state/home.js';
import {
  createIdentity,
  keyFingerprint,
  loadIdentity,
  saveIdentity,
  sign,
  isOwnRegister,
  verifySignature,
  type Identity,
} from './state/identity.js';
import { acquireJobLock, type JobLock } from './state/lock.js';
import { readSecretFile, type CloudCredentials } from './state/secrets.js';
import { StateDb, type JobRecord } from './state/statedb.js';
import { COFFRE_VERSION } from './version.js';

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

export interface OpenOptions {
  /**
   * Credentials for cloud destinations that have no credentials file. The
   * library never reads the environment; the CLI passes AWS_ACCESS_KEY_ID and
   * AWS_SECRET_ACCESS_KEY here.
   */
  cloudCredentials?: CloudCredentials | null;
}

export interface Progress {
  phase: 'snapshot' | 'archive' | 'read' | 'download' | 'check' | 'safety' | 'apply';
  done: number;
  total: number;
}

export interface BackupOptions {
  /** Destination names; the config's defaults when empty. */
  to?: string[];
  /** age recipients for this backup, instead of the config's. */
  recipients?: string[];
  /** A passphrase for this backup, instead of the config's. */
  passphrase?: string | null;
  origin?: Origin;
  note?: string | null;
  now?: Date;
  /** What started it, kept in the history: manual, schedule, on-close, guard. */
  trigger?: string;
  /** Apply each destination's retention after the backup (default true). */
  applyRetention?: boolean;
  /** A missing files folder or settings file counts as empty (the safety backup of a restore). */
  allowMissingSources?: boolean;
  /** Send this backup to cloud destinations even if it is not encrypted. */
  allowUnencrypted?: boolean;
  /** zstd level for this backup instead of the config's, or 'store' (the safety backup of a restore). */
  compressionLevel?: number | 'store';
  onProgress?: (p: Progress) => void;
}

export interface BackupResult {
  id: string;
  archive: string;
  registerName: string;
  destinations: { name: string; location: string }[];
  size: number;
  sha256: string;
  encrypted: boolean;
  origin: Origin;
  counts: { tables: Record<string, number>; files: number; sourceBytes: number };
  durationMs: number;
  warnings: string[];
  /** Backups that retention removed, before this one (to fit a quota) or after it. */
  pruned: { destination: string; id: string }[];
  /**
   * Destinations that did not get this backup, and why. The backup exists in
   * the others; it fails as a whole only when no destination got it.
   */
  failed: {
    destination: string;
    code: string;
    message: string;
    details: Readonly<Record<string, unknown>>;
  }[];
}

export interface RetentionEntry {
  destination: string;
  id: string;
  archive: string;
  createdAt: string;
  origin: Origin;
  keep: boolean;
  reasons: string[];
}

export interface RetentionReport {
  policies: { destination: string; policy: RetentionPolicy; describe: string }[];
  entries: RetentionEntry[];
  unavailable: { destination: string; code: string; message: string }[];
}

export type { RestoreOptions, RestoreResult } from './restore/service.js';

export interface ScheduleInfo {
  timeZone: string;
  backup: { spec: ScheduleSpec; describe: string; next: string; last: JobRecord | null } | null;
  verify: { spec: ScheduleSpec; describe: string; next: string; last: JobRecord | null } | null;
  onClose: boolean;
  destinations: string[];
  since: string | null;
}

export interface BackupEntry {
  id: string;
  archive: string;
  destination: string;
  createdAt: string;
  size: number;
  sha256: string;
  origin: Origin;
  note: string | null;
  appVersion: string | null;
  coffreVersion: string;
  encrypted: boolean;
  registerId: string;
  registerName: string;
}

export interface KeyOptions {
  /** Contents of age identity files (AGE-SECRET-KEY-1... lines). */
  identities?: string[];
  passphrase?: string | null;
}

export interface VerifyOptions extends KeyOptions {
  /** Also restore into a scratch folder and check the database and files there. */
  deep?: boolean;
  /** Only look in this destination. */
  from?: string;
  /** What started it, kept in the history: manual, schedule. */
  trigger?: string;
  /** When the verification counts as made (the scheduler's clock). */
  now?: Date;
  onProgress?: (p: Progress) => void;
}

export interface VerifyReport {
  id: string;
  archive: string;
  destination: string | null;
  /** fingerprint: the file's hash and signed sidecar only (encrypted, no key); full: every entry; deep: also a test restore. */
  level: 'fingerprint' | 'full' | 'deep';
  sha256: string;
  size: number;
  encrypted: boolean;
  checks: { name: string; detail: string }[];
  notChecked: string | null;
}

export interface StatusReport {
  register: { id: string; name: string; profile: string; keyFingerprint: string };
  source: {
    database: string;
    headline: { label: string; count: number } | null;
    files: { label: string; count: number; bytes: number } | null;
    databaseBytes: number;
    encrypted: boolean;
  };
  lastBackup: (BackupEntry & { ageMs: number }) | null;
  lastFailure: JobRecord | null;
  /** The last deep verification (test restore) that passed. */
  lastTestRestore: { at: string; backupId: string | null } | null;
  schedule: {
    backup: string | null;
    verify: string | null;
    onClose: boolean;
    nextBackup: string | null;
  };
  /** Things someone should act on: no backup, a stale one, a failure. */
  warnings: string[];
  destinations: {
    name: string;
    kind: string;
    location: string;
    backups: number | null;
    error: string | null;
  }[];
  encryption: { recipients: number; passphrase: boolean };
  /** Each cloud destination's space against its quota. */
  cloud: CloudUsage[];
}

export interface DestinationInfo {
  name: string;
  kind: string;
  location: string;
  isDefault: boolean;
  usage: Usage | null;
  error: { code: string; message: string } | null;
  /** Cloud destinations: whether unencrypted backups may be sent there. */
  allowUnencrypted?: boolean;
}

/** A cloud destination's space: what the plan allows, what is used, what retention keeps. */
export interface CloudUsage {
  name: string;
  location: string;
  usedBytes: number | null;
  quotaBytes: number | null;
  freeBytes: number | null;
  percent: number | null;
  /** Backups of every register in it, and this register's. */
  backups: number | null;
  ownBackups: number | null;
  ownBytes: number | null;
  retention: string;
  warning: string | null;
  error: { code: string; message: string } | null;
}

export interface DemoResult {
  home: string;
  dataDir: string;
  profile: string;
  counts: Record<string, number>;
}

/** What BackupCenter tells a host app as it happens (`center.events.on('restore', ...)`). */
export interface CenterEvents {
  backup: [{ id: string; origin: Origin; destinations: string[] }];
  restore: [
    | { phase: 'planned'; backupId: string; plan: RestorePlan }
    | { phase: 'applied'; backupId: string; safetyBackupId: string | null; restartApp: boolean }
    | { phase: 'failed'; backupId: string; code: string; message: string },
  ];
}

/**
 * The backup center of one installation (one register).
 *
 * @example
 * const center = await BackupCenter.open('/var/lib/coffre');
 * const result = await center.backup({ to: ['local', 'usb'], note: 'before the update' });
 * console.log(result.id, result.sha256);
 * center.close();
 */
export class BackupCenter {
  private state: StateDb | undefined;
  private restoreService: RestoreService | undefined;
  private cloudCredentials: CloudCredentials | null = null;
  /** Events for a host app: a backup made, a restore planned, applied or failed. */
  readonly events = new EventEmitter<CenterEvents>();

  private constructor(
    readonly paths: HomePaths,
    private config: Config,
    readonly identity: Identity,
  ) {}

  /** Creates a home protecting an existing app's data. */
  static async init(options: InitOptions): Promise<BackupCenter> {
    const paths = homePaths(options.home);
    if (fs.existsSync(paths.config) || fs.existsSync(paths.identity)) {
      throw new CoffreError(
        'ALREADY_INITIALIZED',
        `${paths.root} already holds a Coffre installation.`,
        {
          details: { home: paths.root },
        },
      );
    }
    const profile = getProfile(options.profile);
    if (!options.name.trim()) throw new CoffreError('USAGE', 'The register needs a name (--name).');
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
    return new BackupCenter(paths, config, identity);
  }

  static async open(home: string, options: OpenOptions = {}): Promise<BackupCenter> {
    const paths = homePaths(home);
    const config = await loadConfig(paths.config);
    const identity = await loadIdentity(paths.identity);
    await fsp.mkdir(paths.tmp, { recursive: true });
    const center = new BackupCenter(paths, config, identity);
    center.cloudCredentials = options.cloudCredentials ?? null;
    center.recovered = await center.restoring.finishInterruptedRestore();
    return center;
  }

  /**
   * Takes the home's job lock. Holding it, no other job can be running, so
   * any job still marked running was killed: it is marked failed here.
   */
  private lockJob(job: string, now: Date): JobLock {
    const lock = acquireJobLock(this.paths.lock, this.paths.lockInfo, job, now);
    try {
      this.db.closeAbandonedJobs(now);
    } catch (err) {
      lock.release();
      throw err;
    }
    return lock;
  }

  /** The outcome of a restore that a crash interrupted, finished or rolled back when this center opened. */
  recovered: { outcome: 'rolled-forward' | 'rolled-back'; backupId: string } | null = null;

  /** Creates the built-in demo register (or accounting books) and a home protecting it. */
  static async createDemo(
    home: string,
    options: Omit<DemoOptions, 'dir'> & { name?: string; now?: Date } = { profile: 'pos' },
  ): Promise<DemoResult> {
    const paths = homePaths(home);
    if (fs.existsSync(paths.config)) {
      throw new CoffreError(
        'ALREADY_INITIALIZED',
        `${paths.root} already holds a Coffre installation.`,
      );
    }
    const dataDir = path.join(
      paths.root,
      options.profile === 'accounting' ? 'demo-books' : 'demo-register',
    );
    const { name, now, ...demo } = options;
    const data = await createDemoData({ ...demo, dir: dataDir });
    const center = await BackupCenter.init({
      home: paths.root,
      name:
        name ??
        (options.profile === 'accounting'
          ? 'Atelier Dupont (demo books)'
          : 'Boulangerie Martin (demo register)'),
      profile: options.profile,
      database: data.dbPath,
      files: data.filesDir,
      settings: data.settingsPath,
      appVersion: options.profile === 'accounting' ? 'demo-books 2.3.0' : 'demo-pos 4.8.1',
      now: now ?? new Date(),
    });
    center.close();
    return { home: paths.root, dataDir, profile: options.profile, counts: data.counts };
  }

  get configuration(): Readonly<Config> {
    return this.config;
  }

  private get db(): StateDb {
    this.state ??= new StateDb(this.paths.stateDb);
    return this.state;
  }

  private get profile(): Profile {
    return getProfile(this.config.source.profile);
  }

  private sourcePath(p: string): string {
    return resolveFromHome(this.paths.root, p);
  }

  private databaseKey(): string | null {
    const file = this.config.source.databaseKeyFile;
    return file ? readSecretFile(this.sourcePath(file)) : null;
  }

  // ---------------------------------------------------------------- destinations

  private destination(name: string): Destination {
    if (name === 'local') return new FolderDestination('local', 'local', this.paths.backups);
    const conf = this.config.destinations[name];
    if (!conf) {
      const known = ['local', ...Object.keys(this.config.destinations)].join(', ');
      throw new CoffreError(
        'DESTINATION_UNAVAILABLE',
        `There is no destination named "${name}" (known: ${known}).`,
        {
          details: { destination: name },
        },
      );
    }
    return openDestination(name, conf, {
      resolvePath: (p) => this.sourcePath(p),
      cloudCredentials: this.cloudCredentials,
    });
  }

  private allDestinations(): Destination[] {
    return ['local', ...Object.keys(this.config.destinations)].map((n) => this.destination(n));
  }

  async addDestination(name: string, conf: DestinationConfig): Promise<DestinationInfo> {
    if (!DESTINATION_NAME.test(name)) {
      throw new CoffreError(
        'USAGE',
        `"${name}" is not a valid destination name: use lower-case letters, digits, - and _ (up to 32).`,
      );
    }
    if (name === 'local' || name in this.config.destinations) {
      throw new CoffreError('USAGE', `A destination named "${name}" already exists.`);
    }
    const checked = checkDestination(name, conf);
    // Two destinations on the same place would clean up each other's uploads.
    const same = Object.entries(this.config.destinations).find(
      ([, d]) =>
        (d.kind === 'external' && checked.kind === 'external' && d.path === checked.path) ||
        (d.kind === 's3' &&
          checked.kind === 's3' &&
          d.endpoint === checked.endpoint &&
          d.bucket === checked.bucket &&
          d.prefix === checked.prefix),
    );
    if (same) {
      throw new CoffreError(
        'USAGE',
        `Destination "${same[0]}" already writes to that place; use it, or give this one another ${checked.kind === 's3' ? 'prefix' : 'folder'}.`,
      );
    }
    const next: Config = {
      ...this.config,
      destinations: { ...this.config.destinations, [name]: checked },
    };
    await saveConfig(this.paths.config, next);
    this.config = next;
    // A new destination proves it can take backups now, not at the first night.
    return this.describeDestination(name, { probe: true });
  }

  /** Changes a cloud destination's quota or unencrypted-upload setting. */
  async updateDestination(
    name: string,
    patch: Partial<Pick<S3DestinationConfig, 'quotaBytes' | 'allowUnencrypted'>>,
  ): Promise<DestinationInfo> {
    this.destination(name);
    const conf = this.config.destinations[name];
    if (conf?.kind !== 's3') {
      throw new CoffreError(
        'USAGE',
        `"${name}" is not a cloud destination: only cloud destinations have a quota and an unencrypted-upload setting.`,
      );
    }
    const next: Config = {
      ...this.config,
      destinations: {
        ...this.config.destinations,
        [name]: checkDestination(name, { ...conf, ...patch }),
      },
    };
    await saveConfig(this.paths.config, next);
    this.config = next;
    return this.describeDestination(name);
  }

  async removeDestination(name: string): Promise<void> {
    if (name === 'local')
      throw new CoffreError('USAGE', 'The "local" destination is built in and cannot be removed.');
    if (!(name in this.config.destinations)) this.destination(name);
    const rest = Object.fromEntries(
      Object.entries(this.config.destinations).filter(([n]) => n !== name),
    );
    const defaults = this.config.defaultDestinations.filter((d) => d !== name);
    const next: Config = {
      ...this.config,
      destinations: rest,
      defaultDestinations: defaults.length > 0 ? defaults : ['local'],
    };
    await saveConfig(this.paths.config, next);
    this.config = next;
  }

  private async describeDestination(
    name: string,
    options: { probe?: boolean } = {},
  ): Promise<DestinationInfo> {
    const dest = this.destination(name);
    let usage: Usage | null = null;
    let error: DestinationInfo['error'] = null;
    try {
      await dest.check();
      if (options.probe) await dest.probe?.();
      usage = await dest.usage();
    } catch (err) {
      const e = asCoffreError(err);
      error = { code: e.code, message: e.message };
    }
    return {
      name,
      kind: dest.kind,
      location: dest.location,
      isDefault: this.config.defaultDestinations.includes(name),
      usage,
      error,
      ...(dest.kind === 's3' ? { allowUnencrypted: this.cloudConfig(name).allowUnencrypted } : {}),
    };
  }

  private cloudConfig(name: string): S3DestinationConfig {
    const conf = this.config.destinations[name];
    if (conf?.kind !== 's3')
      throw new CoffreError('INTERNAL', `"${name}" is not a cloud destination.`);
    return conf;
  }

  /** Each cloud destination's used and free space against its quota, and the retention in force there. */
  async cloudUsage(): Promise<CloudUsage[]> {
    const names = Object.keys(this.config.destinations).filter(
      (n) => this.config.destinations[n].kind === 's3',
    );
    return Promise.all(
      names.map(async (name): Promise<CloudUsage> => {
        const dest = this.destination(name);
        const retention = describePolicy(this.policyFor(name));
        try {
          const usage = await dest.usage();
          const own = await dest.list(this.identity.id);
          const state: QuotaState | null =
            usage.quotaBytes === null
              ? null
              : { usedBytes: usage.usedBytes, quotaBytes: usage.quotaBytes };
          return {
            name,
            location: dest.location,
            usedBytes: usage.usedBytes,
            quotaBytes: usage.quotaBytes,
            freeBytes: usage.freeBytes,
            percent: state ? quotaPercent(state) : null,
            backups: usage.backups,
            ownBackups: own.length,
            ownBytes: own.reduce((n, s) => n + s.size, 0),
            retention,
            warning: state ? quotaWarning(name, state) : null,
            error: null,
          };
        } catch (err) {
          const e = asCoffreError(err);
          return {
            name,
            location: dest.location,
            usedBytes: null,
            quotaBytes: this.cloudConfig(name).quotaBytes,
            freeBytes: null,
            percent: null,
            backups: null,
            ownBackups: null,
            ownBytes: null,
            retention,
            warning: null,
            error: { code: e.code, message: e.message },
          };
        }
      }),
    );
  }

  async destinations(): Promise<DestinationInfo[]> {
    return Promise.all(
      ['local', ...Object.keys(this.config.destinations)].map((n) => this.describeDestination(n)),
    );
  }

  // ---------------------------------------------------------------- backup

  private resolveEncryption(options: BackupOptions): {
    recipients: string[];
    passphrase: string | null;
  } {
    const explicit = (options.recipients?.length ?? 0) > 0 || !!options.passphrase;
    const recipients = explicit ? (options.recipients ?? []) : this.config.encryption.recipients;
    const passphrase = explicit
      ? (options.passphrase ?? null)
      : this.config.encryption.passphraseFile
        ? readSecretFile(this.sourcePath(this.config.encryption.passphraseFile))
        : null;
    for (const r of recipients) {
      if (!isAgeRecipient(r)) {
        throw new CoffreError(
          'USAGE',
          `"${r}" is not an age recipient (it should start with age1, as age-keygen prints).`,
        );
      }
    }
    if (recipients.length > 0 && passphrase) {
      throw new CoffreError(
        'USAGE',
        'Use either recipients or a passphrase for one backup, not both.',
      );
    }
    return { recipients, passphrase };
  }

  /** Takes a backup and writes it to each destination. One job at a time per home. */
  async backup(options: BackupOptions = {}): Promise<BackupResult> {
    const lock = this.lockJob('backup', options.now ?? new Date());
    try {
      return await this.backupLocked(options);
    } finally {
      lock.release();
    }
  }

  /** The backup itself; the caller holds the job lock. */
  private async backupLocked(options: BackupOptions): Promise<BackupResult> {
    const now = options.now ?? new Date();
    const started = Date.now();
    const origin = options.origin ?? 'manual';
    const names =
      options.to && options.to.length > 0
        ? [...new Set(options.to)]
        : this.config.defaultDestinations;
    // Every attempt is in the history, including one refused before it starts.
    const jobId = this.db.startJob('backup', now, names, { trigger: options.trigger ?? 'manual' });
    const uploads: { dest: Destination; upload: Upload }[] = [];
    const failed: BackupResult['failed'] = [];
    const pruned: BackupResult['pruned'] = [];
    const warnings: string[] = [];
    let snapshotFile: string | null = null;
    try {
      const destinations = names.map((n) => this.destination(n));
      const source = this.config.source;
      const dbFile = this.sourcePath(source.database);
      if (!fs.existsSync(dbFile)) {
        throw new CoffreError('SOURCE_UNAVAILABLE', `The database ${dbFile} does not exist.`, {
          details: { file: dbFile },
        });
      }
      const key = this.databaseKey();
      const sourceEncrypted = key !== null || isEncryptedDatabaseFile(dbFile);
      const encryption = this.resolveEncryption(options);
      const encrypted = encryption.recipients.length > 0 || encryption.passphrase !== null;
      if (sourceEncrypted && !encrypted) {
        throw new CoffreError(
          'ENCRYPTION_REQUIRED',
          'The database is encrypted, so its backups must be encrypted too.',
        );
      }
      const id = backupId(this.identity.name, this.identity.id, now);
      const archive = id + archiveExtension(encrypted);
      snapshotFile = path.join(this.paths.tmp, `snapshot-${id}.db`);
      const snapshotPath = snapshotFile;
      // Each destination gets ready on its own: one that cannot take this
      // backup (an unplugged drive, a full cloud plan) is reported, and the
      // others still get it. The backup fails only when none can.
      const ready: { dest: Destination; limitBytes?: number }[] = [];
      const dropped: CoffreError[] = [];
      const drop = (dest: Destination, err: unknown) => {
        const e = asCoffreError(err);
        dropped.push(e);
        failed.push({
          destination: dest.name,
          code: e.code,
          message: e.message,
          details: e.details,
        });
      };
      for (const dest of destinations) {
        try {
          await dest.check();
          try {
            await dest.sweep(this.identity.id);
          } catch (err) {
            // Leftovers cost space, not safety: e.g. a key that may not delete.
            warnings.push(
              `The leftovers of an interrupted backup in "${dest.name}" could not be removed: ${asCoffreError(err).message}`,
            );
          }
          let limitBytes: number | undefined;
          if (dest.kind === 's3') {
            this.refuseUnencrypted(dest.name, encrypted, options.allowUnencrypted === true);
            limitBytes = await this.makeRoom(
              dest,
              { id, now, origin },
              pruned,
              options.applyRetention !== false,
            );
          }
          ready.push({ dest, ...(limitBytes === undefined ? {} : { limitBytes }) });
        } catch (err) {
          drop(dest, err);
        }
      }
      if (ready.length === 0) throw dropped[0];
      await sweepTmp(this.paths.tmp);
      const present = (p: string | null): p is string =>
        p !== null && (!options.allowMissingSources || fs.existsSync(this.sourcePath(p)));
      const files = present(source.files) ? await listFiles(this.sourcePath(source.files)) : [];
      const filesBytes = files.reduce((n, f) => n + f.size, 0);
      const dbBytes = fs.statSync(dbFile).size;
      options.onProgress?.({ phase: 'snapshot', done: 0, total: dbBytes + filesBytes });
      const snapshot: Promise<ArchiveSnapshot> = takeSnapshot({
        source: dbFile,
        target: snapshotPath,
        key,
      }).then((result) => ({
        file: snapshotPath,
        entryName: path.basename(dbFile),
        result,
      }));
      // Failures surface where the writer awaits it; this only marks it handled.
      snapshot.catch(() => undefined);
      for (const { dest, limitBytes } of ready) {
        try {
          const upload = await dest.put(archive, {
            expectedBytes: dbBytes + filesBytes,
            ...(limitBytes === undefined ? {} : { limitBytes }),
          });
          uploads.push({ dest, upload });
        } catch (err) {
          drop(dest, err);
        }
      }
      if (uploads.length === 0) throw dropped[0];

      const profile = this.profile;
      const makeHeader = (
        snap: ArchiveSnapshot,
        filesInfo: { count: number; bytes: number },
        settings: { entry: string; bytes: number } | null,
      ): ArchiveHeader => ({
        format: FORMAT_NAME,
        formatVersion: FORMAT_VERSION,
        id,
        createdAt: now.toISOString(),
        origin,
        note: options.note ?? null,
        register: {
          id: this.identity.id,
          name: this.identity.name,
          publicKey: this.identity.publicKey,
          keyFingerprint: keyFingerprint(this.identity.publicKey),
        },
        app: {
          profile: profile.name,
          version: source.appVersion,
          schemaVersion: snap.result.schemaVersion,
        },
        coffre: { version: COFFRE_VERSION },
        database: {
          entry: ENTRY.databaseDir + snap.entryName,
          bytes: snap.result.bytes,
          pageSize: snap.result.pageSize,
          sourceEncrypted: snap.result.encrypted,
          tables: snap.result.tables,
        },
        files: { label: profile.filesLabel, count: filesInfo.count, bytes: filesInfo.bytes },
        settings,
        sections: summarizeSections(
          profile,
          snap.result.tables,
          source.files ? filesInfo.count : null,
          settings !== null,
        ),
        encryption: {
          encrypted,
          method: !encrypted ? null : encryption.passphrase ? 'age-scrypt' : 'age-x25519',
          recipients: encryption.recipients,
        },
      });

      const written = await writeArchive({
        identity: this.identity,
        settingsFile: present(source.settings) ? this.sourcePath(source.settings) : null,
        files,
        snapshot,
        makeHeader,
        encryption,
        compressionLevel: options.compressionLevel ?? this.config.compressionLevel,
        outputs: uploads.map((u) => u.upload.stream),
        estimatedBytes: dbBytes + filesBytes,
        ...(options.onProgress
          ? {
              onProgress: (done: number, total: number) =>
                options.onProgress!({ phase: 'archive', done, total }),
            }
          : {}),
      });
      const sidecar: Sidecar = {
        sidecarVersion: 1,
        archive,
        size: written.size,
        sha256: written.sha256,
        fingerprintSignature: sign(
          this.identity,
          fingerprintMessage(archive, written.sha256),
        ).toString('base64'),
        header: written.header,
      };
      const committed: Destination[] = [];
      for (const [index, { dest, upload }] of uploads.entries()) {
        try {
          const lost = written.failedOutputs.get(index);
          if (lost) throw lost;
          await upload.commit(sidecar);
          committed.push(dest);
        } catch (err) {
          await upload.abort().catch(() => undefined);
          drop(dest, err);
        }
      }
      if (committed.length === 0) throw dropped[0];
      const done = committed.map((d) => d.name);
      this.db.finishJob(jobId, new Date(), {
        result: 'ok',
        backupId: id,
        bytes: written.size,
        sha256: written.sha256,
        ...(failed.length > 0
          ? {
              errorCode: failed[0].code,
              errorMessage: `Not saved to ${failed.map((f) => f.destination).join(', ')}: ${failed.map((f) => f.message).join(' ')}`,
            }
          : {}),
      });
      this.events.emit('backup', { id, origin, destinations: done });
      // Retention runs after a good backup only, and never removes the one just made.
      // The backup is committed: a retention failure (a drive pulled out just
      // now) is a warning, never a failed backup.
      if (options.applyRetention !== false) {
        try {
          const plan = await this.retentionPlan(now, done);
          for (const entry of plan.entries) {
            if (entry.keep || entry.id === id) continue;
            await this.destination(entry.destination).delete(entry.archive);
            pruned.push({ destination: entry.destination, id: entry.id });
          }
        } catch (err) {
          written.warnings.push(
            `Retention could not run after this backup: ${asCoffreError(err).message} It will run after the next one, or with coffre prune.`,
          );
        }
      }
      for (const dest of committed) {
        if (dest.kind !== 's3') continue;
        const usage = await dest.usage().catch(() => null);
        if (usage?.quotaBytes != null) {
          const warning = quotaWarning(dest.name, {
            usedBytes: usage.usedBytes,
            quotaBytes: usage.quotaBytes,
          });
          if (warning) written.warnings.push(warning);
        }
      }
      return {
        id,
        archive,
        registerName: this.identity.name,
        destinations: committed.map((d) => ({ name: d.name, location: d.location })),
        size: written.size,
        sha256: written.sha256,
        encrypted,
        origin,
        counts: {
          tables: written.header.database.tables,
          files: files.length,
          sourceBytes: dbBytes + filesBytes,
        },
        durationMs: Date.now() - started,
        warnings: [...warnings, ...written.warnings],
        pruned,
        failed,
      };
    } catch (err) {
      await Promise.all(uploads.map((u) => u.upload.abort().catch(() => undefined)));
      throw this.jobFailed(jobId, err);
    } finally {
      if (snapshotFile) {
        await fsp.rm(snapshotFile, { force: true });
        await fsp.rm(snapshotFile + '-journal', { force: true });
      }
    }
  }

  /** Cloud destinations take unencrypted backups only when the user allowed it. */
  private refuseUnencrypted(name: string, encrypted: boolean, allowed: boolean): void {
    if (encrypted || allowed || this.cloudConfig(name).allowUnencrypted) return;
    throw new CoffreError(
      'UNENCRYPTED_UPLOAD',
      `This backup is not encrypted, and "${name}" is a cloud destination: the provider could read the register's data. Nothing was uploaded there.`,
      { details: { destination: name } },
    );
  }

  /**
   * Before an upload to a destination with a quota: when the backup would not
   * fit, applies that destination's retention first (as it would stand with
   * this backup made, never removing the newest backup there), then refuses
   * with QUOTA_EXCEEDED if it still does not fit. Returns the bytes left,
   * which the upload may not pass.
   */
  private async makeRoom(
    dest: Destination,
    pending: { id: string; now: Date; origin: Origin },
    pruned: BackupResult['pruned'],
    applyRetention: boolean,
  ): Promise<number | undefined> {
    const usage = await dest.usage();
    if (usage.quotaBytes === null) return undefined;
    let state: QuotaState = { usedBytes: usage.usedBytes, quotaBytes: usage.quotaBytes };
    const estimate = this.db.lastBackupBytes();
    let removed = 0;
    if (!fitsInQuota(state, estimate) && applyRetention) {
      const plan = await this.retentionPlan(pending.now, [dest.name], pending);
      const newest = plan.entries.reduce<RetentionEntry | null>(
        (a, e) => (a === null || e.createdAt > a.createdAt ? e : a),
        null,
      );
      for (const entry of plan.entries) {
        if (entry.keep || entry === newest) continue;
        await dest.delete(entry.archive);
        pruned.push({ destination: dest.name, id: entry.id });
        removed++;
      }
      const after = await dest.usage();
      state = { usedBytes: after.usedBytes, quotaBytes: usage.quotaBytes };
    }
    if (!fitsInQuota(state, estimate)) {
      throw quotaExceeded(
        dest.name,
        state,
        estimate,
        describePolicy(this.policyFor(dest.name)),
        removed,
      );
    }
    return roomLeft(state);
  }

  // ---------------------------------------------------------------- listing

  private toEntry(destination: string, s: Sidecar): BackupEntry {
    return {
      id: s.header.id,
      archive: s.archive,
      destination,
      createdAt: s.header.createdAt,
      size: s.size,
      sha256: s.sha256,
      origin: s.header.origin,
      note: s.header.note,
      appVersion: s.header.app.version,
      coffreVersion: s.header.coffre.version,
      encrypted: s.header.encryption.encrypted,
      registerId: s.header.register.id,
      registerName: s.header.register.name,
    };
  }

  /** Every backup of this register in every destination, oldest first; unreachable destinations are reported apart. */
  async list(options: { allRegisters?: boolean } = {}): Promise<{
    backups: BackupEntry[];
    unavailable: { destination: string; code: string; message: string }[];
  }> {
    const backups: BackupEntry[] = [];
    const unavailable: { destination: string; code: string; message: string }[] = [];
    for (const dest of this.allDestinations()) {
      try {
        for (const s of await dest.list(options.allRegisters ? undefined : this.identity.id)) {
          if (options.allRegisters || s.header.register.id === this.identity.id) {
            backups.push(this.toEntry(dest.name, s));
          }
        }
      } catch (err) {
        const e = asCoffreError(err);
        unavailable.push({ destination: dest.name, code: e.code, message: e.message });
      }
    }
    backups.sort(
      (a, b) =>
        a.createdAt.localeCompare(b.createdAt) || a.destination.localeCompare(b.destination),
    );
    return { backups, unavailable };
  }

  /** Finds a backup by id, unique id prefix, `latest`, or an archive file path. */
  private async locate(
    ref: string,
    from?: string,
    allRegisters = false,
  ): Promise<{
    open: () => Promise<Readable>;
    archive: string;
    destination: string | null;
    sidecar: Sidecar | null;
    /** Read over the network (a cloud destination). */
    remote: boolean;
  }> {
    if ((ref.includes('/') || ref.includes(path.sep)) && fs.existsSync(ref)) {
      const file = path.resolve(ref);
      let sidecar: Sidecar | null = null;
      try {
        sidecar = JSON.parse(await fsp.readFile(file + SIDECAR_SUFFIX, 'utf8')) as Sidecar;
      } catch {
        sidecar = null;
      }
      return {
        open: () => Promise.resolve(fs.createReadStream(file, { highWaterMark: 1 << 20 })),
        archive: path.basename(file),
        destination: null,
        sidecar,
        remote: false,
      };
    }
    const { backups, unavailable } = await this.list({ allRegisters });
    const pool = from ? backups.filter((b) => b.destination === from) : backups;
    if (from) this.destination(from);
    let matches: BackupEntry[];
    if (ref === 'latest') {
      // In a bucket shared by a fleet, "latest" of which register? Never guess.
      const registers = new Map(pool.map((b) => [b.registerId, b.registerName]));
      if (registers.size > 1) {
        throw new CoffreError(
          'USAGE',
          `"latest" is ambiguous: ${from ? `destination "${from}"` : 'the destinations'} hold backups of ${registers.size} registers (${[
            ...registers,
          ]
            .map(([rid, name]) => `${name} ${rid.slice(0, 8)}`)
            .join(', ')}). Give the backup's id: see coffre list --all-registers.`,
        );
      }
      matches = pool.length > 0 ? pool.filter((b) => b.id === pool[pool.length - 1].id) : [];
    } else {
      const bare = parseArchiveName(ref)?.id ?? ref;
      matches = pool.filter((b) => b.id === bare);
      if (matches.length === 0) matches = pool.filter((b) => b.id.startsWith(bare));
    }
    const ids = [...new Set(matches.map((m) => m.id))];
    if (ids.length === 0) {
      const hint =
        unavailable.length > 0
          ? ` (not reachable: ${unavailable.map((u) => u.destination).join(', ')})`
          : '';
      throw new CoffreError(
        'BACKUP_NOT_FOUND',
        `No backup "${ref}" in ${from ? `destination "${from}"` : 'any destination'}${hint}.`,
        {
          details: { ref },
        },
      );
    }
    if (ids.length > 1) {
      throw new CoffreError(
        'USAGE',
        `"${ref}" matches several backups: ${ids.slice(0, 5).join(', ')}. Give more of the id.`,
      );
    }
    // The same backup may be in several destinations: prefer the local copy.
    const chosen = matches.find((m) => m.destination === 'local') ?? matches[0];
    const dest = this.destination(chosen.destination);
    const sidecar =
      (await dest.list(chosen.registerId)).find((s) => s.archive === chosen.archive) ?? null;
    return {
      open: () => dest.get(chosen.archive),
      archive: chosen.archive,
      destination: dest.name,
      sidecar,
      remote: dest.kind === 's3',
    };
  }

  // ---------------------------------------------------------------- verify

  /**
   * Checks a backup: the whole-archive fingerprint and its signature, then
   * (with the key, if encrypted) every entry's hash against the signed list;
   * `deep` also restores into a scratch folder and checks the database there.
   * Throws a CoffreError naming what is wrong.
   */
  async verify(ref: string, options: VerifyOptions = {}): Promise<VerifyReport> {
    const jobId = this.db.startJob(
      'verify',
      options.now ?? new Date(),
      options.from ? [options.from] : [],
      {
        trigger: options.trigger ?? 'manual',
        ...(isBackupId(ref) ? { backupId: ref } : {}),
      },
    );
    return this.recorded(
      jobId,
      () => this.verifyUnrecorded(ref, options),
      (report) => ({
        backupId: report.id,
        bytes: report.size,
        sha256: report.sha256,
        detail: report.level,
      }),
    );
  }

  /** Writes a job's failure to the history; returns the error to throw. */
  private jobFailed(jobId: number, err: unknown): CoffreError {
    const e = asCoffreError(err);
    this.db.finishJob(jobId, new Date(), {
      result: 'failed',
      errorCode: e.code,
      errorMessage: e.message,
    });
    return e;
  }

  /** Runs a job's work and writes its outcome, success or error, to the history. */
  private async recorded<T>(
    jobId: number,
    work: () => Promise<T>,
    describe: (result: T) => JobSummary,
  ): Promise<T> {
    try {
      const result = await work();
      const { detail, ...outcome } = describe(result);
      this.db.finishJob(jobId, new Date(), { result: 'ok', ...outcome });
      if (detail !== undefined) this.db.setDetail(jobId, detail);
      return result;
    } catch (err) {
      throw this.jobFailed(jobId, err);
    }
  }

  private async verifyUnrecorded(ref: string, options: VerifyOptions): Promise<VerifyReport> {
    const found = await this.locate(ref, options.from);
    const checks: VerifyReport['checks'] = [];
    const id = parseArchiveName(found.archive)?.id ?? found.archive;
    const progress = (phase: Progress['phase']) => {
      let done = 0;
      const total = found.sidecar?.size ?? 0;
      return (n: number) => {
        done += n;
        options.onProgress?.({ phase, done, total: Math.max(total, done) });
      };
    };

    if (found.sidecar) {
      const s = found.sidecar;
      if (!isOwnRegister(this.identity, s.header.register)) throw foreign(s.header);
      if (
        !verifySignature(
          s.header.register.publicKey,
          fingerprintMessage(s.archive, s.sha256),
          Buffer.from(s.fingerprintSignature, 'base64'),
        )
      ) {
        throw new CoffreError(
          'BAD_SIGNATURE',
          `The metadata of ${found.archive} is not signed by this register's key.`,
        );
      }
      checks.push({ name: 'sidecar signature', detail: 'signed by this register' });
    }

    const encryptedArchive = found.archive.endsWith('.age');
    const haveKey =
      (options.identities?.length ?? 0) > 0 ||
      !!options.passphrase ||
      !!this.config.encryption.passphraseFile;
    if (encryptedArchive && !haveKey) {
      const { sha256, size } = await fingerprint(await found.open(), progress('read'));
      if (found.sidecar && sha256 !== found.sidecar.sha256)
        throw fingerprintMismatch(found.archive, sha256, found.sidecar.sha256);
      checks.push({
        name: 'fingerprint',
        detail: found.sidecar
          ? `SHA-256 ${sha256} matches`
          : `SHA-256 ${sha256} (no sidecar to compare)`,
      });
      return {
        id,
        archive: found.archive,
        destination: found.destination,
        level: 'fingerprint',
        sha256,
        size,
        encrypted: true,
        checks,
        notChecked:
          'The archive is encrypted and no key was given: its entries were not checked. Give --identity FILE or --passphrase-file FILE to check every entry.',
      };
    }

    const identities = options.identities ?? [];
    const passphrase =
      options.passphrase ??
      (this.config.encryption.passphraseFile && identities.length === 0
        ? readSecretFile(this.sourcePath(this.config.encryption.passphraseFile))
        : null);
    const scratch = options.deep
      ? await fsp.mkdtemp(path.join(this.paths.tmp, `verify-${id.slice(-20)}-`))
      : undefined;
    try {
      const contents = await this.readChecked(found, {
        identities,
        passphrase,
        ...(scratch ? { extractTo: scratch } : {}),
        onProgress: progress(found.remote ? 'download' : 'read'),
      });
      checks.push({
        name: 'fingerprint',
        detail: `SHA-256 ${contents.sha256}${found.sidecar ? ' matches the sidecar' : ''}`,
      });
      const { header, problems } = checkArchive(contents);
      if (!isOwnRegister(this.identity, header.register)) throw foreign(header);
      checks.push({
        name: 'signature',
        detail: `entry list signed by ${header.register.keyFingerprint}`,
      });
      if (problems.length > 0) {
        throw new CoffreError(
          'CORRUPT_ARCHIVE',
          `${found.archive} has damaged entries: ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? ` (and ${problems.length - 10} more)` : ''}.`,
          {
            details: { problems },
          },
        );
      }
      checks.push({ name: 'entries', detail: `${contents.entries.size} entries match SHA256SUMS` });
      if (scratch) checks.push(...this.deepChecks(scratch, header));
      return {
        id,
        archive: found.archive,
        destination: found.destination,
        level: scratch ? 'deep' : 'full',
        sha256: contents.sha256,
        size: contents.size,
        encrypted: contents.encrypted,
        checks,
        notChecked: null,
      };
    } finally {
      if (scratch) await fsp.rm(scratch, { recursive: true, force: true });
    }
  }

  /**
   * Reads a located archive (decrypting, hashing every entry, extracting if
   * asked) and checks the whole-file fingerprint against its sidecar.
   * Damaged bytes can look like a wrong key (a damaged key stanza) or a bad
   * signature: when the file does not match its recorded fingerprint, that
   * is the one true diagnosis, so it is what a failure reports.
   */
  private async readChecked(
    found: { open: () => Promise<Readable>; archive: string; sidecar: Sidecar | null },
    options: ReadOptions,
  ): Promise<ArchiveContents> {
    let contents: ArchiveContents;
    try {
      contents = await readArchive(await found.open(), options);
    } catch (err) {
      if (found.sidecar && isCoffreError(err) && err.code !== 'DESTINATION_UNAVAILABLE') {
        const { sha256 } = await fingerprint(await found.open());
        if (sha256 !== found.sidecar.sha256) {
          throw fingerprintMismatch(found.archive, sha256, found.sidecar.sha256);
        }
      }
      throw err;
    }
    if (found.sidecar && contents.sha256 !== found.sidecar.sha256) {
      throw fingerprintMismatch(found.archive, contents.sha256, found.sidecar.sha256);
    }
    return contents;
  }

  private deepChecks(scratch: string, header: ArchiveHeader): VerifyReport['checks'] {
    const dbFile = path.join(scratch, header.database.entry);
    const db = openDatabase(dbFile, {
      key: header.database.sourceEncrypted ? this.databaseKey() : null,
    });
    try {
      const result = db.pragma('integrity_check', { simple: true });
      if (result !== 'ok') {
        throw new CoffreError(
          'CORRUPT_ARCHIVE',
          `The archived database fails SQLite's integrity check: ${String(result)}.`,
        );
      }
      const wrong: string[] = [];
      for (const [table, rows] of Object.entries(header.database.tables)) {
        const actual = (
          db.prepare(`SELECT count(*) AS n FROM "${table.replace(/"/g, '""')}"`).get() as {
            n: number;
          }
        ).n;
        if (actual !== rows) wrong.push(`${table}: ${actual} rows, header says ${rows}`);
      }
      if (wrong.length > 0) {
        throw new CoffreError(
          'CORRUPT_ARCHIVE',
          `The archived database's row counts differ from its header: ${wrong.join('; ')}.`,
        );
      }
      const fk = db.prepare('PRAGMA foreign_key_check').all();
      const filesDir = path.join(scratch, ENTRY.filesDir);
      const fileCount = fs.existsSync(filesDir)
        ? fs
            .readdirSync(filesDir, { recursive: true, withFileTypes: true })
            .filter((e) => e.isFile()).length
        : 0;
      if (fileCount !== header.files.count) {
        throw new CoffreError(
          'CORRUPT_ARCHIVE',
          `The archive restores ${fileCount} ${header.files.label}, its header says ${header.files.count}.`,
        );
      }
      return [
        {
          name: 'test restore',
          detail: `restored into a scratch folder: ${fileCount} ${header.files.label}`,
        },
        { name: 'integrity_check', detail: 'ok' },
        {
          name: 'row counts',
          detail: `${Object.keys(header.database.tables).length} tables match the header`,
        },
        {
          name: 'foreign keys',
          detail: fk.length === 0 ? 'no violations' : `${fk.length} violations (as in the source)`,
        },
      ];
    } finally {
      db.close();
    }
  }

  // ---------------------------------------------------------------- status

  async status(now: Date = new Date()): Promise<StatusReport> {
    const profile = this.profile;
    const source = this.config.source;
    const dbFile = this.sourcePath(source.database);
    let headline: StatusReport['source']['headline'] = null;
    let databaseBytes = 0;
    let encrypted = false;
    if (fs.existsSync(dbFile)) {
      databaseBytes = fs.statSync(dbFile).size;
      encrypted = isEncryptedDatabaseFile(dbFile);
      if (profile.headline) {
        try {
          const db = openDatabase(dbFile, { key: this.databaseKey() });
          try {
            const n = (
              db.prepare(`SELECT count(*) AS n FROM "${profile.headline.table}"`).get() as {
                n: number;
              }
            ).n;
            headline = { label: profile.headline.label, count: n };
          } finally {
            db.close();
          }
        } catch {
          headline = null;
        }
      }
    }
    let files: StatusReport['source']['files'] = null;
    if (source.files) {
      const list = await listFiles(this.sourcePath(source.files)).catch(() => []);
      files = {
        label: profile.filesLabel,
        count: list.length,
        bytes: list.reduce((n, f) => n + f.size, 0),
      };
    }
    const { backups, unavailable } = await this.list();
    const last = backups.length > 0 ? backups[backups.length - 1] : null;
    const failures = this.db.jobs(20, 'backup').filter((j) => j.result === 'failed');
    const lastFailure =
      failures[0] && (!last || failures[0].startedAt > last.createdAt) ? failures[0] : null;
    const deep = this.db.jobs(200, 'verify').find((j) => j.result === 'ok' && j.detail === 'deep');
    const info = this.scheduleInfo(now);
    const warnings = backupWarnings(
      last ? last.createdAt : null,
      lastFailure,
      this.config.alerts.staleAfterHours,
      now,
    );
    const cloud = await this.cloudUsage();
    for (const u of cloud) if (u.warning) warnings.push(u.warning);
    return {
      register: {
        id: this.identity.id,
        name: this.identity.name,
        profile: profile.name,
        keyFingerprint: keyFingerprint(this.identity.publicKey),
      },
      source: { database: dbFile, headline, files, databaseBytes, encrypted },
      lastBackup: last ? { ...last, ageMs: now.getTime() - Date.parse(last.createdAt) } : null,
      lastFailure,
      lastTestRestore: deep
        ? { at: deep.endedAt ?? deep.startedAt, backupId: deep.backupId }
        : null,
      schedule: {
        backup: info.backup?.describe ?? null,
        verify: info.verify?.describe ?? null,
        onClose: info.onClose,
        nextBackup: info.backup?.next ?? null,
      },
      warnings,
      destinations: this.allDestinations().map((d) => {
        const down = unavailable.find((u) => u.destination === d.name);
        return {
          name: d.name,
          kind: d.kind,
          location: d.location,
          backups: down ? null : backups.filter((b) => b.destination === d.name).length,
          error: down ? down.message : null,
        };
      }),
      encryption: {
        recipients: this.config.encryption.recipients.length,
        passphrase: this.config.encryption.passphraseFile !== null,
      },
      cloud,
    };
  }

  /** Sets the encryption used by backups that do not name their own. */
  async setEncryption(encryption: {
    recipients: string[];
    passphraseFile: string | null;
  }): Promise<void> {
    for (const r of encryption.recipients) {
      if (!isAgeRecipient(r))
        throw new CoffreError('USAGE', `"${r}" is not an age recipient (age1...).`);
    }
    if (encryption.recipients.length > 0 && encryption.passphraseFile) {
      throw new CoffreError('USAGE', 'Use either recipients or a passphrase file, not both.');
    }
    const next: Config = {
      ...this.config,
      encryption: {
        recipients: encryption.recipients,
        passphraseFile: encryption.passphraseFile ? path.resolve(encryption.passphraseFile) : null,
      },
    };
    await saveConfig(this.paths.config, next);
    this.config = next;
  }

  // ---------------------------------------------------------------- retention

  /** The register's local time zone: the config's, else the machine's. */
  get timeZone(): string {
    return this.config.schedule.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  }

  private policyFor(destination: string): RetentionPolicy {
    return this.config.retentionByDestination[destination] ?? this.config.retention;
  }

  /**
   * What retention keeps and removes in each destination, and why; changes
   * nothing. `coffre prune --dry-run` shows exactly this.
   */
  async retentionPlan(
    now: Date = new Date(),
    only?: string[],
    /** A backup about to be made: planned as if it existed, never listed. */
    pending?: { id: string; now: Date; origin: Origin },
  ): Promise<RetentionReport> {
    const { backups, unavailable } = await this.list();
    const verifications = this.db.verifications();
    const names = only ?? ['local', ...Object.keys(this.config.destinations)];
    const entries: RetentionEntry[] = [];
    for (const destination of names) {
      const mine = backups.filter((b) => b.destination === destination);
      const items = mine.map((b) => ({
        id: b.id,
        createdAt: b.createdAt,
        origin: b.origin,
        verification: verifications.get(b.id)?.result ?? null,
      }));
      if (pending) {
        items.push({
          id: pending.id,
          createdAt: pending.now.toISOString(),
          origin: pending.origin,
          verification: null,
        });
      }
      const decisions = planRetention(items, this.policyFor(destination), now, this.timeZone);
      for (const d of decisions) {
        const b = mine.find((m) => m.id === d.id);
        if (!b) continue;
        entries.push({
          destination,
          id: b.id,
          archive: b.archive,
          createdAt: b.createdAt,
          origin: b.origin,
          keep: d.keep,
          reasons: d.reasons,
        });
      }
    }
    return {
      policies: names.map((destination) => ({
        destination,
        policy: this.policyFor(destination),
        describe: describePolicy(this.policyFor(destination)),
      })),
      entries,
      unavailable: unavailable.filter((u) => names.includes(u.destination)),
    };
  }

  /** Applies retention in every destination and sweeps temporary files. One job at a time. */
  async prune(
    now: Date = new Date(),
  ): Promise<RetentionReport & { deleted: number; swept: number }> {
    const lock = this.lockJob('prune', now);
    try {
      const plan = await this.retentionPlan(now);
      let deleted = 0;
      for (const entry of plan.entries) {
        if (entry.keep) continue;
        await this.destination(entry.destination).delete(entry.archive);
        deleted++;
      }
      let swept = 0;
      for (const dest of this.allDestinations()) {
        if (plan.unavailable.some((u) => u.destination === dest.name)) continue;
        swept += await dest.sweep(this.identity.id);
      }
      await sweepTmp(this.paths.tmp);
      return { ...plan, deleted, swept };
    } finally {
      lock.release();
    }
  }

  /** Deletes one backup, from one destination or from every destination that has it. */
  async deleteBackup(ref: string, options: { from?: string } = {}): Promise<BackupEntry[]> {
    const { backups } = await this.list();
    const found = await this.locate(ref, options.from);
    const copies = backups.filter(
      (b) => b.archive === found.archive && (!options.from || b.destination === options.from),
    );
    const lock = this.lockJob('delete', new Date());
    try {
      for (const copy of copies) await this.destination(copy.destination).delete(copy.archive);
    } finally {
      lock.release();
    }
    return copies;
  }

  async setRetention(policy: RetentionPolicy, destination?: string): Promise<void> {
    const errors = validatePolicy(policy);
    if (errors.length > 0)
      throw new CoffreError('USAGE', `Invalid retention: ${errors.join('; ')}.`);
    if (destination) this.destination(destination);
    const next: Config = destination
      ? {
          ...this.config,
          retentionByDestination: { ...this.config.retentionByDestination, [destination]: policy },
        }
      : { ...this.config, retention: policy };
    await saveConfig(this.paths.config, next);
    this.config = next;
  }

  // ---------------------------------------------------------------- schedule

  /** Changes the schedule; a run missed before this moment is not caught up. */
  async setSchedule(
    patch: Partial<
      Pick<Config['schedule'], 'backup' | 'verify' | 'onClose' | 'destinations' | 'timeZone'>
    >,
    now: Date = new Date(),
  ): Promise<ScheduleInfo> {
    for (const spec of [patch.backup, patch.verify]) {
      if (spec) {
        const errors = validateSpec(spec);
        if (errors.length > 0)
          throw new CoffreError('USAGE', `Invalid schedule: ${errors.join('; ')}.`);
      }
    }
    for (const d of patch.destinations ?? []) this.destination(d);
    if (patch.timeZone) {
      try {
        new Intl.DateTimeFormat('en', { timeZone: patch.timeZone });
      } catch {
        throw new CoffreError(
          'USAGE',
          `"${patch.timeZone}" is not a time zone (e.g. Europe/Paris).`,
        );
      }
    }
    const next: Config = {
      ...this.config,
      schedule: { ...this.config.schedule, ...patch, since: now.toISOString() },
    };
    await saveConfig(this.paths.config, next);
    this.config = next;
    return this.scheduleInfo(now);
  }

  scheduleInfo(now: Date = new Date()): ScheduleInfo {
    const tz = this.timeZone;
    const sched = this.config.schedule;
    const describe = (spec: ScheduleSpec | null, kind: string) =>
      spec
        ? {
            spec,
            describe: describeSpec(spec),
            next: nextRun(spec, now, tz).toISOString(),
            last: this.db.lastJob(kind, 'schedule'),
          }
        : null;
    return {
      timeZone: tz,
      backup: describe(sched.backup, 'backup'),
      verify: describe(sched.verify, 'verify'),
      onClose: sched.onClose,
      destinations:
        sched.destinations.length > 0 ? sched.destinations : this.config.defaultDestinations,
      since: sched.since,
    };
  }

  /** Which scheduled jobs are due now (a run missed while the machine was off is due once). */
  dueJobs(now: Date): ('backup' | 'verify')[] {
    const sched = this.config.schedule;
    const since = sched.since ? new Date(sched.since) : new Date(0);
    const due: ('backup' | 'verify')[] = [];
    for (const kind of ['backup', 'verify'] as const) {
      const spec = sched[kind];
      if (!spec) continue;
      const last = this.db.lastJob(kind, 'schedule');
      if (isDue(spec, last ? new Date(last.startedAt) : null, since, now, this.timeZone).due)
        due.push(kind);
    }
    return due;
  }

  /**
   * Cheap staleness check from the job history (no destination is read): the
   * scheduler calls it on every tick.
   */
  staleness(now: Date): { stale: string | null; newest: string | null } {
    const last = this.db.jobs(200, 'backup').find((j) => j.result === 'ok');
    const warning = backupWarnings(
      last?.startedAt ?? null,
      null,
      this.config.alerts.staleAfterHours,
      now,
    ).find((w) => w.startsWith('The newest backup is'));
    return { stale: warning ?? null, newest: last?.backupId ?? null };
  }

  private scheduledBackupOptions(now: Date, trigger: string): BackupOptions {
    const to = this.config.schedule.destinations;
    return { origin: 'automatic', trigger, now, ...(to.length > 0 ? { to } : {}) };
  }

  /**
   * Runs one scheduled job if it is still due once the job lock is held, so
   * that two schedulers waking together (two daemons, a daemon and a host
   * app) never run the same job twice. Returns null when it was no longer
   * due; throws BUSY when another job holds the lock.
   */
  async runScheduled(
    kind: 'backup' | 'verify',
    now: Date,
  ): Promise<
    { kind: 'backup'; result: BackupResult } | { kind: 'verify'; result: VerifyReport } | null
  > {
    const lock = this.lockJob(`scheduled ${kind}`, now);
    try {
      if (!this.dueJobs(now).includes(kind)) return null;
      if (kind === 'backup') {
        return {
          kind,
          result: await this.backupLocked(this.scheduledBackupOptions(now, 'schedule')),
        };
      }
      return {
        kind,
        result: await this.verify('latest', { deep: true, trigger: 'schedule', now }),
      };
    } finally {
      lock.release();
    }
  }

  /**
   * A host app calls this when it closes: with "on close" enabled, takes an
   * automatic backup before returning. Returns null when it is not enabled.
   */
  async onApplicationClose(now: Date = new Date()): Promise<BackupResult | null> {
    if (!this.config.schedule.onClose) return null;
    return this.backup(this.scheduledBackupOptions(now, 'on-close'));
  }

  async setAlerts(alerts: Partial<Config['alerts']>): Promise<void> {
    const next: Config = { ...this.config, alerts: { ...this.config.alerts, ...alerts } };
    await saveConfig(this.paths.config, next);
    this.config = next;
  }

  // ---------------------------------------------------------------- restore

  /**
   * Restores a backup, whole or by section. Everything is verified and
   * staged first; `confirm` sees the plan (what will be replaced and lost)
   * before anything changes; a safety backup is taken; then the database is
   * replaced in one transaction and the files by folder renames, under a
   * journal that the next start uses to finish or roll back a killed restore.
   *
   * @example
   * const r = await center.restore('latest', { sections: ['catalog'], confirm: (plan) => ask(plan) });
   * if (r.restartApp) restartTheApp();
   */
  async restore(ref: string, options: RestoreOptions = {}): Promise<RestoreResult> {
    return this.restoring.restore(ref, options);
  }

  /** Brings back the state before the last applied restore, from its safety backup. */
  async undoLastRestore(
    options: Omit<RestoreOptions, 'sections' | 'adopt'> = {},
  ): Promise<RestoreResult> {
    return this.restoring.undoLastRestore(options);
  }

  /** The restore feature (src/restore/service.ts), given what it needs of this center. */
  private get restoring(): RestoreService {
    this.restoreService ??= new RestoreService({
      paths: this.paths,
      config: () => this.config,
      profile: () => this.profile,
      sourcePath: (p) => this.sourcePath(p),
      databaseKey: () => this.databaseKey(),
      identity: () => this.identity,
      // --adopt: the restore saved the adopted identity; this center now is that register.
      setIdentity: (identity) => {
        (this as { identity: Identity }).identity = identity;
      },
      db: () => this.db,
      events: this.events,
      lockJob: (job, now) => this.lockJob(job, now),
      recorded: (jobId, work, describe) => this.recorded(jobId, work, describe),
      locate: (ref, from, allRegisters) => this.locate(ref, from, allRegisters),
      readChecked: (found, options) => this.readChecked(found, options),
      backupLocked: (options) => this.backupLocked(options),
      list: () => this.list(),
    });
    return this.restoreService;
  }

  history(limit = 50): JobRecord[] {
    return this.db.jobs(limit);
  }

  close(): void {
    this.state?.close();
    this.state = undefined;
  }
}

/**
 * Pure: what the status should warn about. The newest backup older than the
 * threshold is stale; a failure newer than it is reported.
 */
export function backupWarnings(
  newestBackup: string | null,
  lastFailure: Pick<JobRecord, 'startedAt' | 'errorMessage' | 'errorCode'> | null,
  staleAfterHours: number,
  now: Date,
): string[] {
  const warnings: string[] = [];
  if (!newestBackup) warnings.push('There is no backup yet.');
  else {
    const hours = (now.getTime() - Date.parse(newestBackup)) / 3_600_000;
    if (hours > staleAfterHours) {
      warnings.push(
        `The newest backup is ${Math.floor(hours)} hours old (more than ${staleAfterHours} h).`,
      );
    }
  }
  if (lastFailure) {
    warnings.push(
      `The last backup attempt failed (${lastFailure.startedAt}): ${lastFailure.errorMessage ?? lastFailure.errorCode ?? 'unknown error'}`,
    );
  }
  return warnings;
}

function fingerprintMismatch(archive: string, actual: string, expected: string): CoffreError {
  return new CoffreError(
    'CORRUPT_ARCHIVE',
    `${archive} does not match its recorded fingerprint: SHA-256 is ${actual}, expected ${expected}.`,
    {
      details: { actual, expected },
    },
  );
}

/** Removes scratch files a killed job left in the home's tmp folder. */
async function sweepTmp(dir: string): Promise<void> {
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
    const file = path.join(dir, name);
    // Snapshots belong to backups, which hold the lock; a verification may be
    // running beside this job, so only old scratch folders are removed.
    const stale =
      name.startsWith('snapshot-') ||
      (name.startsWith('verify-') &&
        ((await fsp.stat(file).catch(() => null))?.mtimeMs ?? 0) < dayAgo);
    if (stale) await fsp.rm(file, { recursive: true, force: true });
  }
}

/** A destination's config as given by a caller, validated with the config file's own rules; paths made absolute. */
function checkDestination(name: string, conf: DestinationConfig): DestinationConfig {
  const parsed = destinationSchema.safeParse(conf);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.join('.') || 'destination'}: ${i.message}`,
    );
    throw new CoffreError('USAGE', `Destination "${name}": ${problems.join('; ')}.`, {
      details: { problems },
    });
  }
  const value = parsed.data;
  if (value.kind === 'external') return { ...value, path: path.resolve(value.path) };
  return {
    ...value,
    endpoint: value.endpoint.replace(/\/+$/, ''),
    credentialsFile: value.credentialsFile ? path.resolve(value.credentialsFile) : null,
  };
}
