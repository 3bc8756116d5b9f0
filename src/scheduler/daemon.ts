// The scheduler behind `coffre daemon`: runs due backups and test restores,
// one job at a time, catches up a run missed while the machine was off, and
// takes the on-close backup when it is stopped. The clock is injected so that
// tests drive it through days and weeks in milliseconds.

import { isCoffreError, type BackupCenter } from '../index.js';
import type { AlertEvent, ScheduledFiscalRun, ScheduledKind } from '../index.js';

export interface Clock {
  now(): Date;
  /** Resolves after `ms`, or early when the signal aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    }),
};

export type SchedulerEvent =
  | { type: 'job-done'; kind: ScheduledKind; at: string; backupId: string; detail: string }
  | { type: 'job-failed'; kind: ScheduledKind; at: string; code: string; message: string }
  | { type: 'job-skipped'; kind: ScheduledKind; at: string; reason: string }
  | { type: 'alert'; at: string; event: AlertEvent['event']; problems: string[] };

/** Re-reads the clock at least this often, so a jump (sleep, clock change) is noticed. */
const MAX_SLEEP_MS = 60_000;

export class Scheduler {
  private staleAlertedFor: string | null = null;

  private readonly maxSleepMs: number;

  constructor(
    private readonly center: BackupCenter,
    private readonly clock: Clock,
    private readonly onEvent: (e: SchedulerEvent) => void = () => undefined,
    options: { maxSleepMs?: number } = {},
  ) {
    this.maxSleepMs = options.maxSleepMs ?? MAX_SLEEP_MS;
  }

  /** Runs every job that is due, one after the other. Never throws. */
  async tick(): Promise<SchedulerEvent[]> {
    const events: SchedulerEvent[] = [];
    const emit = (e: SchedulerEvent) => {
      events.push(e);
      this.onEvent(e);
    };
    for (const kind of this.center.dueJobs(this.clock.now())) {
      const at = this.clock.now();
      try {
        const ran = await this.center.runScheduled(kind, at);
        if (ran?.kind === 'fiscal') {
          await this.fiscalDone(ran.result, at, emit);
        } else if (ran) {
          const detail = ran.kind === 'backup' ? `${ran.result.size} bytes` : ran.result.level;
          emit({ type: 'job-done', kind, at: at.toISOString(), backupId: ran.result.id, detail });
          // A test restore that could not be made (no key on this machine) is not a pass.
          if (ran.kind === 'verify' && ran.result.status === 'not-done') {
            const message = `The scheduled test restore of ${ran.result.id} was not done: ${ran.result.notChecked ?? ''}`;
            emit({ type: 'job-failed', kind, at: at.toISOString(), code: 'KEY_REQUIRED', message });
            await this.alert('verify-failed', message, emit);
          }
          // Made, but not everywhere (a cloud over its quota, an unplugged drive): someone should know.
          if (ran.kind === 'backup' && ran.result.failed.length > 0) {
            const message = `Backup ${ran.result.id} was not saved to ${ran.result.failed.map((f) => `${f.destination} (${f.message})`).join('; ')}`;
            emit({
              type: 'job-failed',
              kind,
              at: at.toISOString(),
              code: ran.result.failed[0].code,
              message,
            });
            await this.alert('backup-failed', message, emit);
          }
        }
      } catch (err) {
        if (isCoffreError(err, 'BUSY')) {
          // Another job holds the lock; the run stays due and is retried next tick.
          emit({ type: 'job-skipped', kind, at: at.toISOString(), reason: err.message });
          continue;
        }
        const code = isCoffreError(err) ? err.code : 'INTERNAL';
        const message = (err as Error).message;
        emit({ type: 'job-failed', kind, at: at.toISOString(), code, message });
        const event = kind === 'backup' ? 'backup-failed' : (`${kind}-failed` as const);
        await this.alert(event, message, emit);
      }
    }
    await this.checkStale(emit);
    return events;
  }

  /**
   * Fiscal archives made (each a job-done), one that failed (job-failed and
   * an alert: the next run retries it), destinations that missed one, and an
   * audit that found problems (the archive is made, someone must know).
   */
  private async fiscalDone(
    run: ScheduledFiscalRun,
    at: Date,
    emit: (e: SchedulerEvent) => void,
  ): Promise<void> {
    const when = at.toISOString();
    const problems: string[] = [];
    for (const m of run.made) {
      emit({
        type: 'job-done',
        kind: 'fiscal',
        at: when,
        backupId: m.id,
        detail: `fiscal archive ${m.label}`,
      });
      if (m.failed.length > 0) {
        problems.push(
          `Fiscal archive ${m.label} was not saved to ${m.failed.map((f) => `${f.destination} (${f.message})`).join('; ')}`,
        );
      }
      if (!m.audit.ok) {
        problems.push(`The fiscal audit found problems: ${m.audit.findings.join(' ')}`);
      }
    }
    if (run.failed) {
      const message = `The fiscal archive of ${run.failed.period} could not be made: ${run.failed.message}`;
      emit({ type: 'job-failed', kind: 'fiscal', at: when, code: run.failed.code, message });
      problems.push(message);
    }
    if (problems.length > 0) await this.alert('fiscal-failed', problems.join('\n'), emit);
  }

  private async checkStale(emit: (e: SchedulerEvent) => void): Promise<void> {
    const { stale, newest } = this.center.staleness(this.clock.now());
    if (stale && this.staleAlertedFor !== newest) {
      this.staleAlertedFor = newest;
      await this.alert('backup-stale', stale, emit);
    }
  }

  private async alert(
    event: AlertEvent['event'],
    message: string,
    emit: (e: SchedulerEvent) => void,
  ): Promise<void> {
    const at = this.clock.now().toISOString();
    const problems = await this.center.sendAlert(event, message);
    if (problems) emit({ type: 'alert', at, event, problems });
  }

  /** How long to sleep before the next look. */
  private wait(): number {
    const info = this.center.scheduleInfo(this.clock.now());
    const now = this.clock.now().getTime();
    const next = [info.backup?.next, info.verify?.next]
      .filter((x): x is string => x !== undefined)
      .map((x) => Date.parse(x) - now);
    return Math.max(1_000, Math.min(this.maxSleepMs, ...next));
  }

  /**
   * Ticks until `signal` aborts (the first tick catches up a missed run), then
   * takes the on-close backup if it is enabled.
   */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.tick();
      if (signal.aborted) break;
      await this.clock.sleep(this.wait(), signal);
    }
    if (this.center.configuration.schedule.onClose) {
      const at = this.clock.now();
      try {
        const r = await this.center.onApplicationClose(at);
        if (r)
          this.onEvent({
            type: 'job-done',
            kind: 'backup',
            at: at.toISOString(),
            backupId: r.id,
            detail: 'on close',
          });
      } catch (err) {
        const code = isCoffreError(err) ? err.code : 'INTERNAL';
        this.onEvent({
          type: 'job-failed',
          kind: 'backup',
          at: at.toISOString(),
          code,
          message: (err as Error).message,
        });
      }
    }
  }
}
