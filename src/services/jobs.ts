// The job runner: one job at a time per home (the lock), the history of every
// job (started, succeeded, failed), and the events a host app listens to.
// Every other service runs its jobs through this one.

import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { asCoffreError, CoffreError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { Origin } from '../core/manifest.js';
import { progressMeter, type Progress } from '../core/progress.js';
import type { RestorePlan } from '../restore/plan.js';
import type { HomePaths } from '../state/home.js';
import { acquireJobLock, type JobLock } from '../state/lock.js';
import type { JobProgressRow, JobRecord, StateDb } from '../state/statedb.js';

/** What BackupCenter tells a host app as it happens (`center.events.on('restore', ...)`). */
export interface CenterEvents {
  backup: [{ id: string; origin: Origin; destinations: string[] }];
  restore: [
    | { phase: 'planned'; backupId: string; plan: RestorePlan }
    | {
        phase: 'applied';
        backupId: string;
        /** The restore undid the last one (it restored that restore's safety backup). */
        undo: boolean;
        safetyBackupId: string | null;
        restartApp: boolean;
        /** The fiscal archive of the records the restore took out of the chain, written first. */
        fiscalArchive: string | null;
      }
    | { phase: 'failed'; backupId: string; undo: boolean; code: string; message: string },
  ];
  /**
   * How far a running job is (this process's jobs): its phase, bytes or rows,
   * and the time left of the phase (at most every 100 ms a phase; its first
   * and last reports always).
   */
  progress: [JobProgress];
}

/** A running job's progress, as the live feed shows it: phase, bytes, when, which process. */
export type JobProgress = JobProgressRow;

/** What the live feed tells a watcher: a job seen starting, moving on, or ended. */
export type JobFeedEvent =
  | { type: 'started'; job: JobRecord }
  | { type: 'progress'; progress: JobProgress }
  | { type: 'ended'; job: JobRecord };

/** Progress is written to the state database at most this often, for other processes to see. */
const PROGRESS_WRITE_MS = 500;

/** What the history keeps of a job that succeeded. */
export interface JobSummary {
  /** partial: done, but not all that was asked (a verification that could not check the contents). */
  result?: 'ok' | 'partial';
  backupId?: string;
  bytes?: number;
  sha256?: string;
  detail?: string;
}

export class JobRunner {
  /** Events for a host app: a backup made, a restore planned, applied or failed. */
  readonly events = new EventEmitter<CenterEvents>();
  /** The feeds' looks at the running jobs (watch), run again when this process frees the lock. */
  private readonly released = new Set<() => void>();
  /** Cancellation of this process's running jobs, by job id. */
  private readonly cancels = new Map<number, AbortController>();
  private readonly lastWrite = new Map<number, { at: number; phase: string }>();
  private readonly uncancellable = new Set<number>();

  /** Writes to Coffre's journal (the center connects it); never fails the job it records. */
  journal: (action: string, detail: Record<string, unknown>) => void = () => undefined;

  constructor(
    private readonly paths: Pick<HomePaths, 'lock' | 'lockInfo'>,
    /** The state database, opened lazily by the center. */
    readonly db: () => StateDb,
    private readonly clock: Clock,
  ) {}

  /**
   * Takes the home's job lock. Holding it, no other job can be running, so
   * any job still marked running was killed: it is marked failed here.
   */
  lock(job: string, now: Date = this.clock()): JobLock {
    const lock = acquireJobLock(this.paths.lock, this.paths.lockInfo, job, now);
    try {
      this.db().closeAbandonedJobs(now);
    } catch (err) {
      lock.release();
      throw err;
    }
    return {
      release: () => {
        lock.release();
        // The feeds hear of the end now, not at their next look.
        for (const look of this.released) setImmediate(look);
      },
    };
  }

  /** Runs `work` holding the lock, and releases it whatever happens. */
  async locked<T>(job: string, now: Date, work: () => Promise<T>): Promise<T> {
    const lock = this.lock(job, now);
    try {
      return await work();
    } finally {
      lock.release();
    }
  }

  /** Opens a job in the history; every attempt is there, even one refused at once. */
  start(
    kind: string,
    at: Date,
    destinations: string[],
    options: { trigger?: string; backupId?: string } = {},
  ): number {
    return this.db().startJob(kind, at, destinations, options);
  }

  /** Writes a job's failure to the history; returns the error to throw. */
  failed(jobId: number, err: unknown): CoffreError {
    const e = asCoffreError(err);
    this.db().finishJob(jobId, this.clock(), {
      result: 'failed',
      errorCode: e.code,
      errorMessage: e.message,
    });
    return e;
  }

  /** Runs a job's work and writes its outcome, success or error, to the history. */
  async recorded<T>(
    jobId: number,
    work: () => Promise<T>,
    describe: (result: T) => JobSummary,
  ): Promise<T> {
    try {
      const result = await work();
      const { detail, result: how, ...outcome } = describe(result);
      this.db().finishJob(jobId, this.clock(), { result: how ?? 'ok', ...outcome });
      if (detail !== undefined) this.db().setDetail(jobId, detail);
      return result;
    } catch (err) {
      throw this.failed(jobId, err);
    }
  }

  /**
   * The progress reporter of a running job: adds the time left of the phase
   * (reports closer than 100 ms in a phase are dropped, never its first and
   * last), and tells the caller's callback,
   * this process's listeners (`events` 'progress') and, every half second
   * or at a new phase, the state database, where other processes see it.
   * A cancelled job stops at its next report (CANCELLED). A `nested` job
   * (the safety backup of a restore) tells its caller only, which reports it
   * as a phase of its own job; it is cancelled with that job, not alone.
   */
  reporter(
    jobId: number,
    kind: string,
    onProgress?: (p: Progress) => void,
    options: { cancellable?: boolean; nested?: boolean } = {},
  ): { report: (p: Progress) => void; signal: AbortSignal; done: () => void } {
    const controller = new AbortController();
    if (options.cancellable !== false && !options.nested) this.cancels.set(jobId, controller);
    else this.uncancellable.add(jobId);
    const meter = progressMeter(() => performance.now());
    const report = (p: Progress) => {
      if (controller.signal.aborted) throw cancelled(kind);
      const measured = meter(p);
      if (!measured) return;
      onProgress?.(measured);
      if (options.nested) return;
      const now = this.clock();
      const progress: JobProgress = {
        ...measured,
        jobId,
        kind,
        at: now.toISOString(),
        pid: process.pid,
      };
      this.events.emit('progress', progress);
      const last = this.lastWrite.get(jobId);
      if (!last || last.phase !== p.phase || now.getTime() - last.at >= PROGRESS_WRITE_MS) {
        this.lastWrite.set(jobId, { at: now.getTime(), phase: p.phase });
        try {
          this.db().setProgress(jobId, JSON.stringify(progress));
        } catch {
          // Progress for other processes is a courtesy: it never fails a job.
        }
      }
    };
    const done = () => {
      this.cancels.delete(jobId);
      this.uncancellable.delete(jobId);
      this.lastWrite.delete(jobId);
    };
    return { report, signal: controller.signal, done };
  }

  /**
   * Cancels a running job of this process: it stops at its next step and
   * leaves nothing behind. A job of another process cannot be cancelled
   * from here.
   */
  cancel(jobId: number): { cancelled: boolean } {
    const controller = this.cancels.get(jobId);
    if (controller) {
      controller.abort();
      return { cancelled: true };
    }
    if (this.uncancellable.has(jobId)) {
      throw new CoffreError(
        'USAGE',
        `Job ${jobId} cannot be cancelled: a restore runs to its end (undo it afterwards if needed).`,
        { details: { jobId } },
      );
    }
    const job = this.db().job(jobId);
    if (!job) throw new CoffreError('USAGE', `There is no job ${jobId}.`, { details: { jobId } });
    if (job.result !== 'running') return { cancelled: false };
    throw new CoffreError(
      'USAGE',
      `Job ${jobId} (${job.kind}) runs in another process; it can only be stopped there.`,
      { details: { jobId } },
    );
  }

  /**
   * Jobs running now, here or in another process, with their last progress.
   * A backup or restore counts only while the job lock is held (one killed
   * stays "running" in the history until the next job closes it).
   */
  running(): (JobRecord & { progress: JobProgress | null })[] {
    const jobs = this.db().runningJobs();
    if (jobs.length === 0) return jobs;
    const lockHeld = fs.existsSync(this.paths.lockInfo);
    // A verification runs without the lock: one killed is forgotten after a few hours.
    const recent = this.clock().getTime() - 6 * 3600_000;
    return jobs.filter((j) => (j.kind === 'verify' ? Date.parse(j.startedAt) > recent : lockHeld));
  }

  /**
   * Watches jobs for a live feed: progress of this process's jobs at once,
   * their end as soon as the job lock is free again (a page that still saw
   * a job running refused to start the next one: "already running"), and
   * every `pollMs` the jobs of other processes (the scheduler in `coffre
   * daemon`, a CLI backup), their progress and their end. Returns the
   * function that stops watching.
   */
  watch(listener: (e: JobFeedEvent) => void, pollMs = 1000): () => void {
    const seen = new Map<number, string | null>();
    const onProgress = (p: JobProgress) => {
      seen.set(p.jobId, p.at);
      listener({ type: 'progress', progress: p });
    };
    const poll = () => {
      let running: ReturnType<JobRunner['running']>;
      try {
        running = this.running();
      } catch {
        return;
      }
      const now = new Set(running.map((j) => j.id));
      for (const job of running) {
        const { progress, ...record } = job;
        if (!seen.has(job.id)) {
          seen.set(job.id, null);
          listener({ type: 'started', job: record });
        }
        // Another process's progress, from the database.
        if (progress && progress.pid !== process.pid && seen.get(job.id) !== progress.at) {
          seen.set(job.id, progress.at);
          listener({ type: 'progress', progress });
        }
      }
      for (const id of [...seen.keys()]) {
        if (now.has(id)) continue;
        seen.delete(id);
        const job = this.db().job(id);
        if (job) listener({ type: 'ended', job });
      }
    };
    this.events.on('progress', onProgress);
    this.released.add(poll);
    poll();
    const timer = setInterval(poll, pollMs);
    timer.unref();
    return () => {
      clearInterval(timer);
      this.released.delete(poll);
      this.events.off('progress', onProgress);
    };
  }

  history(limit = 50, kind?: string): JobRecord[] {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new CoffreError(
        'USAGE',
        `The number of jobs to show must be a whole number of at least 1, not ${String(limit)}.`,
      );
    }
    return this.db().jobs(limit, kind);
  }
}

function cancelled(kind: string): CoffreError {
  return new CoffreError('CANCELLED', `The ${kind} was cancelled; nothing of it was kept.`, {
    details: { kind },
  });
}
