// Pure: the fiscal audit's checks. Each takes data already read (by the
// fiscal service, from the app's database or a backup's copy of it) and the
// time, and returns what it found as data: problems with the records
// themselves (a broken chain, a gap, a missing or wrong closing, a break in
// the perpetual total) and warnings about their keeping (no recent fiscal
// archive, an archive under the 6-year hold that no destination holds).

import type { ChainReport } from './chain.js';

export const FISCAL_HOLD_YEARS = 6;
/** A fiscal archive is due at least once a year. */
export const ARCHIVE_MAX_MONTHS = 12;

export type ClosingKind = 'day' | 'month' | 'year';

/** Sums over a set of records: what a closing must show. */
export interface Totals {
  count: number;
  total: number;
  vat: number | null;
  /** VAT rate -> total including VAT; null when the recipe has no lines with rates. */
  byVat: Record<string, number> | null;
  /** Payment method -> amount; null when the recipe has no payments. */
  byMethod: Record<string, number> | null;
}

export interface DayTotals extends Totals {
  /** YYYY-MM-DD */
  day: string;
}

export interface Closing {
  seq: number;
  kind: ClosingKind;
  /** 2026-11-19, 2026-11 or 2026. */
  period: string;
  closedAt: string;
  count: number | null;
  total: number;
  vat: number | null;
  byVat: Record<string, number> | null;
  byMethod: Record<string, number> | null;
  grandTotal: number | null;
}

export interface Gap {
  /** The first and last missing numbers. */
  from: number;
  to: number;
}

/** Missing numbers in a sequence read in order; at most `limit` gaps are kept. */
export function findGaps(
  seqs: Iterable<number>,
  options: { first?: number; limit?: number } = {},
): { gaps: Gap[]; missing: number; duplicates: number[] } {
  const limit = options.limit ?? 100;
  const gaps: Gap[] = [];
  const duplicates: number[] = [];
  let missing = 0;
  let previous = options.first === undefined ? null : options.first - 1;
  for (const seq of seqs) {
    if (previous !== null && seq > previous + 1) {
      missing += seq - previous - 1;
      if (gaps.length < limit) gaps.push({ from: previous + 1, to: seq - 1 });
    } else if (previous !== null && seq === previous && duplicates.length < limit) {
      duplicates.push(seq);
    }
    if (previous === null || seq > previous) previous = seq;
  }
  return { gaps, missing, duplicates };
}

export interface ClosingMismatch {
  seq: number;
  kind: ClosingKind;
  period: string;
  field: 'count' | 'total' | 'vat' | 'byVat' | 'byMethod';
  expected: unknown;
  actual: unknown;
}

export interface GrandTotalBreak {
  seq: number;
  kind: ClosingKind;
  period: string;
  expected: number;
  actual: number;
}

export interface ClosingsCheck {
  /** Closed periods that had sales and have no closing. */
  missing: { kind: ClosingKind; period: string; count: number; total: number }[];
  /**
   * Periods that are over by the clock but whose closing is not due yet: the
   * register has recorded nothing since (it closes them at its next opening).
   */
  pending: { kind: ClosingKind; period: string; count: number; total: number }[];
  mismatched: ClosingMismatch[];
  grandTotalBreaks: GrandTotalBreak[];
}

function periodOf(kind: ClosingKind, day: string): string {
  return kind === 'day' ? day : kind === 'month' ? day.slice(0, 7) : day.slice(0, 4);
}

function addTotals(into: Totals, t: Totals): void {
  into.count += t.count;
  into.total += t.total;
  if (into.vat !== null) into.vat = t.vat === null ? null : into.vat + t.vat;
  for (const key of ['byVat', 'byMethod'] as const) {
    const target = into[key];
    const source = t[key];
    if (target === null) continue;
    if (source === null) {
      into[key] = null;
      continue;
    }
    for (const [k, v] of Object.entries(source)) target[k] = (target[k] ?? 0) + v;
  }
}

/** Drops zero entries so that {"550": 0} and {} compare equal. */
function sameSplit(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if ((a[k] ?? 0) !== (b[k] ?? 0)) return false;
  return true;
}

/**
 * Closings against the records they close. `days` are the records' totals
 * per day; `today` (YYYY-MM-DD) is the first day that is not closed yet;
 * `kinds` are the closings the register makes.
 *
 * When a closing is due: a register closes a period (day, month, year) at
 * the end of it or, at the latest, at its first opening after it: the Z of
 * the first day of December comes with November's closing. So a period is
 * missing its closing once the register has recorded sales in a later
 * period; a period that is over by the clock with nothing recorded since is
 * pending (the shop has not opened since), not missing.
 */
export function checkClosings(
  days: readonly DayTotals[],
  closings: readonly Closing[],
  today: string,
  kinds: readonly ClosingKind[] = ['day', 'month', 'year'],
): ClosingsCheck {
  const sums = new Map<string, Totals>();
  for (const day of days) {
    for (const kind of kinds) {
      const key = `${kind} ${periodOf(kind, day.day)}`;
      let into = sums.get(key);
      if (!into) {
        into = {
          count: 0,
          total: 0,
          vat: 0,
          byVat: day.byVat === null ? null : {},
          byMethod: day.byMethod === null ? null : {},
        };
        sums.set(key, into);
      }
      addTotals(into, day);
    }
  }
  const closed = new Set(closings.map((c) => `${c.kind} ${c.period}`));
  const lastDay = days.reduce<string | null>(
    (last, d) => (d.count > 0 && (last === null || d.day > last) ? d.day : last),
    null,
  );
  const missing: ClosingsCheck['missing'] = [];
  const pending: ClosingsCheck['pending'] = [];
  for (const [key, t] of sums) {
    const [kind, period] = key.split(' ') as [ClosingKind, string];
    if (t.count === 0 || closed.has(key)) continue;
    if (period >= periodOf(kind, today)) continue; // not over yet
    const entry = { kind, period, count: t.count, total: t.total };
    // Sales recorded after it: the register opened since and had to close it.
    if (lastDay !== null && periodOf(kind, lastDay) > period) missing.push(entry);
    else pending.push(entry);
  }
  const order = (a: { kind: ClosingKind; period: string }, b: typeof a) =>
    kinds.indexOf(a.kind) - kinds.indexOf(b.kind) || a.period.localeCompare(b.period);
  missing.sort(order);
  pending.sort(order);

  const mismatched: ClosingMismatch[] = [];
  for (const c of closings) {
    const expected = sums.get(`${c.kind} ${c.period}`) ?? {
      count: 0,
      total: 0,
      vat: 0,
      byVat: {},
      byMethod: {},
    };
    const differ = (field: ClosingMismatch['field'], e: unknown, a: unknown) =>
      mismatched.push({
        seq: c.seq,
        kind: c.kind,
        period: c.period,
        field,
        expected: e,
        actual: a,
      });
    if (c.count !== null && c.count !== expected.count) differ('count', expected.count, c.count);
    if (c.total !== expected.total) differ('total', expected.total, c.total);
    if (c.vat !== null && expected.vat !== null && c.vat !== expected.vat)
      differ('vat', expected.vat, c.vat);
    if (c.byVat !== null && expected.byVat !== null && !sameSplit(c.byVat, expected.byVat)) {
      differ('byVat', expected.byVat, c.byVat);
    }
    if (
      c.byMethod !== null &&
      expected.byMethod !== null &&
      !sameSplit(c.byMethod, expected.byMethod)
    ) {
      differ('byMethod', expected.byMethod, c.byMethod);
    }
  }
  return { missing, pending, mismatched, grandTotalBreaks: checkGrandTotal(closings) };
}

/**
 * The perpetual grand total: each day's closing adds its total to the one
 * before; a month's or a year's closing shows the grand total of the last
 * day it covers. The first day closing read sets the starting point (a
 * fiscal archive starts mid-life).
 */
export function checkGrandTotal(closings: readonly Closing[]): GrandTotalBreak[] {
  const breaks: GrandTotalBreak[] = [];
  const ordered = [...closings].sort((a, b) => a.seq - b.seq);
  let running: number | null = null;
  const lastDayOf = new Map<string, number>();
  for (const c of ordered) {
    if (c.grandTotal === null) continue;
    if (c.kind === 'day') {
      if (running !== null && c.grandTotal !== running + c.total) {
        breaks.push({
          seq: c.seq,
          kind: c.kind,
          period: c.period,
          expected: running + c.total,
          actual: c.grandTotal,
        });
      }
      // Go on from what is stored: one edit, one break.
      running = c.grandTotal;
      lastDayOf.set(c.period.slice(0, 7), c.grandTotal);
      lastDayOf.set(c.period.slice(0, 4), c.grandTotal);
    } else {
      const expected = lastDayOf.get(c.period);
      if (expected !== undefined && c.grandTotal !== expected) {
        breaks.push({ seq: c.seq, kind: c.kind, period: c.period, expected, actual: c.grandTotal });
      }
    }
  }
  return breaks;
}

/** Adds months the calendar way (the 31st of a shorter month is its last day). */
export function addMonths(date: Date, months: number): Date {
  const d = new Date(date.getTime());
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d;
}

/** Until when a fiscal archive made at `createdAt` must be kept. */
export function holdUntil(createdAt: string): Date {
  return addMonths(new Date(createdAt), FISCAL_HOLD_YEARS * 12);
}

export function isUnderHold(createdAt: string, now: Date): boolean {
  return holdUntil(createdAt).getTime() > now.getTime();
}

export type ArchiveWarning =
  | { code: 'FISCAL_ARCHIVE_NONE'; oldestRecord: string; everyMonths: number | null }
  | { code: 'FISCAL_ARCHIVE_OLD'; lastArchive: string; months: number }
  | { code: 'FISCAL_ARCHIVE_DUE'; lastArchive: string; everyMonths: number }
  | { code: 'FISCAL_ARCHIVE_NOT_HELD'; archive: string; createdAt: string };

/**
 * The date of the last fiscal archive against the rule (at least one a
 * year) and the settings (`everyMonths`, e.g. 1 for monthly archives).
 */
export function checkArchiveAge(
  lastArchiveAt: string | null,
  oldestRecordAt: string | null,
  now: Date,
  everyMonths: number | null = null,
): ArchiveWarning[] {
  if (lastArchiveAt === null) {
    if (oldestRecordAt === null) return [];
    const due = addMonths(new Date(oldestRecordAt), everyMonths ?? ARCHIVE_MAX_MONTHS);
    return due.getTime() < now.getTime()
      ? [{ code: 'FISCAL_ARCHIVE_NONE', oldestRecord: oldestRecordAt, everyMonths }]
      : [];
  }
  const last = new Date(lastArchiveAt);
  if (addMonths(last, ARCHIVE_MAX_MONTHS).getTime() < now.getTime()) {
    const months =
      (now.getUTCFullYear() - last.getUTCFullYear()) * 12 + now.getUTCMonth() - last.getUTCMonth();
    return [{ code: 'FISCAL_ARCHIVE_OLD', lastArchive: lastArchiveAt, months }];
  }
  if (everyMonths !== null && addMonths(last, everyMonths).getTime() < now.getTime()) {
    return [{ code: 'FISCAL_ARCHIVE_DUE', lastArchive: lastArchiveAt, everyMonths }];
  }
  return [];
}

/** Every fiscal archive known to have been made, still under the hold, must be in at least one destination. */
export function checkHold(
  made: readonly { archive: string; createdAt: string }[],
  held: ReadonlySet<string>,
  now: Date,
): ArchiveWarning[] {
  return made
    .filter((a) => isUnderHold(a.createdAt, now) && !held.has(a.archive))
    .map((a) => ({
      code: 'FISCAL_ARCHIVE_NOT_HELD' as const,
      archive: a.archive,
      createdAt: a.createdAt,
    }));
}

export interface FiscalAudit {
  checkedAt: string;
  /** Where the data was read: the live database or a backup's id. */
  source: string;
  ok: boolean;
  records: ChainReport & { label: string; gaps: Gap[]; missing: number; duplicates: number[] };
  closings: (ChainReport & ClosingsCheck) | null;
  events: ChainReport | null;
  archives: { last: string | null; warnings: ArchiveWarning[] } | null;
  /**
   * What this audit read of the records chain: the record it went on after
   * (null: the whole chain, from the first record) and how many records it
   * hashed. Status goes on from the last audit; `fiscal audit` reads it all.
   */
  scope?: { after: number | null; hashed: number };
  /** One line per problem or warning, in plain words. */
  findings: string[];
}

/** Puts the checks together: `ok` when the records, closings and events hold (archive warnings do not make it fail). */
export function assembleAudit(parts: Omit<FiscalAudit, 'ok' | 'findings'>): FiscalAudit {
  const findings: string[] = [];
  const r = parts.records;
  const [one, many] = [r.label.replace(/s$/, ''), r.label];
  if (r.broken)
    findings.push(
      `The ${one} chain is broken at #${r.broken.seq} (${r.broken.reason}): ${r.broken.detail}.`,
    );
  if (r.missing > 0) {
    const shown = r.gaps
      .slice(0, 5)
      .map((g) => (g.from === g.to ? `#${g.from}` : `#${g.from}–#${g.to}`));
    findings.push(
      `${r.missing} ${r.missing === 1 ? one : many} missing from the sequence: ${shown.join(', ')}${r.gaps.length > 5 ? '…' : ''}.`,
    );
  }
  if (r.duplicates.length > 0)
    findings.push(`${many} numbered twice: #${r.duplicates.slice(0, 5).join(', #')}.`);
  const c = parts.closings;
  if (c) {
    if (c.broken)
      findings.push(
        `The closings chain is broken at #${c.broken.seq} (${c.broken.reason}): ${c.broken.detail}.`,
      );
    for (const m of c.missing.slice(0, 10))
      findings.push(
        `No ${m.kind} closing for ${m.period} (${m.count} ${m.count === 1 ? one : many}).`,
      );
    for (const m of c.mismatched.slice(0, 10)) {
      findings.push(
        `Closing #${m.seq} (${m.kind} ${m.period}): ${m.field} is ${JSON.stringify(m.actual)}, its ${many} give ${JSON.stringify(m.expected)}.`,
      );
    }
    for (const b of c.grandTotalBreaks.slice(0, 10)) {
      findings.push(
        `Closing #${b.seq} (${b.kind} ${b.period}): the perpetual grand total is ${b.actual}, expected ${b.expected}.`,
      );
    }
  }
  const e = parts.events;
  if (e?.broken)
    findings.push(
      `The event journal is broken at #${e.broken.seq} (${e.broken.reason}): ${e.broken.detail}.`,
    );
  const ok = findings.length === 0;
  for (const w of parts.archives?.warnings ?? []) {
    findings.push(
      w.code === 'FISCAL_ARCHIVE_NONE'
        ? `No fiscal archive yet, and records go back to ${w.oldestRecord.slice(0, 10)}: ${w.everyMonths === null ? 'one is due at least every 12 months' : `the settings ask for one every ${w.everyMonths} month(s)`}.`
        : w.code === 'FISCAL_ARCHIVE_OLD'
          ? `The last fiscal archive is ${w.months} months old (${w.lastArchive.slice(0, 10)}): one is due at least every 12 months.`
          : w.code === 'FISCAL_ARCHIVE_DUE'
            ? `The last fiscal archive (${w.lastArchive.slice(0, 10)}) is older than the ${w.everyMonths} month(s) the settings ask for.`
            : `Fiscal archive ${w.archive} (${w.createdAt.slice(0, 10)}) is under the ${FISCAL_HOLD_YEARS}-year hold but no destination holds it.`,
    );
  }
  return { ...parts, ok, findings };
}
