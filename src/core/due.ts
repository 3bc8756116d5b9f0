// When a scheduled job is due, counting failed attempts: a slot whose run
// failed is tried again after a growing pause, until it succeeds or the next
// slot comes; and how old the newest backup may be before it is stale, from
// the schedule's period. Pure: `now` is an argument.

import { lastDue, nextRun, type ScheduleSpec } from './schedule.js';

/** The first retry of a failed slot waits this long; each further failure doubles it. */
export const RETRY_FIRST_MS = 5 * 60_000;
/** ...up to this pause between two attempts. */
export const RETRY_MAX_MS = 4 * 3600_000;

/** The pause after `failures` failed attempts in a row (1 → 5 min, 2 → 10 min, ... at most 4 h). */
export function retryDelayMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.min(failures - 1, 20));
}

export interface Attempt {
  /** When it started (ISO). */
  at: string;
  ok: boolean;
}

export interface DueState {
  due: boolean;
  /** The slot this is about (the latest occurrence at or before now), null if none. */
  occurrence: Date | null;
  /** Failed attempts for this slot so far. */
  failures: number;
  /** When a failed slot may be tried again (null unless waiting for a retry). */
  retryAt: Date | null;
}

/**
 * Whether a scheduled job is due. `attempts` are this job's scheduled
 * attempts, newest first; `lastSuccess` is the newest good run of the job
 * whatever started it (a manual backup after the slot fulfils it). A slot is
 * due once when it comes (or at the next start, if the machine was off); if
 * that attempt failed, it is due again after retryDelayMs(failures), until an
 * attempt succeeds or the next slot takes over.
 */
export function dueState(args: {
  spec: ScheduleSpec;
  attempts: readonly Attempt[];
  lastSuccess: string | null;
  since: Date;
  now: Date;
  timeZone: string;
  retry: boolean;
}): DueState {
  const occurrence = lastDue(args.spec, args.now, args.timeZone);
  const none = { due: false, occurrence, failures: 0, retryAt: null };
  if (occurrence === null || occurrence.getTime() <= args.since.getTime()) return none;
  const slot = occurrence.getTime();
  const nowMs = args.now.getTime();
  const inSlot = args.attempts.filter((a) => {
    const t = Date.parse(a.at);
    return t >= slot && t <= nowMs;
  });
  const newest = args.attempts[0];
  // The clock set back: a run later than now means not due.
  if (newest && Date.parse(newest.at) > nowMs) return none;
  if (inSlot.length === 0) return { ...none, due: true };
  if (!args.retry || inSlot.some((a) => a.ok)) return none;
  if (args.lastSuccess !== null && Date.parse(args.lastSuccess) >= slot) return none;
  const failures = inSlot.length;
  const retryAt = Date.parse(inSlot[0].at) + retryDelayMs(failures);
  return { due: nowMs >= retryAt, occurrence, failures, retryAt: new Date(retryAt) };
}

/** When the user set no threshold and there is no schedule: a day and a bit. */
export const DEFAULT_STALE_HOURS = 26;
/** Slack on top of the schedule's period: a backup that takes a while, a late start. */
export const STALE_SLACK_HOURS = 2;

/**
 * How old the newest backup may be before it is stale: the user's setting
 * when there is one, else the longest gap between two runs of the schedule
 * (over the next few weeks) plus STALE_SLACK_HOURS, else DEFAULT_STALE_HOURS.
 */
export function staleThresholdHours(
  explicit: number | null,
  spec: ScheduleSpec | null,
  now: Date,
  timeZone: string,
): number {
  if (explicit !== null) return explicit;
  if (spec === null) return DEFAULT_STALE_HOURS;
  let longest = 0;
  let at = lastDue(spec, now, timeZone) ?? now;
  const end = now.getTime() + 35 * 24 * 3600_000;
  for (let i = 0; i < 500 && at.getTime() < end; i++) {
    const next = nextRun(spec, at, timeZone);
    longest = Math.max(longest, next.getTime() - at.getTime());
    at = next;
  }
  return Math.ceil(longest / 3600_000) + STALE_SLACK_HOURS;
}

/**
 * Which fiscal archives a schedule asks for now, oldest first: every month
 * (`monthly`) and every year (`yearly`) that ended on or after the day the
 * fiscal schedule was set (`since`, YYYY-MM-DD) and before `today` (the
 * register's local day), that has no archive yet, and does not end before
 * the register's first record. A period has an archive when one of the
 * series bears its label (`made`: "2026-11", "2026") or when the series
 * already covers it (`coveredTo`: the last day of the newest archive of the
 * series; the series never overlaps itself). Runs missed while the machine
 * was off are all still due; one already made never is again.
 */
export function dueFiscalPeriods(input: {
  monthly: boolean;
  yearly: boolean;
  since: string;
  today: string;
  made: ReadonlySet<string>;
  coveredTo?: string | null;
  firstRecordDay: string | null;
}): string[] {
  if (input.firstRecordDay === null) return [];
  const due: string[] = [];
  const from = input.since < input.firstRecordDay ? input.firstRecordDay : input.since;
  const covered = input.coveredTo ?? '';
  const open = (label: string, end: string) => end > covered && !input.made.has(label);
  const lastDayOfMonth = (y: number, m: number) =>
    new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10); // m: 1..12
  let y = Number(from.slice(0, 4));
  let m = Number(from.slice(5, 7));
  const endYear = Number(input.today.slice(0, 4));
  for (; y <= endYear; y++, m = 1) {
    for (; m <= 12; m++) {
      const end = lastDayOfMonth(y, m);
      if (end >= input.today) break;
      const label = `${y}-${String(m).padStart(2, '0')}`;
      if (input.monthly && end >= from && open(label, end)) due.push(label);
    }
    const yearEnd = `${y}-12-31`;
    if (input.yearly && yearEnd < input.today && yearEnd >= from && open(String(y), yearEnd))
      due.push(String(y));
  }
  return due;
}

/**
 * When a failed scheduled job that has no slot of its own (the fiscal
 * archives: due as long as a period has none) may run again: `attempts` are
 * its scheduled attempts, newest first. The failures at the head of the list
 * (since the last success) set the pause, as for a failed backup. Null: no
 * failure to wait after.
 */
export function retryAfterFailures(attempts: readonly Attempt[]): Date | null {
  let failures = 0;
  while (failures < attempts.length && !attempts[failures].ok) failures++;
  if (failures === 0) return null;
  return new Date(Date.parse(attempts[0].at) + retryDelayMs(failures));
}

/**
 * The next period a fiscal schedule will archive once it is over, and the
 * local day it becomes due (the day after it ends): the current month for
 * monthly archives, else the current year. Null when neither is asked for.
 */
export function nextFiscalPeriod(
  monthly: boolean,
  yearly: boolean,
  today: string,
): { period: string; dueOn: string } | null {
  const y = Number(today.slice(0, 4));
  const m = Number(today.slice(5, 7));
  if (monthly) {
    const dueOn = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
    return { period: today.slice(0, 7), dueOn };
  }
  if (yearly) return { period: String(y), dueOn: `${y + 1}-01-01` };
  return null;
}
