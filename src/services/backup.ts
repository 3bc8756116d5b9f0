// Taking a backup: a snapshot of the live database, the files and the
// settings, streamed as one archive to every destination that can take it,
// then retention. The job runner holds the lock and writes the history.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { isAgeRecipient } from '../archive/age.js';
import { writeArchive, type ArchiveSnapshot } from '../archive/writer.js';
import type { Clock } from '../core/clock.js';
import { asCoffreError, CoffreError } from '../core/errors.js';
import {
  archiveExtension,
  backupId,
  ENTRY,
  FORMAT_NAME,
  FORMAT_VERSION,
  checkNote,
  contentCheckMessage,
  fingerprintMessage,
  type ArchiveHeader,
  type ContentCheckRecord,
  type Origin,
  type Sidecar,
} from '../core/manifest.js';
import {
  fitsInQuota,
  quotaExceeded,
  quotaWarning,
  roomLeft,
  type QuotaState,
} from '../core/quota.js';
import { describePolicy } from '../core/retention.js';
import { summarizeSections } from '../core/sections.js';
import { profileReading } from '../core/profiles.js';
import { warning, type Warning } from '../core/warnings.js';
import type { Destination, Upload } from '../destinations/types.js';
import { checkStaged, type StagedCheck } from '../restore/pages.js';
import { describeSkipped, scanFiles } from '../source/files.js';
import {
  holdSnapshot,
  takeSnapshot,
  type HeldSnapshot,
  type HoldOptions,
} from '../source/snapshot.js';
import { isEncryptedDatabaseFile } from '../source/sqlite.js';
import { retentionFor, type ConfigStore } from '../state/config.js';
import type { HomePaths } from '../state/home.js';
import { keyFingerprint, sign, type IdentityStore } from '../state/identity.js';
import { COFFRE_VERSION } from '../version.js';
import type { DestinationService } from './destinations.js';
import type { JobRunner } from './jobs.js';
import { sweepTmp, type MaintenanceService, type RetentionEntry } from './maintenance.js';
import type { AppSource } from './source.js';
import type { Progress } from '../core/progress.js';

export type { Progress };

import type { BackupOptions, BackupResult } from './backup-types.js';

export type { BackupOptions, BackupResult };

export class BackupService {
  constructor(
    private readonly paths: Pick<HomePaths, 'tmp'>,
    private readonly config: ConfigStore,
    private readonly identity: IdentityStore,
    private readonly source: AppSource,
    private readonly jobs: Pick<
      JobRunner,
      'locked' | 'start' | 'failed' | 'db' | 'events' | 'journal' | 'reporter'
    >,
    private readonly destinations: Pick<DestinationService, 'get' | 'cloudConfig'>,
    private readonly retention: Pick<MaintenanceService, 'plan'>,
    private readonly clock: Clock,
  ) {}

  /** Takes a backup and writes it to each destination. One job at a time per home. */
  async backup(options: BackupOptions = {}): Promise<BackupResult> {
    return this.jobs.locked('backup', options.now ?? this.clock(), () =>
      this.backupLocked(options),
    );
  }

  /** The encryption a backup (or a fiscal archive) gets: its own, else the config's. */
  resolveEncryption(options: Pick<BackupOptions, 'recipients' | 'passphrase'> = {}): {
    recipients: string[];
    passphrase: string | null;
  } {
    const explicit = (options.recipients?.length ?? 0) > 0 || !!options.passphrase;
    const config = this.config.get();
    const recipients = explicit ? (options.recipients ?? []) : config.encryption.recipients;
    const passphrase = explicit ? (options.passphrase ?? null) : this.source.passphrase();
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

  /** The backup itself; the caller holds the job lock. */
  async backupLocked(options: BackupOptions): Promise<BackupResult> {
    checkNote(options.note);
    const now = options.now ?? this.clock();
    const started = Date.now();
    const origin = options.origin ?? 'manual';
    const config = this.config.get();
    const identity = { ...this.identity.get(), ...options.asRegister };
    const names =
      options.to && options.to.length > 0 ? [...new Set(options.to)] : config.defaultDestinations;
    // Every attempt is in the history, including one refused before it starts.
    const jobId = this.jobs.start('backup', now, names, { trigger: options.trigger ?? 'manual' });
    const uploads: { dest: Destination; upload: Upload }[] = [];
    const failed: BackupResult['failed'] = [];
    const pruned: BackupResult['pruned'] = [];
    const warnings: Warning[] = [];
    let snapshotFile: string | null = null;
    let held: HeldSnapshot | null = null;
    let pendingSnapshot: Promise<unknown> | null = null;
    let openGate: () => void = () => undefined;
    let closeGate: (err: Error) => void = () => undefined;
    // Progress for the caller, this process's listeners and other processes; a cancel stops at the next report.
    // A restore's safety backup is one of its phases: the restore reports it.
    const progress = this.jobs.reporter(jobId, 'backup', options.onProgress, {
      nested: options.trigger === 'restore',
    });
    const report = progress.report;
    try {
      const destinations = names.map((n) => this.destinations.get(n));
      const source = config.source;
      const dbFile = this.source.databaseFile;
      if (!fs.existsSync(dbFile)) {
        throw new CoffreError('SOURCE_UNAVAILABLE', `The database ${dbFile} does not exist.`, {
          details: { file: dbFile },
        });
      }
      const key = this.source.databaseKey();
      const sourceEncrypted = key !== null || isEncryptedDatabaseFile(dbFile);
      const encryption = this.resolveEncryption(options);
      const encrypted = encryption.recipients.length > 0 || encryption.passphrase !== null;
      if (sourceEncrypted && !encrypted) {
        throw new CoffreError(
          'ENCRYPTION_REQUIRED',
          'The database is encrypted, so its backups must be encrypted too.',
        );
      }
      const checkContent = options.checkContent ?? (encrypted && config.encryption.checkAtWrite);
      const id = backupId(identity.name, identity.id, now);
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
            await dest.sweep(identity.id);
          } catch (err) {
            // Leftovers cost space, not safety: e.g. a key that may not delete.
            warnings.push(
              warning(
                'LEFTOVERS_KEPT',
                `The leftovers of an interrupted backup in "${dest.name}" could not be removed: ${asCoffreError(err).message}`,
                { destination: dest.name },
              ),
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
      await sweepTmp(this.paths.tmp, now);
      const present = (p: string | null): p is string =>
        p !== null && (!options.allowMissingSources || fs.existsSync(this.source.path(p)));
      const scan = present(source.files)
        ? await scanFiles(this.source.path(source.files))
        : { files: [], skipped: [] };
      const files = scan.files;
      for (const skipped of scan.skipped) {
        warnings.push(
          warning('FILE_SKIPPED', describeSkipped(skipped), {
            path: skipped.path,
            reason: skipped.reason,
            target: skipped.target ?? null,
          }),
        );
      }
      const filesBytes = files.reduce((n, f) => n + f.size, 0);
      const dbBytes = fs.statSync(dbFile).size;
      report({ phase: 'snapshot', done: 0, total: dbBytes + filesBytes });
      const copied = (): Promise<ArchiveSnapshot> =>
        takeSnapshot({
          source: dbFile,
          target: snapshotPath,
          key,
          reading: profileReading(this.source.profile),
        }).then((result) => ({
          file: snapshotPath,
          entryName: path.basename(dbFile),
          result,
        }));
      // A plain database is read in place, held still by a read transaction,
      // rather than copied first: for a restore's safety backup (the app is
      // stopped), and for a WAL database whose archive is written to local
      // disks (the app's writers are not held; a cloud upload's pace would
      // keep its WAL from being checkpointed for too long). Otherwise, or when
      // the file cannot be held, it is copied.
      const hold: HoldOptions | null = sourceEncrypted
        ? null
        : options.snapshotInPlace
          ? { check: checkContent }
          : ready.every((r) => r.dest.kind !== 's3')
            ? { live: true, check: checkContent }
            : null;
      // A running app's database is held only once the archive reaches its
      // entry (after the files): its WAL cannot be checkpointed meanwhile.
      const gate = new Promise<void>((open, close) => {
        openGate = open;
        closeGate = close;
      });
      gate.catch(() => undefined);
      if (!hold?.live) openGate();
      const snapshot: Promise<ArchiveSnapshot> = hold
        ? gate
            // A hold that cannot be taken (its process could not start)
            // leaves the copy.
            .then(() =>
              holdSnapshot(dbFile, profileReading(this.source.profile), hold).catch(() => null),
            )
            .then((h) => {
              held = h;
              return h
                ? { file: dbFile, entryName: path.basename(dbFile), result: h.result, inPlace: h }
                : copied();
            })
        : copied();
      // Failures surface where the writer awaits it; this only marks it handled.
      snapshot.then(
        () => options.onSnapshotSecured?.(),
        () => undefined,
      );
      // The content check's database half: integrity_check of the snapshot, in
      // a worker thread, while the archive is written. A snapshot read in
      // place is checked in the transaction that holds it (another connection
      // would read the app's later writes through the WAL).
      const integrity: Promise<StagedCheck> | null = checkContent
        ? snapshot.then((s) =>
            // One worker: the compression workers have the cores meanwhile.
            s.inPlace ? s.inPlace.check! : checkStaged(s.file, key, true, 1).result,
          )
        : null;
      integrity?.catch(() => undefined);
      pendingSnapshot = snapshot;
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

      const profile = this.source.profile;
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
          id: identity.id,
          name: identity.name,
          publicKey: identity.publicKey,
          keyFingerprint: keyFingerprint(identity.publicKey),
        },
        app: {
          profile: profile.name,
          // Read from the app's data when the profile knows how: never stale.
          version: snap.result.appVersion ?? source.appVersion,
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
        identity,
        settingsFile: present(source.settings) ? this.source.path(source.settings) : null,
        files,
        snapshot,
        beforeDatabase: () => openGate(),
        makeHeader,
        encryption,
        checkContent,
        compressionLevel: options.compressionLevel ?? config.compressionLevel,
        outputs: uploads.map((u) => u.upload.stream),
        estimatedBytes: dbBytes + filesBytes,
        onProgress: (done: number, total: number) => report({ phase: 'archive', done, total }),
      });
      // The last moment a cancel applies: after a commit, the backup exists.
      report({ phase: 'archive', done: written.size, total: written.size });
      const sidecar: Sidecar = {
        sidecarVersion: 1,
        archive,
        size: written.size,
        sha256: written.sha256,
        fingerprintSignature: sign(identity, fingerprintMessage(archive, written.sha256)).toString(
          'base64',
        ),
        header: written.header,
      };
      const contentCheck = await this.recordCheck(sidecar, written.contentCheck, integrity);
      if (contentCheck) sidecar.contentCheck = contentCheck;
      else if (integrity) {
        warnings.push(
          warning(
            'CONTENT_CHECK_FAILED',
            `The database snapshot failed SQLite's integrity check while it was written (${(await integrity).integrity}): the backup was kept, with no content check recorded.`,
          ),
        );
      }
      const committed: Destination[] = [];
      for (const [index, { dest, upload }] of uploads.entries()) {
        try {
          const lost = written.failedOutputs.get(index);
          if (lost) throw lost;
          await upload.commit(sidecar);
          committed.push(dest);
          this.jobs.db().recordCommitted(jobId, {
            backupId: id,
            bytes: written.size,
            sha256: written.sha256,
            committed: committed.map((d) => d.name),
          });
        } catch (err) {
          await upload.abort().catch(() => undefined);
          drop(dest, err);
        }
      }
      if (committed.length === 0) throw dropped[0];
      const done = committed.map((d) => d.name);
      this.jobs.db().finishJob(jobId, this.clock(), {
        result: failed.length > 0 ? 'partial' : 'ok',
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
      this.jobs.events.emit('backup', { id, origin, destinations: done });
      // Retention runs after a good backup only, and never removes the one just made.
      // The backup is committed: a retention failure (a drive pulled out just
      // now) is a warning, never a failed backup.
      if (options.applyRetention !== false) {
        try {
          const plan = await this.retention.plan(now, done);
          for (const entry of plan.entries) {
            if (entry.keep || entry.id === id) continue;
            await this.destinations.get(entry.destination).delete(entry.archive);
            pruned.push({ destination: entry.destination, id: entry.id });
          }
          if (pruned.length > 0) this.jobs.journal('retention', { after: id, deleted: pruned });
        } catch (err) {
          warnings.push(
            warning(
              'RETENTION_NOT_APPLIED',
              `Retention could not run after this backup: ${asCoffreError(err).message} It will run after the next backup, or at the next prune.`,
              { code: asCoffreError(err).code },
            ),
          );
        }
      }
      for (const dest of committed) {
        if (dest.kind !== 's3') continue;
        const usage = await dest.usage().catch(() => null);
        if (usage?.quotaBytes != null) {
          const w = quotaWarning(dest.name, {
            usedBytes: usage.usedBytes,
            quotaBytes: usage.quotaBytes,
          });
          if (w) warnings.push(w);
        }
      }
      return {
        id,
        archive,
        registerName: identity.name,
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
        contentCheck: sidecar.contentCheck
          ? {
              at: sidecar.contentCheck.at,
              entries: sidecar.contentCheck.entries,
              integrity: sidecar.contentCheck.integrity,
            }
          : null,
        warnings: [...warnings, ...written.warnings],
        pruned,
        failed,
      };
    } catch (err) {
      await Promise.all(uploads.map((u) => u.upload.abort().catch(() => undefined)));
      // A snapshot still being written (a cancel mid-archive) ends before its
      // file is removed; one not started yet never starts.
      closeGate(new Error('the backup stopped'));
      await pendingSnapshot?.catch(() => undefined);
      const e = this.jobs.failed(jobId, err);
      this.jobs.journal('backup-failed', { code: e.code, message: e.message, destinations: names });
      throw e;
    } finally {
      // A lost hold already failed the archive where it was released.
      await (held as HeldSnapshot | null)?.release().catch(() => undefined);
      progress.done();
      if (snapshotFile) {
        await fsp.rm(snapshotFile, { force: true });
        await fsp.rm(snapshotFile + '-journal', { force: true });
      }
    }
  }

  /**
   * The signed record of a content check that passed: every entry read back
   * (the writer throws otherwise) and the snapshot's integrity check 'ok'.
   * Null when no check was made or the database failed it.
   */
  private async recordCheck(
    sidecar: Sidecar,
    read: { entries: number } | null,
    integrity: Promise<StagedCheck> | null,
  ): Promise<ContentCheckRecord | null> {
    if (!read || !integrity) return null;
    const db = await integrity;
    if (db.integrity !== 'ok') return null;
    const check = { at: this.clock().toISOString(), entries: read.entries, integrity: 'ok' };
    const message = contentCheckMessage(sidecar.archive, sidecar.sha256, check);
    return { ...check, signature: sign(this.identity.get(), message).toString('base64') };
  }

  /** Cloud destinations take unencrypted backups only when the user allowed it. */
  private refuseUnencrypted(name: string, encrypted: boolean, allowed: boolean): void {
    if (encrypted || allowed || this.destinations.cloudConfig(name).allowUnencrypted) return;
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
    const estimate = this.jobs.db().lastBackupBytes();
    let removed = 0;
    // What retention keeps there: manual backups are kept until deleted, so
    // when they fill the quota, a shorter retention frees nothing.
    let kept: { manual: number; total: number } | undefined;
    if (!fitsInQuota(state, estimate) && applyRetention) {
      const plan = await this.retention.plan(pending.now, [dest.name], pending);
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
      const left = plan.entries.filter((e) => e.keep || e === newest);
      kept = { manual: left.filter((e) => e.origin === 'manual').length, total: left.length };
      const after = await dest.usage();
      state = { usedBytes: after.usedBytes, quotaBytes: usage.quotaBytes };
    }
    if (!fitsInQuota(state, estimate)) {
      throw quotaExceeded(
        dest.name,
        state,
        estimate,
        describePolicy(retentionFor(this.config.get(), dest.name)),
        removed,
        kept,
      );
    }
    return roomLeft(state);
  }
}
