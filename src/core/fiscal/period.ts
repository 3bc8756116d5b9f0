// Pure: the period a fiscal archive covers. A year (2026), a month
// (2026-11) or two days (--from 2026-01-01 --to 2026-03-31, both included);
// at most one year, and over (the register has closed it) by `now`.

import { CoffreError } from '../errors.js';
import { addMonths } from './audit.js';

export interface Period {
  /** First day, YYYY-MM-DD. */
  from: string;
  /** Last day, YYYY-MM-DD (included). */
  to: string;
  /** 2026, 2026-11 or 2026-01-01..2026-03-31: for names and words. */
  label: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function validDay(text: string): boolean {
  if (!DAY.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

function previousDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

/** The first day after the period: the exclusive bound used to select records. */
export function periodEnd(period: Period): string {
  return nextDay(period.to);
}

/** `today`: the register's local day (YYYY-MM-DD); by default the UTC day of `now`. */
export function parsePeriod(
  spec: { period?: string; from?: string; to?: string },
  now: Date,
  today: string = now.toISOString().slice(0, 10),
): Period {
  let period: Period;
  if (spec.period !== undefined) {
    if (spec.from !== undefined || spec.to !== undefined) {
      throw new CoffreError('USAGE', 'Give a period, or a first and a last day, not both.');
    }
    const p = spec.period.trim();
    if (/^\d{4}$/.test(p)) period = { from: `${p}-01-01`, to: `${p}-12-31`, label: p };
    else if (/^\d{4}-(0[1-9]|1[0-2])$/.test(p)) {
      const first = `${p}-01`;
      period = {
        from: first,
        to: previousDay(
          addMonths(new Date(`${first}T00:00:00Z`), 1)
            .toISOString()
            .slice(0, 10),
        ),
        label: p,
      };
    } else {
      throw new CoffreError(
        'USAGE',
        `"${spec.period}" is not a period: write a year (2026) or a month (2026-11).`,
      );
    }
  } else {
    if (spec.from === undefined || spec.to === undefined) {
      throw new CoffreError(
        'USAGE',
        'A fiscal archive needs a period (a year or a month), or a first and a last day.',
      );
    }
    for (const d of [spec.from, spec.to]) {
      if (!validDay(d))
        throw new CoffreError('USAGE', `"${d}" is not a day: write it as 2026-11-30.`);
    }
    if (spec.to < spec.from) {
      throw new CoffreError(
        'USAGE',
        `The last day (${spec.to}) comes before the first (${spec.from}).`,
      );
    }
    period = { from: spec.from, to: spec.to, label: `${spec.from}..${spec.to}` };
  }
  const limit = addMonths(new Date(`${period.from}T00:00:00Z`), 12)
    .toISOString()
    .slice(0, 10);
  if (periodEnd(period) > limit) {
    throw new CoffreError(
      'USAGE',
      `A fiscal archive covers at most one year; ${period.label} is longer.`,
    );
  }
  if (periodEnd(period) > today) {
    throw new CoffreError(
      'USAGE',
      `${period.label} is not over yet: a fiscal archive covers a closed period, up to ${previousDay(today)}.`,
    );
  }
  return period;
}

/**
 * `--to` names destinations, and also the last day when `--from` is given:
 * then the one value written as a day is the last day.
 */
export function splitTo(
  values: readonly string[],
  hasFrom: boolean,
): { lastDay?: string; destinations: string[] } {
  if (!hasFrom) return { destinations: [...values] };
  const days = values.filter((v) => DAY.test(v));
  if (days.length !== 1) {
    throw new CoffreError(
      'USAGE',
      'With a first day, give exactly one last day (written as 2026-11-30).',
    );
  }
  return { lastDay: days[0], destinations: values.filter((v) => v !== days[0]) };
}
