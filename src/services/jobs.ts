// The job runner: one job at a time per home (the lock), the history of every
// job (started, succeeded, failed), and the events a host app listens to.
// Every other service runs its jobs through this one.

import { EventEmitter } from 'node:events';
import { asCoffreError, CoffreError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { Origin } from '../core/manifest.js';
import { progressMeter, type Progress } from '../core/progress.js';
import type { RestorePlan } from '../restore/plan.js';
import type { HomePaths } from '../state/home.js';
import { acquireJobLock, type JobLock } from '../state/lock.js';
import type { JobRecord, StateDb } from '../state/statedb.js';

/** What BackupCenter tells a host app as it happens (`center.events.on('restore', ...)`). */
export interface CenterEvents {
  backup: [{ id: string; origin: Origin; destinations: string[] }];
  restore: [
    | { phase: 'planned'; backupId: string; plan: RestorePlan }
    | {
        phase: 'applied';
        backupId: string;
        safetyBackupId: string | null;
        restartApp: boolean;
        /** The fiscal archive of the records the restore took out of the chain, written first. */
        fiscalArchive: string | null;
      }
    | { phase: 'failed'; backupId: string; code: string; message: string },
  ];
  /**
   * How far a running job is: its phase, bytes or rows, and the time left of
   * the phase (at most every 100 ms a phase; its first and last reports always).
   */
  progress: [Progress & { job: string; jobId: number }];
}

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
    return lock;
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
   * The progress reporter of a job: adds the time left of the phase, and
   * tells both the caller's `onProgress` and the `progress` listeners.
   */
  reporter(job: string, jobId: number, onProgress?: (p: Progress) => void): (p: Progress) => void {
    const meter = progressMeter(() => performance.now());
    return (p) => {
      const measured = meter(p);
      if (!measured) return;
      onProgress?.(measured);
      this.events.emit('progress', { ...measured, job, jobId });
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
