// Which backups a destination keeps and which it deletes, and why: the pure
// planner behind retention after each backup and `coffre prune --dry-run`.
// Automatic backups follow restic's `forget --keep-daily/-weekly/-monthly/
// -yearly` bucket model; manual, pre-operation and safety backups have their
// own rules, and a few safety nets override any policy. No clock and no
// environment: `now` and the time zone are arguments, so a plan can be
// replayed exactly. docs/RETENTION.md is the human-readable version of this
// file; keep both in step.

import { CoffreError } from './errors.js';
import { ORIGINS, type Origin } from './manifest.js';

export interface RetentionPolicy {
  daily: number;
  weekly: number;
  monthly: number;
  yearly: number;
  /** pre-operation backups: keep the N most recent */
  preOperation: number;
  /** safety backups (taken before a restore): keep the N most recent */
  safety: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = Object.freeze({
  daily: 7,
  weekly: 4,
  monthly: 0,
  yearly: 0,
  preOperation: 10,
  safety: 5,
});

export interface RetentionItem {
  id: string;
  /** ISO 8601 with `Z` or an offset. */
  createdAt: string;
  origin: Origin;
  /** Result of the last verification of this backup, if any. */
  verification: 'passed' | 'failed' | null;
}

export interface RetentionDecision {
  id: string;
  keep: boolean;
  /**
   * Kept: every rule that keeps it, e.g. ['daily 2026-11-20', 'weekly 2026-W47'].
   * Deleted: the one reason it goes, e.g. ['automatic, outside every rule'].
   */
  reasons: string[];
}

/** Upper bound of every count: 1000 days is nearly three years of dailies. */
export const MAX_RETENTION_COUNT = 1000;

const POLICY_KEYS = ['daily', 'weekly', 'monthly', 'yearly', 'preOperation', 'safety'] as const;
const CALENDAR_RULES = ['daily', 'weekly', 'monthly', 'yearly'] as const;
type CalendarRule = (typeof CALENDAR_RULES)[number];

const DAY_MS = 86_400_000;

/** `path: message` lines, [] when the policy is usable. */
export function validatePolicy(p: unknown): string[] {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) {
    return [`policy: must be an object with ${POLICY_KEYS.join(', ')}`];
  }
  const record = p as Record<string, unknown>;
  const errors: string[] = [];
  for (const key of POLICY_KEYS) {
    const value = Object.hasOwn(record, key) ? record[key] : undefined;
    const range = `a whole number from 0 to ${MAX_RETENTION_COUNT}`;
    if (value === undefined) {
      errors.push(`${key}: is missing; give ${range}`);
    } else if (typeof value !== 'number' || !Number.isFinite(value)) {
      errors.push(`${key}: must be ${range}, got ${show(value)}`);
    } else if (!Number.isInteger(value)) {
      errors.push(`${key}: must be a whole number, got ${value}`);
    } else if (value < 0) {
      errors.push(`${key}: must not be negative, got ${value}`);
    } else if (value > MAX_RETENTION_COUNT) {
      errors.push(`${key}: must be at most ${MAX_RETENTION_COUNT}, got ${value}`);
    }
  }
  for (const key of Object.keys(record)) {
    if (!(POLICY_KEYS as readonly string[]).includes(key)) {
      // A misspelt key ('dayly') would otherwise silently fall back to a default.
      errors.push(`${key}: unknown setting; expected one of ${POLICY_KEYS.join(', ')}`);
    }
  }
  return errors;
}

/** '7 daily, 4 weekly', with monthly and yearly only when non-zero. */
export function describePolicy(p: RetentionPolicy): string {
  const parts = CALENDAR_RULES.filter((rule) => p[rule] > 0).map((rule) => `${p[rule]} ${rule}`);
  return parts.length > 0 ? parts.join(', ') : 'no daily, weekly, monthly or yearly backups';
}

interface Entry {
  item: RetentionItem;
  /** Milliseconds since the epoch; undefined when createdAt cannot be read. */
  at: number | undefined;
  reasons: string[];
}

/**
 * One decision per item, ordered newest first (ties on createdAt: the greater
 * id first). Throws a USAGE CoffreError for an invalid policy, `now` or time zone.
 */
export function planRetention(
  items: readonly RetentionItem[],
  policy: RetentionPolicy,
  now: Date,
  timeZone: string,
): RetentionDecision[] {
  const problems = validatePolicy(policy);
  if (problems.length > 0) {
    throw new CoffreError('USAGE', `Invalid retention policy: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  const nowMs = now.getTime();
  if (Number.isNaN(nowMs)) {
    throw new CoffreError('USAGE', 'The current time given to retention is not a valid date.');
  }
  const localDate = localDateReader(timeZone);

  const entries: Entry[] = items
    .map((item) => ({ item, at: parseInstant(item.createdAt), reasons: [] }))
    .sort(newestFirst);

  // Only backups with a readable date in the past take part in the counts: a
  // clock set wrong once must not push real backups out of their rules.
  const counted: Entry[] = [];
  for (const e of entries) {
    if (!(ORIGINS as readonly string[]).includes(e.item.origin)) {
      // Written by a newer Coffre: never delete what this version cannot judge.
      e.reasons.push(`origin "${String(e.item.origin)}" unknown to this version`);
    } else if (e.at === undefined) {
      e.reasons.push('creation date unreadable');
    } else if (e.at > nowMs) {
      e.reasons.push('dated in the future');
    } else {
      counted.push(e);
    }
  }

  const automatic = counted.filter((e) => e.item.origin === 'automatic');
  const dates = automatic.map((e) => localDate(e.at!));
  for (const rule of CALENDAR_RULES) {
    const wanted = policy[rule];
    if (wanted === 0) continue;
    // A set rather than "differs from the previous one": correct even if a
    // zone's history ever made a local date repeat.
    const buckets = new Set<string>();
    for (let i = 0; i < automatic.length; i++) {
      const bucket = bucketOf(rule, dates[i]);
      if (buckets.has(bucket)) continue;
      if (buckets.size === wanted) break;
      buckets.add(bucket);
      automatic[i].reasons.push(`${rule} ${bucket}`);
    }
  }

  for (const e of entries) {
    if (e.item.origin === 'manual') e.reasons.push('manual, kept until you delete it');
  }
  keepMostRecent(counted, 'pre-operation', policy.preOperation);
  keepMostRecent(counted, 'safety', policy.safety);

  // Safety nets, whatever the policy says.
  const newest = entries.find((e) => e.at !== undefined);
  newest?.reasons.push('newest backup');
  const passed = entries.filter((e) => e.item.verification === 'passed');
  if (passed.length === 1) {
    passed[0].reasons.push('only backup whose verification passed');
  } else if (passed.length > 1) {
    passed[0].reasons.push('newest backup whose verification passed');
  }

  return entries.map((e) =>
    e.reasons.length > 0
      ? { id: e.item.id, keep: true, reasons: e.reasons }
      : { id: e.item.id, keep: false, reasons: [removalReason(e.item.origin, policy)] },
  );
}

function keepMostRecent(counted: Entry[], origin: 'pre-operation' | 'safety', n: number): void {
  const mine = counted.filter((e) => e.item.origin === origin);
  const reason = n === 1 ? `${origin}, the most recent` : `${origin}, one of the ${n} most recent`;
  for (const e of mine.slice(0, n)) e.reasons.push(reason);
}

function removalReason(origin: Origin, policy: RetentionPolicy): string {
  // Manual backups and unknown origins are always kept, so never reach this.
  if (origin !== 'pre-operation' && origin !== 'safety') return `${origin}, outside every rule`;
  const n = origin === 'pre-operation' ? policy.preOperation : policy.safety;
  if (n === 0) return `${origin}, the policy keeps none`;
  return n === 1
    ? `${origin}, older than the most recent`
    : `${origin}, older than the ${n} most recent`;
}

function newestFirst(a: Entry, b: Entry): number {
  if (a.at !== b.at) {
    if (a.at === undefined) return 1;
    if (b.at === undefined) return -1;
    return b.at - a.at;
  }
  return a.item.id < b.item.id ? 1 : a.item.id > b.item.id ? -1 : 0;
}

// An explicit `Z` or offset is required: without one, Date.parse reads the
// string in the machine's time zone and the plan would depend on the host.
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

function parseInstant(text: unknown): number | undefined {
  if (typeof text !== 'string' || !INSTANT.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

interface LocalDate {
  year: number;
  month: number;
  day: number;
}

/**
 * The calendar date of an instant in `timeZone`, from the time zone database
 * (Intl), not from a fixed offset: a backup at 00:30 on the night clocks
 * change stays on its own day.
 */
function localDateReader(timeZone: string): (ms: number) => LocalDate {
  let format: Intl.DateTimeFormat;
  try {
    if (typeof timeZone !== 'string' || timeZone === '') throw new RangeError('no time zone');
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
    });
  } catch (err) {
    throw new CoffreError(
      'USAGE',
      `Unknown time zone ${JSON.stringify(timeZone)}: give an IANA name such as Europe/Paris.`,
      { cause: err, details: { timeZone } },
    );
  }
  return (ms) => {
    const parts = format.formatToParts(ms);
    const part = (type: Intl.DateTimeFormatPartTypes): number =>
      Number(parts.find((p) => p.type === type)?.value);
    return { year: part('year'), month: part('month'), day: part('day') };
  };
}

function bucketOf(rule: CalendarRule, d: LocalDate): string {
  const yyyy = String(d.year).padStart(4, '0');
  const mm = pad2(d.month);
  switch (rule) {
    case 'daily':
      return `${yyyy}-${mm}-${pad2(d.day)}`;
    case 'weekly':
      return isoWeek(d);
    case 'monthly':
      return `${yyyy}-${mm}`;
    case 'yearly':
      return yyyy;
  }
}

/**
 * ISO 8601 week `YYYY-Www`: weeks start on Monday and belong to the year of
 * their Thursday, so 2027-01-01 (a Friday) is in 2026-W53.
 */
function isoWeek(d: LocalDate): string {
  // Plain day arithmetic on a UTC midnight: no daylight saving can interfere.
  const midnight = Date.UTC(d.year, d.month - 1, d.day);
  const mondayBased = (new Date(midnight).getUTCDay() + 6) % 7;
  const thursday = midnight + (3 - mondayBased) * DAY_MS;
  const weekYear = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(weekYear, 0, 1)) / (7 * DAY_MS)) + 1;
  return `${String(weekYear).padStart(4, '0')}-W${pad2(week)}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function show(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value) ?? typeof value;
}
