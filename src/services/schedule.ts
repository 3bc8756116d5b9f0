// The schedule: when automatic backups and test restores run, which ones are
// due (a run missed while the machine was off is due once), running one
// under the lock, and the backup an app asks for when it closes.

import type { Clock } from '../core/clock.js';
import { formatInZone } from '../core/time.js';
import {
  dueFiscalPeriods,
  dueState,
  nextFiscalPeriod,
  retryAfterFailures,
  staleThresholdHours,
  type DueState,
} from '../core/due.js';
import { describeSpec, nextRun, type ScheduleSpec } from '../core/schedule.js';
import { backupWarnings } from '../core/warnings.js';
import type { Config, ConfigStore } from '../state/config.js';
import type { JobRecord } from '../state/statedb.js';
import type { BackupOptions, BackupResult, BackupService } from './backup.js';
import type { DestinationService } from './destinations.js';
import type { JobRunner } from './jobs.js';
import type { VerifyReport, VerifyService } from './verify.js';
import type { FiscalService } from '../fiscal/service.js';
import type { FiscalExportResult } from '../fiscal/types.js';

/** The jobs the schedule runs. */
export type ScheduledKind = 'backup' | 'verify' | 'fiscal';

/** How often the schedule makes fiscal archives. */
export type FiscalEvery = 'monthly' | 'yearly' | 'off';

/** The fiscal archives of a schedule: how often, what is due, what comes next. */
export interface ScheduledFiscalInfo {
  every: 'monthly' | 'yearly';
  /** The register's local day it was set: periods that ended before it are not caught up. */
  since: string | null;
  /** Periods over and not archived yet, oldest first ("2026-11", "2026"). */
  due: string[];
  /** When a failed attempt may run again (ISO), else null. */
  retryAt: string | null;
  /** The next period to archive once it is over, and the local day it becomes due. */
  next: { period: string; dueOn: string } | null;
  last: JobRecord | null;
}

/** What a scheduled run of fiscal archives made, and the period that failed (the next run retries it). */
export interface ScheduledFiscalRun {
  made: (FiscalExportResult & { label: string })[];
  failed: { period: string; code: string; message: string } | null;
}

export interface ScheduleInfo {
  timeZone: string;
  backup: ScheduledJobInfo | null;
  verify: ScheduledJobInfo | null;
  onClose: boolean;
  destinations: string[];
  since: string | null;
  /** Fiscal archives made by the schedule; null: off. */
  fiscal: ScheduledFiscalInfo | null;
}

export interface ScheduledJobInfo {
  spec: ScheduleSpec;
  describe: string;
  /** The next run (ISO, UTC). */
  next: string;
  /** The next run in the schedule's time zone, "YYYY-MM-DD HH:MM". */
  nextLocal: string;
  last: JobRecord | null;
}

export type SchedulePatch = Partial<
  Pick<Config['schedule'], 'backup' | 'verify' | 'onClose' | 'destinations' | 'timeZone'>
> & {
  /** Fiscal archives: one per closed month, one per closed year, or none. */
  fiscal?: FiscalEvery;
};

export type ScheduledRun =
  | { kind: 'backup'; result: BackupResult }
  | { kind: 'verify'; result: VerifyReport }
  | { kind: 'fiscal'; result: ScheduledFiscalRun }
  | null;

export class ScheduleService {
  constructor(
    private readonly config: ConfigStore,
    private readonly jobs: Pick<JobRunner, 'lock' | 'db' | 'start' | 'recorded'>,
    private readonly destinations: Pick<DestinationService, 'get'>,
    private readonly backups: Pick<BackupService, 'backup' | 'backupLocked'>,
    private readonly verifier: Pick<VerifyService, 'verify'>,
    private readonly fiscal: Pick<
      FiscalService,
      'seriesState' | 'heldCoverage' | 'exportScheduled'
    >,
    private readonly clock: Clock,
  ) {}

  /** The last day the destinations' period archives cover, when the index knew none (read once). */
  private heldTo: string | null = null;

  /** The register's local time zone: the config's, else the machine's. */
  get timeZone(): string {
    return this.config.get().schedule.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  }

  /** The register's local day (YYYY-MM-DD) at `now`. */
  localDay(now: Date, timeZone: string = this.timeZone): string {
    return formatInZone(now, timeZone).slice(0, 10);
  }

  /** Changes the schedule; a run missed before this moment is not caught up. */
  async set(patch: SchedulePatch, now: Date = this.clock()): Promise<ScheduleInfo> {
    for (const d of patch.destinations ?? []) this.destinations.get(d);
    const { fiscal: every, ...rest } = patch;
    await this.config.update((c) => {
      const fiscal =
        every === undefined
          ? c.schedule.fiscal
          : {
              monthly: every === 'monthly',
              yearly: every === 'yearly',
              // Only a change of how often moves the day from which periods count.
              since:
                (every === 'monthly') === c.schedule.fiscal.monthly &&
                (every === 'yearly') === c.schedule.fiscal.yearly
                  ? c.schedule.fiscal.since
                  : every === 'off'
                    ? null
                    : this.localDay(now, rest.timeZone ?? this.timeZone),
            };
      return { ...c, schedule: { ...c.schedule, ...rest, fiscal, since: now.toISOString() } };
    }, 'schedule-set');
    return this.info(now);
  }

  info(now: Date = this.clock()): ScheduleInfo {
    const tz = this.timeZone;
    const config = this.config.get();
    const sched = config.schedule;
    const describe = (spec: ScheduleSpec | null, kind: string): ScheduledJobInfo | null => {
      if (!spec) return null;
      const next = nextRun(spec, now, tz);
      return {
        spec,
        describe: describeSpec(spec),
        next: next.toISOString(),
        nextLocal: formatInZone(next, tz),
        last: this.jobs.db().lastJob(kind, 'schedule'),
      };
    };
    return {
      timeZone: tz,
      backup: describe(sched.backup, 'backup'),
      verify: describe(sched.verify, 'verify'),
      onClose: sched.onClose,
      destinations: sched.destinations.length > 0 ? sched.destinations : config.defaultDestinations,
      since: sched.since,
      fiscal: this.fiscalInfo(now),
    };
  }

  private fiscalInfo(now: Date): ScheduledFiscalInfo | null {
    const f = this.config.get().schedule.fiscal;
    if (!f.monthly && !f.yearly) return null;
    const { due, retryAt } = this.fiscalDue(now);
    return {
      every: f.monthly ? 'monthly' : 'yearly',
      since: f.since,
      due,
      retryAt: retryAt?.toISOString() ?? null,
      next: nextFiscalPeriod(f.monthly, f.yearly, this.localDay(now)),
      last: this.jobs.db().lastJob('fiscal', 'schedule'),
    };
  }

  /**
   * The fiscal archives the schedule asks for now, oldest first: each month
   * or year over (in the register's time zone) since the fiscal schedule was
   * set, that the series does not hold yet; and, after a failed attempt,
   * when the next one may run (the same pauses as a failed backup).
   */
  fiscalDue(now: Date): { due: string[]; retryAt: Date | null } {
    const f = this.config.get().schedule.fiscal;
    if (!f.monthly && !f.yearly) return { due: [], retryAt: null };
    const today = this.localDay(now);
    const state = this.fiscal.seriesState();
    const coveredTo = [state.coveredTo, this.heldTo]
      .filter((d): d is string => d !== null)
      .sort()
      .at(-1);
    const due = dueFiscalPeriods({
      monthly: f.monthly,
      yearly: f.yearly,
      since: f.since ?? today,
      today,
      made: state.made,
      coveredTo: coveredTo ?? null,
      firstRecordDay: state.firstRecordDay,
    });
    const attempts = this.jobs
      .db()
      .jobs(50, 'fiscal')
      .filter((j) => j.trigger === 'schedule')
      .map((j) => ({ at: j.startedAt, ok: j.result !== 'failed' }));
    return { due, retryAt: due.length > 0 ? retryAfterFailures(attempts) : null };
  }

  private fiscalIsDue(now: Date): boolean {
    const { due, retryAt } = this.fiscalDue(now);
    return due.length > 0 && (retryAt === null || now.getTime() >= retryAt.getTime());
  }

  /**
   * Makes the due fiscal archives, oldest first, each a job in the history.
   * The first failure stops the run (the series stays in order); it is due
   * again after the retry pause.
   */
  private async runFiscal(now: Date): Promise<ScheduledFiscalRun | null> {
    let { due } = this.fiscalDue(now);
    if (this.fiscal.seriesState().coveredTo === null) {
      // No index of the archives made here (a new machine, a lost home): the destinations may hold some.
      this.heldTo = await this.fiscal.heldCoverage();
      due = this.fiscalDue(now).due;
    }
    if (due.length === 0) return null;
    const made: ScheduledFiscalRun['made'] = [];
    for (const label of due) {
      const job = this.jobs.start('fiscal', now, [], { trigger: 'schedule' });
      try {
        const result = await this.jobs.recorded(
          job,
          () => this.fiscal.exportScheduled(label, now),
          (r) => ({
            result: r.failed.length > 0 ? 'partial' : 'ok',
            backupId: r.id,
            bytes: r.size,
            sha256: r.sha256,
            detail: label,
          }),
        );
        made.push({ ...result, label });
      } catch (err) {
        const e = err as { code?: string; message: string };
        return { made, failed: { period: label, code: e.code ?? 'INTERNAL', message: e.message } };
      }
    }
    return { made, failed: null };
  }

  /**
   * Where a scheduled job stands: due or not, and for a slot whose backup
   * failed, the attempts so far and when the next one may run.
   */
  dueState(kind: 'backup' | 'verify', now: Date): DueState | null {
    const sched = this.config.get().schedule;
    const spec = sched[kind];
    if (!spec) return null;
    const db = this.jobs.db();
    const recent = db.jobs(200, kind);
    const attempts = recent
      .filter((j) => j.trigger === 'schedule')
      .map((j) => ({ at: j.startedAt, ok: j.result === 'ok' || j.result === 'partial' }));
    const good = recent.find((j) => j.result === 'ok' || j.result === 'partial');
    return dueState({
      spec,
      attempts,
      lastSuccess: good?.startedAt ?? null,
      since: sched.since ? new Date(sched.since) : new Date(0),
      now,
      timeZone: this.timeZone,
      // A failed backup is retried (the cause may pass: a drive plugged back
      // in, a network back); a failed test restore is a finding, not retried.
      retry: kind === 'backup',
    });
  }

  /**
   * Which scheduled jobs are due now: a slot not run yet (a run missed while
   * the machine was off is due once), or a slot whose backup failed, after
   * the retry pause.
   */
  dueJobs(now: Date): ScheduledKind[] {
    const due: ScheduledKind[] = (['backup', 'verify'] as const).filter(
      (kind) => this.dueState(kind, now)?.due,
    );
    if (this.fiscalIsDue(now)) due.push('fiscal');
    return due;
  }

  /** Hours after which the newest backup is stale: the user's setting, else from the schedule. */
  staleAfterHours(now: Date = this.clock()): number {
    const config = this.config.get();
    return staleThresholdHours(
      config.alerts.staleAfterHours,
      config.schedule.backup,
      now,
      this.timeZone,
    );
  }

  /**
   * Cheap staleness check from the job history (no destination is read): the
   * scheduler calls it on every tick.
   */
  staleness(now: Date): { stale: string | null; newest: string | null } {
    const last = this.jobs
      .db()
      .jobs(200, 'backup')
      .find((j) => j.result === 'ok' || j.result === 'partial');
    const stale = backupWarnings(
      last?.startedAt ?? null,
      null,
      this.staleAfterHours(now),
      now,
      this.timeZone,
    ).find((w) => w.code === 'BACKUP_STALE');
    return { stale: stale?.message ?? null, newest: last?.backupId ?? null };
  }

  private scheduledBackupOptions(now: Date, trigger: string): BackupOptions {
    const to = this.config.get().schedule.destinations;
    return { origin: 'automatic', trigger, now, ...(to.length > 0 ? { to } : {}) };
  }

  /**
   * Runs one scheduled job if it is still due once the job lock is held, so
   * that two schedulers waking together (two daemons, a daemon and a host
   * app) never run the same job twice. Returns null when it was no longer
   * due; throws BUSY when another job holds the lock.
   */
  async runScheduled(kind: ScheduledKind, now: Date): Promise<ScheduledRun> {
    const lock = this.jobs.lock(`scheduled ${kind}`, now);
    try {
      if (!this.dueJobs(now).includes(kind)) return null;
      if (kind === 'fiscal') {
        const result = await this.runFiscal(now);
        return result ? { kind, result } : null;
      }
      if (kind === 'backup') {
        return {
          kind,
          result: await this.backups.backupLocked(this.scheduledBackupOptions(now, 'schedule')),
        };
      }
      return {
        kind,
        result: await this.verifier.verify('latest', { deep: true, trigger: 'schedule', now }),
      };
    } finally {
      lock.release();
    }
  }

  /**
   * A host app calls this when it closes: with "on close" enabled, takes an
   * automatic backup before returning. Returns null when it is not enabled.
   */
  async onApplicationClose(now: Date = this.clock()): Promise<BackupResult | null> {
    return (await this.applicationClosed({ now })).backup;
  }

  /**
   * The app closed: whether to back up (only with "on close" enabled), and
   * the backup. `how` is what told Coffre: the host library, the app's exit
   * script (`on-close`), or `coffre run` that started the app; `appExit`,
   * when known, is kept in the backup's note.
   */
  async applicationClosed(
    options: {
      now?: Date;
      how?: 'library' | 'exit-script' | 'run';
      appExit?: { code: number | null; signal: string | null };
    } = {},
  ): Promise<AppClosedResult> {
    if (!this.config.get().schedule.onClose) return { backup: null, skipped: 'ON_CLOSE_DISABLED' };
    const now = options.now ?? this.clock();
    const exit = options.appExit;
    const note = exit
      ? `after the app exited (${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`})`
      : null;
    const backup = await this.backups.backup({
      ...this.scheduledBackupOptions(now, options.how === 'run' ? 'run' : 'on-close'),
      note,
    });
    return { backup, skipped: null };
  }
}

/** What happened when the app closed: a backup, or why there was none. */
export interface AppClosedResult {
  backup: BackupResult | null;
  /** ON_CLOSE_DISABLED: "on close" is not enabled in the schedule, so nothing was done. */
  skipped: 'ON_CLOSE_DISABLED' | null;
}
