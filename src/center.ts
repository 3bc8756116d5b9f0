// BackupCenter: the composition root and the one facade. The CLI, the HTTP
// API, the scheduler and host apps call these methods and nothing below
// them. Each method is one line over a service in services/ (or restore/);
// the rules live there and in core/, the I/O in source/, archive/,
// destinations/ and state/.

import path from 'node:path';
import { systemClock, type Clock } from './core/clock.js';
import type { RetentionPolicy } from './core/retention.js';
import { RestoreService, type RecoveredRestore } from './restore/service.js';
import type { RestoreOptions, RestoreResult } from './restore/service.js';
import { BackupService, type BackupOptions, type BackupResult } from './services/backup.js';
import {
  Catalog,
  type BackupEntry,
  type DamagedBackup,
  type Unavailable,
} from './services/catalog.js';
import {
  DestinationService,
  type CloudUsage,
  type DestinationInfo,
  type DestinationInput,
  type DestinationPatch,
} from './services/destinations.js';
import { JobRunner } from './services/jobs.js';
import { ProfileService, type ProfileCheck } from './services/profile.js';
import type { Profile } from './core/profiles.js';
import {
  MaintenanceService,
  type DeleteOptions,
  type DeleteResult,
  type PruneOptions,
  type PruneResult,
  type RetentionPatch,
  type RetentionReport,
} from './services/maintenance.js';
import {
  ScheduleService,
  type AppClosedResult,
  type ScheduleInfo,
  type SchedulePatch,
  type ScheduledKind,
  type ScheduledRun,
} from './services/schedule.js';
import {
  SettingsService,
  type AlertSettings,
  type EncryptionSettings,
  type NewKey,
  type RestoreHooks,
} from './services/settings.js';
import type { AlertEvent } from './services/alerts.js';
import {
  createDemoHome,
  createHome,
  openHome,
  type DemoHomeOptions,
  type DemoResult,
  type InitOptions,
} from './services/setup.js';
import { AppSource } from './services/source.js';
import { StatusService, type StatusReport } from './services/status.js';
import { VerifyService, type VerifyOptions, type VerifyReport } from './services/verify.js';
import { ConfigStore, type Config } from './state/config.js';
import type { HomePaths } from './state/home.js';
import { IdentityStore, type Identity } from './state/identity.js';
import type { CloudCredentials } from './state/secrets.js';
import { StateDb, type JobRecord } from './state/statedb.js';
import { EventJournal } from './state/journal.js';
import type { FiscalAudit } from './core/fiscal/audit.js';
import type { JournalEntry } from './core/journal.js';
import { checkFecFile, type FecResult } from './fiscal/fec.js';
import { fiscalDeps } from './fiscal/wiring.js';
import {
  FiscalService,
  type FiscalArchiveEntry,
  type FiscalAuditOptions,
  type FiscalExportOptions,
  type FiscalExportResult,
} from './fiscal/service.js';
import {
  verifyFiscalArchive,
  type FiscalVerifyOptions,
  type FiscalVerifyReport,
} from './fiscal/verify.js';
import { JournalService } from './services/journal.js';
import { UsersService, type UsersOptions } from './services/users.js';
import { UploadService, type UploadOptions } from './services/uploads.js';
import type { JobFeedEvent } from './services/jobs.js';

export interface OpenOptions {
  /**
   * Credentials for cloud destinations that have no credentials file. The
   * library never reads the environment; the CLI passes the standard AWS
   * variables here.
   */
  cloudCredentials?: CloudCredentials | null;
  /** What "now" is for this center; tests and the scheduler pass their own. */
  clock?: Clock;
  /** Session timeouts for the Backup center page. */
  sessions?: UsersOptions;
  /** Free space an upload from the page must leave on the home's disk (default 1 GiB). */
  uploads?: UploadOptions;
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
  private readonly config: ConfigStore;
  private readonly register: IdentityStore;
  private readonly jobs: JobRunner;
  private readonly dests: DestinationService;
  private readonly catalog: Catalog;
  private readonly maintenance: MaintenanceService;
  private readonly backups: BackupService;
  private readonly verifier: VerifyService;
  private readonly restores: RestoreService;
  private readonly schedule: ScheduleService;
  private readonly settings: SettingsService;
  private readonly statusService: StatusService;
  private readonly fiscal: FiscalService;
  private readonly journal: JournalService;
  private readonly profiles: ProfileService;
  /** Events for a host app: a backup made, a restore planned, applied or failed. */
  readonly events;
  /**
   * Coffre's own users, their rights and sessions (the Backup center page):
   * `center.users.add(name, password, ['export'])`, `center.users.login(...)`.
   * A service of its own rather than one facade method per action.
   */
  readonly users: UsersService;
  /** Archives uploaded for a restore: `receive(stream, {name, sha256})`, then `path(id)` to restore it. */
  readonly uploads: UploadService;
  /** The outcome of a restore that a crash interrupted, finished or rolled back when this center opened. */
  recovered: RecoveredRestore | null = null;

  private constructor(
    readonly paths: HomePaths,
    config: Config,
    identity: Identity,
    options: OpenOptions,
  ) {
    const clock = options.clock ?? systemClock;
    this.config = ConfigStore.of(paths.config, config);
    this.register = new IdentityStore(paths.identity, identity);
    const source = new AppSource(paths.root, this.config);
    this.jobs = new JobRunner(paths, () => this.db, clock);
    this.events = this.jobs.events;
    this.dests = new DestinationService(
      paths,
      this.config,
      this.register,
      options.cloudCredentials ?? null,
    );
    this.catalog = new Catalog(this.dests, this.register);
    this.maintenance = new MaintenanceService(
      paths,
      this.config,
      this.register,
      this.jobs,
      this.catalog,
      this.dests,
      clock,
    );
    this.backups = new BackupService(
      paths,
      this.config,
      this.register,
      source,
      this.jobs,
      this.dests,
      this.maintenance,
      clock,
    );
    this.verifier = new VerifyService(paths, this.register, source, this.jobs, this.catalog, clock);
    this.uploads = new UploadService(
      path.join(paths.root, 'uploads'),
      this.verifier,
      clock,
      options.uploads,
    );
    this.journal = new JournalService(
      new EventJournal(path.join(paths.root, 'journal.jsonl'), clock),
      this.events,
    );
    this.jobs.journal = (action, detail) => this.journal.record(action, detail);
    this.config.onChange((action, before, after) =>
      this.journal.settingsChanged(action, before, after),
    );
    this.users = new UsersService(
      () => this.db,
      clock,
      (action, detail, actor) => this.journal.record(action, detail, actor),
      options.sessions,
    );
    this.fiscal = new FiscalService(
      fiscalDeps({
        paths,
        config: this.config,
        identity: this.register,
        source,
        verifier: () => this.verifier,
        dests: this.dests,
        backups: this.backups,
        db: () => this.db,
        timeZone: () => this.schedule.timeZone,
        log: (action, detail) => this.journal.append(action, detail),
        clock,
      }),
    );
    this.restores = new RestoreService(
      paths,
      this.config,
      this.register,
      source,
      this.jobs,
      this.catalog,
      this.backups,
      this.fiscal,
      clock,
    );
    this.schedule = new ScheduleService(
      this.config,
      this.jobs,
      this.dests,
      this.backups,
      this.verifier,
      this.fiscal,
      clock,
    );
    this.settings = new SettingsService(this.config, this.register, source, clock);
    this.profiles = new ProfileService(this.config, source);
    this.statusService = new StatusService(
      this.config,
      this.register,
      source,
      this.jobs,
      this.catalog,
      this.dests,
      this.schedule,
      this.fiscal,
      clock,
    );
  }

  /** Creates a home protecting an existing app's data. */
  static async init(options: InitOptions): Promise<BackupCenter> {
    const { paths, config, identity } = await createHome(options);
    return new BackupCenter(paths, config, identity, {});
  }

  static async open(home: string, options: OpenOptions = {}): Promise<BackupCenter> {
    const { paths, config, identity } = await openHome(home);
    const center = new BackupCenter(paths, config, identity, options);
    center.recovered = await center.restores.finishInterruptedRestore();
    return center;
  }

  /** Creates the built-in demo register (or accounting books) and a home protecting it. */
  static async createDemo(
    home: string,
    options: DemoHomeOptions = { profile: 'pos' },
  ): Promise<DemoResult> {
    return createDemoHome(home, options);
  }

  get configuration(): Readonly<Config> {
    return this.config.get();
  }

  /** This register's identity (it changes when a restore adopts a replaced register's). */
  get identity(): Identity {
    return this.register.get();
  }

  private get db(): StateDb {
    this.state ??= new StateDb(this.paths.stateDb);
    return this.state;
  }

  // ---------------------------------------------------------------- destinations

  /** Adds a destination (an external folder or a cloud bucket) and proves it can take backups. */
  async addDestination(name: string, input: DestinationInput): Promise<DestinationInfo> {
    return this.dests.add(name, input);
  }

  /** Changes a cloud destination's quota or unencrypted-upload setting. */
  async updateDestination(name: string, patch: DestinationPatch): Promise<DestinationInfo> {
    return this.dests.update(name, patch);
  }

  /** Removes a destination from the config; the backups in it are not touched. */
  async removeDestination(name: string): Promise<void> {
    return this.dests.remove(name);
  }

  async destinations(): Promise<DestinationInfo[]> {
    return this.dests.list();
  }

  /** Each cloud destination's used and free space against its quota, and the retention in force there. */
  async cloudUsage(): Promise<CloudUsage[]> {
    return this.dests.cloudUsage();
  }

  // ---------------------------------------------------------------- backups

  /** Takes a backup and writes it to each destination. One job at a time per home. */
  async backup(options: BackupOptions = {}): Promise<BackupResult> {
    return this.backups.backup(options);
  }

  /** Every backup of this register in every destination, oldest first; unreachable destinations are reported apart. */
  async list(
    options: { allRegisters?: boolean } = {},
  ): Promise<{ backups: BackupEntry[]; unavailable: Unavailable[]; damaged: DamagedBackup[] }> {
    return this.catalog.list(options);
  }

  /**
   * Checks a backup: the whole-archive fingerprint and its signature, then
   * (with the key, if encrypted) every entry's hash against the signed list;
   * `deep` also restores into a scratch folder and checks the database there.
   */
  async verify(ref: string, options: VerifyOptions = {}): Promise<VerifyReport> {
    return this.verifier.verify(ref, options);
  }

  /**
   * Restores a backup, whole or by section. Everything is verified and
   * staged first; `confirm` sees the plan (what will be replaced and lost)
   * before anything changes; a safety backup is taken; then the database is
   * replaced in one transaction and the files by folder renames, under a
   * journal that the next start uses to finish or roll back a killed restore.
   * @example
   * const r = await center.restore('latest', { sections: ['catalog'], confirm: (plan) => ask(plan) });
   * if (r.restartApp) restartTheApp();
   */
  async restore(ref: string, options: RestoreOptions = {}): Promise<RestoreResult> {
    return this.restores.restore(ref, options);
  }

  /** Brings back the state before the last applied restore, from its safety backup. */
  async undoLastRestore(
    options: Omit<RestoreOptions, 'sections' | 'adopt'> = {},
  ): Promise<RestoreResult> {
    return this.restores.undoLastRestore(options);
  }
  /** The safety backup that undoLastRestore would bring back, or null: nothing to undo. */
  undoableRestore(): string | null {
    return this.restores.undoable();
  }

  // ---------------------------------------------------------------- status

  async status(now?: Date): Promise<StatusReport> {
    return this.statusService.status(now);
  }

  history(limit = 50): JobRecord[] {
    return this.jobs.history(limit);
  }

  /**
   * Follows every job, of this process or another (a CLI backup, `coffre
   * daemon`): started, progress, ended. Returns the function that stops it.
   */
  watchJobs(listener: (e: JobFeedEvent) => void, pollMs?: number): () => void {
    return this.jobs.watch(listener, pollMs);
  }

  /** Cancels a running backup of this process; it leaves nothing behind (CANCELLED). */
  cancelJob(jobId: number): { cancelled: boolean } {
    return this.jobs.cancel(jobId);
  }

  /** A backup's archive as a stream (for a download), with its size and fingerprint. */
  async openArchive(ref: string, from?: string): ReturnType<Catalog['download']> {
    return this.catalog.download(ref, from);
  }

  // ---------------------------------------------------------------- maintenance

  /** What retention keeps and removes in each destination, and why; changes nothing. */
  async retentionPlan(now?: Date, only?: string[]): Promise<RetentionReport> {
    return this.maintenance.plan(now, only);
  }

  /** Applies retention in every destination (after `confirm` sees the plan) and sweeps temporary files. */
  async prune(options: PruneOptions | Date = {}): Promise<PruneResult> {
    return this.maintenance.prune(options instanceof Date ? { now: options } : options);
  }

  /** Deletes one backup (by id), from one destination or from every destination that has it. */
  async deleteBackup(ref: string, options: DeleteOptions = {}): Promise<DeleteResult> {
    return this.maintenance.delete(ref, options);
  }

  /** Changes the retention, everywhere or in one destination; numbers not given stay as they are. */
  async setRetention(patch: RetentionPatch, destination?: string): Promise<RetentionPolicy> {
    return this.maintenance.setRetention(patch, destination);
  }

  // ---------------------------------------------------------------- schedule

  /** The register's local time zone: the config's, else the machine's. */
  get timeZone(): string {
    return this.schedule.timeZone;
  }

  /** Changes the schedule; a run missed before this moment is not caught up. */
  async setSchedule(patch: SchedulePatch, now?: Date): Promise<ScheduleInfo> {
    return this.schedule.set(patch, now);
  }

  scheduleInfo(now?: Date): ScheduleInfo {
    return this.schedule.info(now);
  }

  /** Which scheduled jobs are due now (a run missed while the machine was off is due once). */
  dueJobs(now: Date): ScheduledKind[] {
    return this.schedule.dueJobs(now);
  }

  /** Hours after which the newest backup is stale: the alert setting, else from the schedule. */
  staleAfterHours(now?: Date): number {
    return this.schedule.staleAfterHours(now);
  }

  /** Cheap staleness check from the job history (no destination is read). */
  staleness(now: Date): { stale: string | null; newest: string | null } {
    return this.schedule.staleness(now);
  }

  /** Runs one scheduled job if it is still due once the job lock is held. */
  async runScheduled(kind: ScheduledKind, now: Date): Promise<ScheduledRun> {
    return this.schedule.runScheduled(kind, now);
  }

  /** A host app calls this when it closes: with "on close" enabled, takes an automatic backup. */
  async onApplicationClose(now?: Date): Promise<BackupResult | null> {
    return this.schedule.onApplicationClose(now);
  }

  /**
   * The app closed (told by its exit script or by `coffre run`): backs up
   * when "on close" is enabled, else says why not.
   */
  async applicationClosed(
    options: Parameters<ScheduleService['applicationClosed']>[0] = {},
  ): Promise<AppClosedResult> {
    return this.schedule.applicationClosed(options);
  }

  // ---------------------------------------------------------------- settings

  /** Sets the encryption used by backups that do not name their own. */
  async setEncryption(encryption: EncryptionSettings): Promise<void> {
    return this.settings.setEncryption(encryption);
  }

  /** Makes an age key pair; the secret key goes to `out` (mode 0600) and is returned once. */
  async newEncryptionKey(out: string | null): Promise<NewKey> {
    return this.settings.newKey(out);
  }

  get alerts(): Readonly<AlertSettings> {
    return this.settings.alerts;
  }

  /** The commands run before and after every restore (e.g. to stop and start the app). */
  get restoreHooks(): Readonly<RestoreHooks> {
    return this.settings.restoreHooks;
  }

  /** Sets, or clears with null, the command run before or after every restore. */
  async setRestoreHook(
    which: keyof RestoreHooks,
    command: string | null,
  ): Promise<Readonly<RestoreHooks>> {
    return this.settings.setRestoreHook(which, command);
  }

  async setAlerts(alerts: Partial<AlertSettings>): Promise<AlertSettings> {
    return this.settings.setAlerts(alerts);
  }

  /** Sends an alert to the configured command and webhook; returns the problems met, or null if none is set. */
  async sendAlert(event: AlertEvent['event'], message: string): Promise<string[] | null> {
    return this.settings.alert(event, message);
  }

  // ---------------------------------------------------------------- fiscal and journal

  /** Who acts, for Coffre's journal: the host sets it (a signed-in user); else the system user. */
  get actor(): string {
    return this.journal.actor;
  }
  set actor(name: string) {
    this.journal.actor = name;
  }

  /** Runs `work`, and all it starts, with `name` as the journal's actor (a server's request). */
  actingAs<T>(name: string, work: () => T): T {
    return this.journal.actingAs(name, work);
  }

  /** Audits the register's fiscal data, live or inside a backup. */
  async fiscalAudit(options: FiscalAuditOptions = {}): Promise<FiscalAudit> {
    return this.fiscal.audit(options);
  }

  /** Writes a fiscal archive of a closed period to the fiscal area of destinations. */
  async fiscalExport(options: FiscalExportOptions): Promise<FiscalExportResult> {
    return this.fiscal.export(options);
  }

  /** Fiscal archives in every destination, apart from backups. */
  async fiscalArchives(): ReturnType<FiscalService['list']> {
    return this.fiscal.list();
  }

  /** Removes a fiscal archive from one destination; under the 6-year hold only with a logged override. */
  async deleteFiscalArchive(
    ref: string,
    options: { from: string; override?: { reason: string } | null },
  ): Promise<FiscalArchiveEntry> {
    return this.fiscal.delete(ref, options);
  }

  /** Checks a fiscal archive file on its own: no home needed. */
  static async verifyFiscalArchive(
    file: string,
    options: FiscalVerifyOptions = {},
  ): Promise<FiscalVerifyReport> {
    return verifyFiscalArchive(file, options);
  }

  /** Writes the FEC of a year (accounting profile) and checks it. */
  fiscalFec(options: Parameters<FiscalService['fec']>[0]): FecResult {
    return this.fiscal.fec(options);
  }

  /** Checks a FEC file: columns, mandatory fields, dates, balance, order. No home needed. */
  static checkFec(file: string, options: { year?: string } = {}): ReturnType<typeof checkFecFile> {
    return checkFecFile(file, options);
  }

  /** Coffre's own event journal, oldest first. */
  log(): JournalEntry[] {
    return this.journal.read();
  }

  /** Checks the journal's hash chain. */
  verifyLog(): ReturnType<JournalService['verify']> {
    return this.journal.verify();
  }

  /** Runs the app profile against the live database: unknown and unnamed tables, dangling relations, versions. */
  checkProfile(): ProfileCheck {
    return this.profiles.check();
  }

  /** A profile as declared (built in or in this home's config); none: this home's. */
  profile(name?: string): Profile {
    return this.profiles.show(name);
  }

  /** Declares the app profile in a JSON file for this home and uses it (docs/APPS.md). */
  async declareProfile(file: string): Promise<Profile> {
    return this.profiles.declare(file);
  }

  /** Uses a built-in (or already declared) profile for this home. */
  async useProfile(name: string): Promise<Profile> {
    return this.profiles.use(name);
  }

  /** Records the app's version (e.g. after an app update); null forgets it. */
  async setAppVersion(version: string | null): Promise<string | null> {
    return this.profiles.setAppVersion(version);
  }

  close(): void {
    this.state?.close();
    this.state = undefined;
  }
}
