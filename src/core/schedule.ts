// Schedule math for automatic backups: when is the next run, and is a run due
// now? Pure: `now` and the time zone are arguments and nothing here reads the
// clock, the environment or the disk, so a scheduler built on it can be tested
// with fixed dates.
//
// Times are the register's wall-clock time in an IANA zone. Croner lists the
// wall-clock times that match the cron pattern (it runs at UTC offset 0, where
// wall clock and instant coincide, so no daylight saving happens inside it) and
// this module turns each wall-clock time into an instant, with one rule for the
// two daylight-saving days:
// - a time that does not exist (spring forward: 02:30 in Paris on 2026-03-29)
//   runs as far after the jump as it was after the hour it was skipped from,
//   03:30, so a daily run still happens once that day;
// - a time that happens twice (fall back: 02:30 on 2026-10-25) runs at its
//   first instant only, so a daily run does not happen twice. For patterns with
//   a wildcard hour this means the repeated hour is not run a second time.
// That is croner's own rule for its `timezone` option, which is not used here
// because near the change it gets the edges wrong: `nextRun` from inside the
// repeated hour returns an instant before the one asked about, `previousRuns`
// from just after the jump returns a time in the future, `nextRuns` repeats
// instants, and `previousRuns` crashes on some February patterns (croner
// 10.0.1). A wrong answer there means a skipped or doubled backup.

import { Cron } from 'croner';
import { CoffreError } from './errors.js';

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export type ScheduleSpec =
  /** Every day at `at` ('HH:MM', 24-hour, local time). */
  | { every: 'day'; at: string }
  /** Every week on `day` at `at` (local time). */
  | { every: 'week'; day: Weekday; at: string }
  /** A 5-field cron expression (minute hour day-of-month month day-of-week), local time. */
  | { every: 'cron'; cron: string };

const WEEKDAYS: Readonly<Record<Weekday, { cron: number; name: string }>> = {
  sun: { cron: 0, name: 'Sunday' },
  mon: { cron: 1, name: 'Monday' },
  tue: { cron: 2, name: 'Tuesday' },
  wed: { cron: 3, name: 'Wednesday' },
  thu: { cron: 4, name: 'Thursday' },
  fri: { cron: 5, name: 'Friday' },
  sat: { cron: 6, name: 'Saturday' },
};

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * How far a wall-clock time can land from where its offset would naively put
 * it: the largest daylight-saving shift in use is 2 hours (Antarctica/Troll),
 * most are 1 hour. Searches start and stop this far beyond the interesting
 * range so a time moved by a shift is never missed.
 */
const SHIFT_SLACK = 3 * HOUR;

/**
 * How far back lastDue looks. A schedule whose last occurrence is older than
 * this (a leap-day cron) is treated as having none: catching up on a run more
 * than two years late is not what anyone wants from a backup.
 */
const LOOKBACK = 732 * DAY;

/**
 * Windows lastDue tries, smallest first: a dense cron is answered from the
 * last hour without listing days of matches, a yearly one still gets found.
 */
const LOOKBACK_STEPS = [HOUR, DAY, 8 * DAY, 32 * DAY, 367 * DAY, LOOKBACK];

const TIME_EXAMPLE = 'e.g. "02:30"';
const CRON_EXAMPLE = 'e.g. "0 */6 * * *" for every 6 hours';
const SPEC_EXAMPLE = 'e.g. { "every": "day", "at": "02:30" }';

// ---------------------------------------------------------------------------
// Parsing and validation

/** Parses 'HH:MM' (24-hour, two digits each). Throws USAGE otherwise. */
export function parseTime(at: string): { hour: number; minute: number } {
  const time = checkTime(at);
  if (typeof time === 'string') throw new CoffreError('USAGE', time);
  return time;
}

/** The parsed time, or the reason it is not one. */
function checkTime(at: unknown): { hour: number; minute: number } | string {
  if (typeof at !== 'string') {
    return `time must be a string in 24-hour HH:MM, ${TIME_EXAMPLE} (got ${show(at)})`;
  }
  // Two digits each, so that what is stored and shown has one spelling.
  const match = /^(\d{2}):(\d{2})$/.exec(at);
  const hour = Number(match?.[1]);
  const minute = Number(match?.[2]);
  if (!match || hour > 23 || minute > 59) {
    return `time ${show(at)} is not valid: use 24-hour HH:MM from 00:00 to 23:59, ${TIME_EXAMPLE}`;
  }
  return { hour, minute };
}

/**
 * Readable problems with a schedule, [] when it is fine. Accepts anything
 * (a config file's content) and checks the shape as well as the values.
 */
export function validateSpec(spec: unknown): string[] {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    return [`schedule must be an object, ${SPEC_EXAMPLE} (got ${show(spec)})`];
  }
  const fields = spec as Record<string, unknown>;
  switch (fields.every) {
    case 'day':
      return [
        ...unexpectedKeys(fields, ['every', 'at'], `{ "every": "day", "at": "02:30" }`),
        ...timeProblems(fields.at),
      ];
    case 'week':
      return [
        ...unexpectedKeys(
          fields,
          ['every', 'day', 'at'],
          `{ "every": "week", "day": "sun", "at": "03:00" }`,
        ),
        ...dayProblems(fields.day),
        ...timeProblems(fields.at),
      ];
    case 'cron':
      return [
        ...unexpectedKeys(fields, ['every', 'cron'], `{ "every": "cron", "cron": "0 */6 * * *" }`),
        ...cronProblems(fields.cron),
      ];
    default:
      return [
        `"every" must be "day", "week" or "cron" (got ${show(fields.every)}), ${SPEC_EXAMPLE}`,
      ];
  }
}

// A key that belongs to another kind of schedule ("day" on a daily one) most
// likely means the user meant that other kind; silently ignoring it would run
// backups at times they did not ask for.
function unexpectedKeys(fields: Record<string, unknown>, allowed: string[], example: string) {
  return Object.keys(fields)
    .filter((key) => !allowed.includes(key))
    .map((key) => `unexpected key ${show(key)} for every: ${show(fields.every)}, e.g. ${example}`);
}

function timeProblems(at: unknown): string[] {
  if (at === undefined) return [`"at" is missing: give a 24-hour time, ${TIME_EXAMPLE}`];
  const time = checkTime(at);
  return typeof time === 'string' ? [time] : [];
}

function dayProblems(day: unknown): string[] {
  if (typeof day === 'string' && Object.hasOwn(WEEKDAYS, day)) return [];
  const names = Object.keys(WEEKDAYS).join(', ');
  const hint = typeof day === 'string' ? weekdayFromName(day) : undefined;
  return [
    day === undefined
      ? `"day" is missing: give one of ${names}, e.g. "sun"`
      : `day ${show(day)} is not valid: use one of ${names}, e.g. ${show(hint ?? 'sun')}`,
  ];
}

function cronProblems(cron: unknown): string[] {
  if (cron === undefined)
    return [`"cron" is missing: give a 5-field cron expression, ${CRON_EXAMPLE}`];
  if (typeof cron !== 'string') {
    return [`cron must be a string of 5 fields, ${CRON_EXAMPLE} (got ${show(cron)})`];
  }
  const fields = cron.trim().split(/\s+/).filter(Boolean);
  if (fields.length === 1 && fields[0].startsWith('@')) {
    return [
      `cron ${show(cron)}: nicknames are not supported, write the 5 fields, e.g. "0 0 * * *" for midnight`,
    ];
  }
  if (fields.length === 6 || fields.length === 7) {
    // Croner would read the first field as seconds and run this every second
    // of the wrong minutes; a backup schedule needs minutes at most.
    return [
      `cron ${show(cron)} has ${fields.length} fields: a seconds${fields.length === 7 ? ' or year' : ''} field is not supported, use 5 fields (minute hour day-of-month month day-of-week), ${CRON_EXAMPLE}`,
    ];
  }
  if (fields.length !== 5) {
    return [
      `cron ${show(cron)} must have 5 fields (minute hour day-of-month month day-of-week), ${CRON_EXAMPLE}`,
    ];
  }
  let pattern: Cron;
  try {
    pattern = wallClockCron(fields.join(' '));
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).replace(
      /^CronPattern:\s*/,
      '',
    );
    return [`cron ${show(cron)} is not valid (${reason}), ${CRON_EXAMPLE}`];
  }
  // '0 3 31 2 *' parses but never matches; nextRun would have nothing to return.
  if (pattern.nextRun(new Date(Date.UTC(2000, 0, 1))) === null) {
    return [
      `cron ${show(cron)} never matches a date, e.g. "0 3 1 * *" for 03:00 on the 1st of each month`,
    ];
  }
  return [];
}

function assertValid(spec: unknown): asserts spec is ScheduleSpec {
  const problems = validateSpec(spec);
  if (problems.length > 0) throw new CoffreError('USAGE', problems.join('; '));
}

// ---------------------------------------------------------------------------
// Display

/** The schedule as a 5-field cron expression in local time. */
export function toCron(spec: ScheduleSpec): string {
  assertValid(spec);
  switch (spec.every) {
    case 'day': {
      const { hour, minute } = parseTime(spec.at);
      return `${minute} ${hour} * * *`;
    }
    case 'week': {
      const { hour, minute } = parseTime(spec.at);
      return `${minute} ${hour} * * ${WEEKDAYS[spec.day].cron}`;
    }
    case 'cron':
      return normalizeCron(spec.cron);
  }
}

/** 'every day at 02:30', 'every Sunday at 03:00', 'cron "0 *\/6 * * *"'. */
export function describeSpec(spec: ScheduleSpec): string {
  assertValid(spec);
  switch (spec.every) {
    case 'day':
      return `every day at ${spec.at}`;
    case 'week':
      return `every ${WEEKDAYS[spec.day].name} at ${spec.at}`;
    case 'cron':
      return `cron "${normalizeCron(spec.cron)}"`;
  }
}

function normalizeCron(cron: string): string {
  return cron.trim().split(/\s+/).join(' ');
}

// ---------------------------------------------------------------------------
// Occurrences

/** The first occurrence strictly after `after`. */
export function nextRun(spec: ScheduleSpec, after: Date, timeZone: string): Date {
  assertValid(spec);
  const afterMs = instantArg(after, 'after');
  const zone = zoneArg(timeZone);
  const cron = wallClockCron(toCron(spec));

  // A wall-clock time a little before `after` can still land after it (a
  // skipped time moved forward), so the search starts SHIFT_SLACK earlier;
  // and one a little after the best found can land before it (the first of a
  // repeated hour), so it ends SHIFT_SLACK later.
  let best: number | null = null;
  let bestWall = 0;
  for (
    let wall = nextWall(cron, wallOf(afterMs, zone) - SHIFT_SLACK);
    wall !== null && (best === null || wall <= bestWall + SHIFT_SLACK);
    wall = nextWall(cron, wall)
  ) {
    const instant = instantOf(wall, zone);
    if (instant > afterMs && (best === null || instant < best)) {
      best = instant;
      bestWall = wallOf(instant, zone);
    }
  }
  if (best === null) {
    throw new CoffreError(
      'USAGE',
      `schedule ${describeSpec(spec)} has no run after ${after.toISOString()}, ${CRON_EXAMPLE}`,
    );
  }
  return new Date(best);
}

/**
 * The most recent occurrence at or before `now`, or null if there is none in
 * the past two years.
 */
export function lastDue(spec: ScheduleSpec, now: Date, timeZone: string): Date | null {
  assertValid(spec);
  const nowMs = instantArg(now, 'now');
  const zone = zoneArg(timeZone);
  const cron = wallClockCron(toCron(spec));
  const nowWall = wallOf(nowMs, zone);

  // Croner's previousRuns is not used: it crashes on February patterns. Each
  // window is listed forwards instead, from SHIFT_SLACK before it to
  // SHIFT_SLACK after now (see nextRun); the best instant found is final once
  // its wall-clock time is inside the window, since anything earlier lands
  // before it.
  for (const span of LOOKBACK_STEPS) {
    const windowStart = nowWall - span;
    let best: number | null = null;
    for (
      let wall = nextWall(cron, windowStart - SHIFT_SLACK);
      wall !== null && wall <= nowWall + SHIFT_SLACK;
      wall = nextWall(cron, wall)
    ) {
      const instant = instantOf(wall, zone);
      if (instant <= nowMs && (best === null || instant > best)) best = instant;
    }
    if (best !== null && wallOf(best, zone) >= windowStart) return new Date(best);
  }
  return null;
}

/**
 * Whether a run is due now. `lastRun` is when the job last ran (its start), null if never;
 * `since` is when the schedule was set (no catch-up for occurrences before it).
 * A run is due when the most recent occurrence at or before `now` is after both lastRun and since:
 * that covers a missed run (machine off at 02:00, started at 08:00 → due once, not once per missed day).
 * `occurrence` is that most recent occurrence, due or not (null if none in the past two years).
 */
export function isDue(
  spec: ScheduleSpec,
  lastRun: Date | null,
  since: Date,
  now: Date,
  timeZone: string,
): { due: boolean; occurrence: Date | null } {
  const sinceMs = instantArg(since, 'since');
  const lastRunMs = lastRun === null ? null : instantArg(lastRun, 'lastRun');
  const occurrence = lastDue(spec, now, timeZone);
  if (occurrence === null) return { due: false, occurrence: null };
  const at = occurrence.getTime();
  // A lastRun later than now (the clock was set back) simply means not due:
  // the occurrence found is at or before now, so it is not after lastRun.
  const due = at > sinceMs && (lastRunMs === null || at > lastRunMs);
  return { due, occurrence };
}

// ---------------------------------------------------------------------------
// CLI

/**
 * Builds a schedule from command-line options: exactly one of
 * daily '02:30', weekly 'sun 03:00' (English day name, 3 letters or full,
 * any case) or cron '0 *\/6 * * *'.
 */
export function parseSpecArgs(args: {
  daily?: string;
  weekly?: string;
  cron?: string;
}): ScheduleSpec {
  const given = (['daily', 'weekly', 'cron'] as const).filter((key) => args[key] !== undefined);
  if (given.length !== 1) {
    throw new CoffreError(
      'USAGE',
      `give exactly one kind of schedule: daily, weekly or cron (got ${given.length === 0 ? 'none' : given.join(' and ')}), e.g. daily 02:30, weekly "sun 03:00" or cron "0 */6 * * *"`,
    );
  }
  let spec: ScheduleSpec;
  if (args.daily !== undefined) {
    spec = { every: 'day', at: args.daily.trim() };
  } else if (args.weekly !== undefined) {
    const parts = args.weekly.trim().split(/\s+/);
    const day = parts.length === 2 ? weekdayFromName(parts[0]) : undefined;
    if (day === undefined) {
      throw new CoffreError(
        'USAGE',
        `weekly ${show(args.weekly)} is not valid: give a day and a 24-hour time, e.g. "sun 03:00" or "Monday 22:15"`,
      );
    }
    spec = { every: 'week', day, at: parts[1] };
  } else {
    spec = { every: 'cron', cron: args.cron!.trim() };
  }
  assertValid(spec);
  return spec;
}

function weekdayFromName(name: string): Weekday | undefined {
  const lower = name.toLowerCase();
  for (const [day, { name: full }] of Object.entries(WEEKDAYS)) {
    if (lower === day || lower === full.toLowerCase()) return day as Weekday;
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Wall clock ↔ instant. A "wall" is a local date and time stored as the
// milliseconds of that same date and time in UTC, so croner and Date.UTC can
// do calendar arithmetic on it without any zone.

/** A croner pattern over wall-clock times: offset 0 has no daylight saving. */
function wallClockCron(pattern: string): Cron {
  // utcOffset rather than timezone 'UTC': the same result, without croner
  // building an Intl formatter at every step.
  return new Cron(pattern, { paused: true, utcOffset: 0, mode: '5-part' });
}

/** The first matching wall-clock time strictly after `wall`. */
function nextWall(cron: Cron, wall: number): number | null {
  return cron.nextRun(new Date(wall))?.getTime() ?? null;
}

// Formatters are costly to build and the same few zones are asked about at
// every scheduler tick; caching them changes no result.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

function zoneArg(timeZone: unknown): string {
  const problem = `unknown time zone ${show(timeZone)}: use an IANA name, e.g. "Europe/Paris"`;
  if (typeof timeZone !== 'string' || timeZone === '') throw new CoffreError('USAGE', problem);
  try {
    formatter(timeZone);
  } catch (err) {
    throw new CoffreError('USAGE', problem, { cause: err });
  }
  return timeZone;
}

function instantArg(date: unknown, name: string): number {
  const ms = date instanceof Date ? date.getTime() : NaN;
  if (Number.isNaN(ms)) {
    throw new CoffreError(
      'USAGE',
      `${name} must be a valid Date, e.g. new Date('2026-01-10T08:00:00Z')`,
    );
  }
  return ms;
}

/** The local wall-clock time of an instant. */
function wallOf(instant: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const { type, value } of formatter(timeZone).formatToParts(instant)) {
    parts[type] = Number(value);
  }
  const millis = ((instant % 1000) + 1000) % 1000;
  return Date.UTC(
    parts.year,
    parts.month - 1,
    parts.day,
    parts.hour,
    parts.minute,
    parts.second,
    millis,
  );
}

/** Local time minus UTC at an instant, in milliseconds. */
function offsetAt(instant: number, timeZone: string): number {
  return wallOf(instant, timeZone) - instant;
}

/**
 * The instant a wall-clock time stands for: its first instant if it happens
 * twice, and if it is skipped, the instant the pre-jump offset gives, which
 * is as far after the jump as the time was after the start of the skipped
 * hour (02:30 → 03:30 when 02:00 jumps to 03:00).
 */
function instantOf(wall: number, timeZone: string): number {
  // The instant is within 14 hours of `wall` read as UTC, so the offsets a day
  // either side are the ones in force before and after any change near it.
  const before = wall - offsetAt(wall - DAY, timeZone);
  const after = wall - offsetAt(wall + DAY, timeZone);
  if (before === after) return before;
  const beforeFits = wallOf(before, timeZone) === wall;
  const afterFits = wallOf(after, timeZone) === wall;
  if (beforeFits && afterFits) return Math.min(before, after);
  if (afterFits) return after;
  return before;
}

/** A value as it would appear in a config file, for messages. */
function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    // JSON.stringify gives undefined for functions and throws on bigints.
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}
