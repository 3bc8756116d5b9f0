// Restoring a backup into the live app data, and finishing or rolling back,
// when a home opens, a restore that a crash interrupted. The restore service
// receives the services it uses (jobs, catalog, backup) and the home's
// stores; it never sees the BackupCenter.

import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { checkFoundSidecar, readChecked } from '../archive/checked.js';
import { isAgeRecipient } from '../archive/age.js';
import { checkArchive } from '../archive/reader.js';
import type { Clock } from '../core/clock.js';
import { asCoffreError, CoffreError } from '../core/errors.js';
import { ENTRY } from '../core/manifest.js';
import type { BackupService, Progress } from '../services/backup.js';
import type { Catalog } from '../services/catalog.js';
import type { JobRunner } from '../services/jobs.js';
import type { AppSource } from '../services/source.js';
import { progressOf } from '../services/verify.js';
import { listFiles } from '../source/files.js';
import type { ConfigStore } from '../state/config.js';
import { fsyncDir } from '../state/files.js';
import type { HomePaths } from '../state/home.js';
import {
  isOwnRegister,
  keyFingerprint,
  notThisRegister,
  type IdentityStore,
} from '../state/identity.js';
import * as steps from './steps.js';
import { checkedAtWrite, copyFresh, phaseTimer, prepareDatabaseApply } from './apply.js';
import { afterRestore, type AfterRestore } from './after.js';
import { adoptRegister, dataOfItsOwn, replacesOwnData } from './adoption.js';
import { liveFacts, lossTargets, measureFileChanges, measureLosses } from './losses.js';
import {
  finishRestore,
  recoverRestore,
  rollBackRestore,
  swapIn,
  writeJournal,
  type RestoreJournal,
  type SwapStep,
} from './journal.js';
import type { RecoveredRestore, RestoreOptions, RestoreResult } from './options.js';
import { adoptedEncryption, buildPlan, selectSections } from './plan.js';
import { confirmRewind, measureRewind, type FiscalGuard } from './fiscal.js';

export type { RecoveredRestore, RestoreOptions, RestoreResult } from './options.js';

/** The restore feature of one home. */
export class RestoreService {
  constructor(
    private readonly paths: Pick<HomePaths, 'restoreJournal'>,
    private readonly config: ConfigStore,
    private readonly identity: IdentityStore,
    private readonly source: AppSource,
    private readonly jobs: Pick<
      JobRunner,
      'lock' | 'start' | 'recorded' | 'db' | 'events' | 'reporter'
    >,
    private readonly catalog: Pick<Catalog, 'locate' | 'list'>,
    private readonly backups: Pick<BackupService, 'backupLocked'>,
    private readonly fiscal: FiscalGuard,
    private readonly clock: Clock,
  ) {}

  /**
   * Restores a backup, whole or by section. Everything is verified and
   * staged first; `confirm` sees the plan (what will be replaced and lost)
   * before anything changes; a safety backup is taken; then the database is
   * replaced in one transaction and the files by folder renames, under a
   * journal that the next start uses to finish or roll back a killed restore.
   * (BackupCenter.restore.)
   */
  async restore(ref: string, options: RestoreOptions = {}): Promise<RestoreResult> {
    const now = options.now ?? this.clock();
    const lock = this.jobs.lock('restore', now);
    const jobId = this.jobs.start('restore', now, options.from ? [options.from] : [], {
      trigger: options.trigger ?? 'manual',
    });
    const scratch: string[] = [];
    const stops: (() => Promise<void>)[] = [];
    // Phase, bytes or rows, and time left, to the caller, this process's
    // events and the live feed; a restore is not cancellable once started.
    const progress = this.jobs.reporter(jobId, 'restore', options.onProgress, {
      cancellable: false,
    });
    const reported = { ...options, onProgress: progress.report };
    try {
      return await this.jobs.recorded(
        jobId,
        () => this.restoreLocked(ref, reported, now, { scratch, stops }, jobId),
        (result) => ({
          backupId: result.plan.backupId,
          detail: JSON.stringify({
            applied: result.applied,
            safetyBackupId: result.safetyBackupId,
          }),
        }),
      );
    } finally {
      progress.done();
      try {
        // Work started ahead (the checks of the staged database) stops first.
        for (const stop of stops) await stop().catch(() => undefined);
        // While a journal exists, its staged copies are what the next start
        // needs to finish or roll back: leave them.
        if (!fs.existsSync(this.paths.restoreJournal)) {
          for (const dir of scratch) await fsp.rm(dir, { recursive: true, force: true });
        }
      } finally {
        lock.release();
      }
    }
  }

  /**
   * Brings back the state before the last restore that took effect, from its
   * safety backup. The history says a restore took effect as soon as its
   * database committed, before anything else can fail or the process die
   * (and the recovery of a killed restore says it too), so the last restore
   * is found whatever ended its process.
   */
  async undoLastRestore(
    options: Omit<RestoreOptions, 'sections' | 'adopt'> = {},
  ): Promise<RestoreResult> {
    const safety = this.undoable();
    if (!safety) {
      throw new CoffreError(
        'BACKUP_NOT_FOUND',
        'There is no restore to undo (no safety backup of a restore was found).',
      );
    }
    return this.restore(safety, { ...options, trigger: 'undo' });
  }

  /** The safety backup an undo would restore (the last restore's that took effect), or null. */
  undoable(): string | null {
    const restores = this.jobs
      .db()
      .jobs(500, 'restore')
      .map((j) => steps.restoreDetail(j.detail));
    return restores.find((d) => d?.applied === true)?.safetyBackupId ?? null;
  }

  private async restoreLocked(
    ref: string,
    options: RestoreOptions,
    now: Date,
    { scratch, stops }: { scratch: string[]; stops: (() => Promise<void>)[] },
    jobId: number,
  ): Promise<RestoreResult> {
    const source = this.config.get().source;
    const liveDb = this.source.databaseFile;
    const key = this.source.databaseKey();
    const timer = phaseTimer();
    // Already the job's reporter (restore() above).
    const progress = (p: Progress) => options.onProgress?.(p);
    const stopper =
      this.config.get().hooks.beforeRestore !== null || options.beforeRestore !== undefined;
    // Nothing will stop a running app: say so now, before minutes of staging.
    if (!stopper && !options.force && fs.existsSync(liveDb))
      await steps.assertAppStopped(liveDb, key, { force: false, stopped: false });
    const found = await this.catalog.locate(ref, options.from, options.adopt === true);
    const own = (r: { id: string; publicKey: string }) => isOwnRegister(this.identity.get(), r);
    // The same checks as verify: the sidecar is signed, and is this register's.
    checkFoundSidecar(found, this.identity.get(), { allowForeign: options.adopt === true });

    // 1. Verify and stage everything, next to the live data (same file system).
    const stage = path.join(
      path.dirname(liveDb),
      `.coffre-restore-${crypto.randomBytes(4).toString('hex')}`,
    );
    await fsp.mkdir(stage);
    scratch.push(stage);
    const contents = await readChecked(found, {
      identities: options.identities ?? [],
      passphrase:
        options.passphrase ?? (!options.identities?.length ? this.source.passphrase() : null),
      extractTo: stage,
      onProgress: progressOf(
        found.remote ? 'download' : 'read',
        found.sidecar?.size ?? 0,
        progress,
      ),
    }).catch((err: unknown) => {
      throw steps.stagingFailed(err, path.dirname(liveDb), found.sidecar);
    });
    const { header, problems } = checkArchive(contents);
    if (problems.length > 0) {
      throw new CoffreError(
        'CORRUPT_ARCHIVE',
        `${found.archive} has damaged entries: ${problems.slice(0, 10).join('; ')}.`,
      );
    }
    // This register's only if signed by a key it already trusts. Anything
    // else is adopted, which only a fresh installation may do: a register
    // with data of its own never takes a new key, whatever id the header says.
    const adopting = !own(header.register);
    const signedBy = keyFingerprint(header.register.publicKey);
    if (adopting && !options.adopt) throw notThisRegister(this.identity.get(), header.register);
    const held = adopting ? await dataOfItsOwn(liveDb, key, this.source.profile, this.catalog) : {};
    const ownData = Object.keys(held).length > 0 ? held : null;
    if (ownData && !options.replaceData)
      throw replacesOwnData(header.register.id, signedBy, ownData);

    timer.mark('stage');
    // 2. Is the app able to read it?
    const profile = this.source.profile;
    const current = fs.existsSync(liveDb)
      ? liveFacts(liveDb, key, profile)
      : { tables: {}, schemaVersion: 0 };
    if (
      header.app.schemaVersion > current.schemaVersion &&
      Object.keys(current.tables).length > 0
    ) {
      throw new CoffreError(
        'SCHEMA_TOO_NEW',
        `This backup's database schema is version ${header.app.schemaVersion}, newer than the app's (version ${current.schemaVersion}).`,
        { details: { backup: header.app.schemaVersion, current: current.schemaVersion } },
      );
    }

    // 3. The plan: what is replaced, what is lost. A full restore's checks of
    // the staged database start now, and run until the commit (apply.ts).
    const selection = selectSections(header, options.sections);
    const stagedDb = path.join(stage, header.database.entry);
    const stagedKey = header.database.sourceEncrypted ? key : null;
    const intactAtWrite = !adopting && checkedAtWrite(found.sidecar, header.register, own);
    const database = fs.existsSync(liveDb)
      ? prepareDatabaseApply(
          liveDb,
          stagedDb,
          {
            full: selection.full,
            tables: selection.tables,
            key: stagedKey,
            rowCounts: header.database.tables,
            relations: profile.relations,
            tombstones: profile.tombstones,
          },
          { intactAtWrite },
        )
      : null;
    if (database) stops.push(() => database.cancel());
    const losses = fs.existsSync(liveDb)
      ? measureLosses(
          liveDb,
          stagedDb,
          key,
          lossTargets(profile, selection.tables, Object.keys(current.tables), selection.full),
          profile.tombstones,
        )
      : [];
    // The live folder is listed once, for its count and its changes.
    const liveFiles = source.files
      ? await listFiles(this.source.path(source.files)).catch(() => [])
      : [];
    const fileChanges =
      selection.files && source.files
        ? await measureFileChanges(liveFiles, path.join(stage, ENTRY.filesDir), contents.entries)
        : null;
    const plan = buildPlan({
      fileChanges,
      app: { mustClose: profile.mustClose, syncReset: profile.syncReset?.message ?? null },
      header,
      selection,
      currentTables: current.tables,
      currentFiles: liveFiles.length,
      currentSchema: current.schemaVersion,
      losses,
      adopt: adopting
        ? {
            keyFingerprint: signedBy,
            encryption: adoptedEncryption(
              header.encryption,
              {
                recipients: this.config.get().encryption.recipients,
                passphrase: this.config.get().encryption.passphraseFile !== null,
              },
              options.keepEncryption !== false,
              isAgeRecipient,
            ),
            replacesData: ownData,
          }
        : null,
      fiscalRewind: fs.existsSync(liveDb)
        ? measureRewind(this.fiscal, liveDb, stagedDb, key, selection.tables)
        : null,
    });
    this.jobs.events.emit('restore', { phase: 'planned', backupId: header.id, plan });
    timer.mark('plan');
    const cancelled = {
      applied: false,
      plan,
      safetyBackupId: null,
      restartApp: false,
      adopted: null,
      warnings: [],
    };
    if (options.confirm && !(await options.confirm(plan))) return cancelled;
    if (!(await confirmRewind(plan, options.confirmFiscalRewind))) return cancelled;
    // No fiscal record is ever lost: those leaving the chain are archived first.
    const fiscalArchive = plan.fiscalRewind
      ? (await this.fiscal.archiveRewind(plan.fiscalRewind.rewind, header.id)).archive
      : null;

    timer.mark('confirm');
    // Confirmed: what will be renamed into place goes to the disk meanwhile.
    const durable = steps.syncStaged([
      selection.files ? path.join(stage, ENTRY.filesDir) : null,
      selection.settings && header.settings ? path.join(stage, header.settings.entry) : null,
    ]);
    // 4. Hooks, then a safety backup so that the restore can be undone.
    await this.runHook('beforeRestore', header.id, 'starting', options);
    // From here on, the app was told a restore starts: whatever fails, it
    // hears that it ended (and can start again).
    const failed = async (err: unknown): Promise<never> => {
      // A copy started early lets go of the app's database before the app is told.
      await database?.cancel().catch(() => undefined);
      await this.runHook('afterRestore', header.id, 'failed', options).catch(() => undefined);
      const e = asCoffreError(err);
      this.jobs.events.emit('restore', {
        phase: 'failed',
        backupId: header.id,
        undo: options.trigger === 'undo',
        code: e.code,
        message: e.message,
      });
      throw err;
    };
    // The app is stopped now, or the restore stops here (APP_RUNNING).
    const warnings = fs.existsSync(liveDb)
      ? await steps
          .assertAppStopped(liveDb, key, {
            force: options.force === true,
            stopped: stopper,
          })
          .catch(failed)
      : [];
    let safetyBackupId: string | null = null;
    if (fs.existsSync(liveDb)) {
      try {
        const safety = await this.backups.backupLocked({
          allowMissingSources: true,
          origin: 'safety',
          note: `before restoring ${header.id}`,
          to: ['local'],
          trigger: 'restore',
          compressionLevel: steps.SAFETY_COMPRESSION_LEVEL,
          snapshotInPlace: true,
          // Secured, the state before no longer needs the file as it is.
          onSnapshotSecured: () => database?.startEarly(),
          onProgress: (p: Progress) => progress({ ...p, phase: 'safety' }),
          // Before an adoption, the state it replaces is kept under the
          // identity being adopted (and this installation's own key): once the
          // adoption took effect, it is one of this register's backups, so
          // list shows it and undo finds it. Rolled back, it stays aside.
          ...(adopting
            ? { asRegister: { id: header.register.id, name: header.register.name } }
            : {}),
        });
        safetyBackupId = safety.id;
      } catch (err) {
        await failed(err);
      }
    }

    timer.mark('safety');
    // 5. Stage the swaps next to what they replace, write the journal, apply.
    // The journal is written before anything moves: a kill from here on is
    // finished or rolled back by the next start, leftovers included.
    const suffix = crypto.randomBytes(4).toString('hex');
    const swapStep = (live: string, from: string): SwapStep & { from: string } => {
      const staged = path.join(
        path.dirname(live),
        `.coffre-restore-${suffix}-${path.basename(live)}`,
      );
      scratch.push(staged);
      return { live, staged, old: `${live}.coffre-old-${suffix}`, from };
    };
    const files =
      selection.files && source.files
        ? swapStep(this.source.path(source.files), path.join(stage, ENTRY.filesDir))
        : null;
    const settings =
      selection.settings && source.settings && header.settings
        ? swapStep(this.source.path(source.settings), path.join(stage, header.settings.entry))
        : null;
    const journal: RestoreJournal = {
      version: 1,
      backupId: header.id,
      startedAt: now.toISOString(),
      safetyBackupId,
      jobId,
      scratch: [...scratch],
      database: { live: liveDb, staged: stagedDb, tables: selection.tables, full: selection.full },
      files: files && { live: files.live, staged: files.staged, old: files.old },
      settings: settings && { live: settings.live, staged: settings.staged, old: settings.old },
      state: 'preparing',
      adopt: adopting
        ? {
            id: header.register.id,
            name: header.register.name,
            publicKey: header.register.publicKey,
            recipients:
              plan.adopt?.encryption.after === 'kept-recipients'
                ? plan.adopt.encryption.recipients
                : [],
          }
        : null,
    };
    const fresh = `${liveDb}.coffre-restore-${suffix}`;
    if (!fs.existsSync(liveDb)) journal.scratch.push(fresh);
    // The history knows the safety backup before anything moves.
    this.jobs.db().setDetail(jobId, JSON.stringify({ applied: false, safetyBackupId }));
    try {
      await writeJournal(this.paths.restoreJournal, journal);
    } catch (err) {
      await failed(err);
    }
    try {
      // Preparing: copies that may cross file systems; a crash here rolls back.
      await durable;
      if (files && !fs.existsSync(files.from)) await fsp.mkdir(files.from, { recursive: true });
      for (const step of [files, settings])
        if (step) await steps.moveAcross(step.from, step.staged);
      if (!fs.existsSync(liveDb)) await copyFresh(stagedDb, fresh, stagedKey, intactAtWrite);
      // Swapping: every staged copy is complete.
      await writeJournal(this.paths.restoreJournal, { ...journal, state: 'swapping' });
      for (const step of [files, settings]) if (step) await swapIn(step);
      if (!fs.existsSync(liveDb)) {
        // No database at all (a lost disk): the renamed copy is the commit.
        await fsp.rename(fresh, liveDb);
        await fsyncDir(path.dirname(liveDb));
      } else {
        const unit = database!.unit;
        await database!.apply(
          (done, total) => progress({ phase: 'apply', done, total, unit }),
          (ended) => progress({ phase: 'checks', done: ended ? 1 : 0, total: 1 }),
        );
      }
    } catch (err) {
      // The database did not commit: put everything back as it was.
      await rollBackRestore(this.paths.restoreJournal, journal);
      await failed(err);
    }
    // The commit on the disk before anything says it took effect.
    await steps.syncDatabase(liveDb).catch(failed);
    timer.mark('apply', database?.waited);
    // It took effect: the history says so before anything else can fail or
    // the process die (the after-restore hook may stop it), so undo finds it.
    this.jobs.db().setDetail(jobId, JSON.stringify({ applied: true, safetyBackupId }));
    // The identity is saved while the journal still exists: after a crash
    // from here on, the recovery rolls forward and adopts it too.
    if (journal.adopt) await adoptRegister(this.config, this.identity, journal.adopt);
    await finishRestore(this.paths.restoreJournal, journal);
    const after = await this.afterEffects(selection.tables.length > 0 || selection.full);
    await this.runHook('afterRestore', header.id, 'restored', options);
    this.jobs.events.emit('restore', {
      phase: 'applied',
      backupId: header.id,
      undo: options.trigger === 'undo',
      safetyBackupId,
      restartApp: true,
      fiscalArchive,
    });
    timer.mark('finish');
    return {
      applied: true,
      plan,
      safetyBackupId,
      restartApp: true,
      adopted: plan.adopt,
      integrity: database?.integrity ?? (intactAtWrite ? 'at-write' : 'staged'),
      phases: timer.phases,
      warnings,
      after,
      fiscalArchive,
    };
  }

  /** Drops the caches and resets the sync state, as the profile says (restore/after.ts). */
  private afterEffects(databaseChanged: boolean): Promise<AfterRestore> {
    const settings = this.config.get().source.settings;
    return afterRestore({
      profile: this.source.profile,
      database: this.source.databaseFile,
      key: this.source.databaseKey(),
      settings: settings ? this.source.path(settings) : null,
      databaseChanged,
    });
  }

  /** The configured command, then the host app's own step. */
  private async runHook(
    which: 'beforeRestore' | 'afterRestore',
    backupId: string,
    result: 'starting' | 'restored' | 'failed',
    options: RestoreOptions,
  ): Promise<void> {
    await steps.runRestoreHook(which, this.config.get().hooks[which], backupId, result);
    if (which === 'beforeRestore') await options.beforeRestore?.();
    else await options.afterRestore?.(result === 'restored' ? 'restored' : 'failed');
  }

  /**
   * At open: finishes or rolls back a restore that a crash interrupted (its
   * journal is there), else tidies what a killed one left. Returns what it
   * did with an interrupted restore, or null.
   */
  async finishInterruptedRestore(): Promise<RecoveredRestore | null> {
    if (!fs.existsSync(this.paths.restoreJournal)) {
      this.sweepRestoreLeftovers();
      return null;
    }
    let recovered: RecoveredRestore | null = null;
    const lock = this.jobs.lock('restore recovery', this.clock());
    try {
      const r = await recoverRestore(
        this.paths.restoreJournal,
        this.source.databaseKey(),
        async (journal) => {
          if (journal.adopt) await adoptRegister(this.config, this.identity, journal.adopt);
          if (journal.database)
            await this.afterEffects(journal.database.full || journal.database.tables.length > 0);
        },
      );
      if (r) {
        recovered = { outcome: r.outcome, backupId: r.journal.backupId };
        // The killed restore's own job says how it ended, and which safety
        // backup undoes it.
        const { jobId, safetyBackupId } = r.journal;
        if (jobId !== undefined && r.outcome === 'rolled-forward') {
          this.jobs.db().finishJob(jobId, this.clock(), {
            result: 'ok',
            backupId: r.journal.backupId,
          });
          this.jobs.db().setDetail(jobId, JSON.stringify({ applied: true, safetyBackupId }));
        }
        const job = this.jobs.start('restore-recovery', this.clock(), [], {
          backupId: r.journal.backupId,
        });
        this.jobs.db().finishJob(job, this.clock(), { result: 'ok', backupId: r.journal.backupId });
        this.jobs.db().setDetail(job, r.outcome);
      }
    } finally {
      lock.release();
    }
    return recovered;
  }

  /**
   * A restore killed while it was still verifying and staging (before its
   * journal) leaves a staging folder next to the data, and a killed job
   * stays "running" in the history: tidy both, unless a job is running now.
   */
  private sweepRestoreLeftovers(): void {
    const source = this.config.get().source;
    const dirs = new Set(
      [source.database, source.files, source.settings]
        .filter((p): p is string => p !== null)
        .map((p) => path.dirname(this.source.path(p))),
    );
    const leftovers = steps.stagingLeftovers([...dirs]);
    // A backup or restore still marked running was killed, unless it runs
    // right now: taking the lock tells which, and closes it in the history.
    const abandoned = this.jobs
      .db()
      .jobs(20)
      .some((j) => j.result === 'running' && (j.kind === 'backup' || j.kind === 'restore'));
    if (leftovers.length === 0 && !abandoned) return;
    let lock;
    try {
      lock = this.jobs.lock('clean-up after a crash', this.clock());
    } catch {
      return;
    }
    try {
      if (fs.existsSync(this.paths.restoreJournal)) return;
      for (const p of leftovers) fs.rmSync(p, { recursive: true, force: true });
    } finally {
      lock.release();
    }
  }
}
