// Which fiscal archives a schedule asks for: a table of month ends, year
// ends, the day the schedule was set, periods already archived, the first
// record, and the register's time zone (its local day is "today").

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  dueFiscalPeriods,
  nextFiscalPeriod,
  retryAfterFailures,
  retryDelayMs,
} from '../../src/core/due.js';
import { formatInZone } from '../../src/core/time.js';

describe('dueFiscalPeriods', () => {
  const base = {
    monthly: true,
    yearly: false,
    since: '2026-10-10',
    made: new Set<string>(),
    coveredTo: null as string | null,
    firstRecordDay: '2026-01-05' as string | null,
  };
  const cases: { name: string; input: Partial<typeof base> & { today: string }; due: string[] }[] =
    [
      { name: 'the month is not over', input: { today: '2026-10-31' }, due: [] },
      { name: 'the day after a month end', input: { today: '2026-11-01' }, due: ['2026-10'] },
      {
        name: 'machine off for two months: both are due, oldest first',
        input: { today: '2026-12-15' },
        due: ['2026-10', '2026-11'],
      },
      {
        name: 'a month that ended before the schedule was set is not caught up',
        input: { since: '2026-11-01', today: '2026-12-01' },
        due: ['2026-11'],
      },
      {
        name: 'set on a month end: that month counts',
        input: { since: '2026-10-31', today: '2026-11-02' },
        due: ['2026-10'],
      },
      {
        name: 'a month already archived is not made again',
        input: { today: '2026-12-15', made: new Set(['2026-10']) },
        due: ['2026-11'],
      },
      {
        name: 'a month the series already covers (an archive by hand) is not made again',
        input: { today: '2026-12-15', coveredTo: '2026-10-31' },
        due: ['2026-11'],
      },
      {
        name: 'no record yet: nothing to archive',
        input: { today: '2026-12-15', firstRecordDay: null },
        due: [],
      },
      {
        name: 'months before the first record are left out',
        input: { since: '2026-01-01', today: '2026-12-15', firstRecordDay: '2026-11-03' },
        due: ['2026-11'],
      },
      {
        name: 'December: due on the first of January',
        input: { since: '2026-12-01', today: '2027-01-01' },
        due: ['2026-12'],
      },
      {
        name: 'February of a leap year ends on the 29th',
        input: { since: '2028-02-01', today: '2028-02-29', firstRecordDay: '2028-01-01' },
        due: [],
      },
      {
        name: 'February of a leap year, the day after',
        input: { since: '2028-02-01', today: '2028-03-01', firstRecordDay: '2028-01-01' },
        due: ['2028-02'],
      },
      {
        name: 'yearly: the year is not over',
        input: { monthly: false, yearly: true, today: '2026-12-31' },
        due: [],
      },
      {
        name: 'yearly: due on the first of January',
        input: { monthly: false, yearly: true, today: '2027-01-01' },
        due: ['2026'],
      },
      {
        name: 'yearly, machine off for two years',
        input: { monthly: false, yearly: true, today: '2028-03-01' },
        due: ['2026', '2027'],
      },
      {
        name: 'yearly, a year already archived',
        input: { monthly: false, yearly: true, today: '2028-03-01', made: new Set(['2026']) },
        due: ['2027'],
      },
      {
        name: 'monthly and yearly: the year after its months',
        input: { yearly: true, since: '2026-11-15', today: '2027-01-02' },
        due: ['2026-11', '2026-12', '2026'],
      },
      {
        name: 'monthly and yearly: a year its monthly archives cover is not made',
        input: { yearly: true, since: '2026-11-15', today: '2027-01-02', coveredTo: '2026-12-31' },
        due: [],
      },
      { name: 'neither', input: { monthly: false, today: '2027-06-01' }, due: [] },
    ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(dueFiscalPeriods({ ...base, ...c.input }), c.due);
    });
  }

  it('uses the register’s local day: 00:30 on 1 December in Paris is still 30 November in UTC and in New York', () => {
    const now = new Date('2026-11-30T23:30:00Z');
    const due = (timeZone: string) =>
      dueFiscalPeriods({ ...base, today: formatInZone(now, timeZone).slice(0, 10) });
    assert.deepEqual(due('Europe/Paris'), ['2026-10', '2026-11']);
    assert.deepEqual(due('America/New_York'), ['2026-10']);
    assert.deepEqual(due('UTC'), ['2026-10']);
  });
});

describe('nextFiscalPeriod', () => {
  const cases: [boolean, boolean, string, { period: string; dueOn: string } | null][] = [
    [true, false, '2026-11-30', { period: '2026-11', dueOn: '2026-12-01' }],
    [true, false, '2026-12-05', { period: '2026-12', dueOn: '2027-01-01' }],
    [false, true, '2026-12-05', { period: '2026', dueOn: '2027-01-01' }],
    [true, true, '2026-03-01', { period: '2026-03', dueOn: '2026-04-01' }],
    [false, false, '2026-03-01', null],
  ];
  for (const [monthly, yearly, today, expected] of cases) {
    it(`${monthly ? 'monthly' : ''}${yearly ? 'yearly' : ''} on ${today}`, () => {
      assert.deepEqual(nextFiscalPeriod(monthly, yearly, today), expected);
    });
  }
});

describe('retryAfterFailures', () => {
  it('waits after failures as a failed backup does, and not after a success', () => {
    const t = '2026-12-01T00:30:00.000Z';
    assert.equal(retryAfterFailures([]), null);
    assert.equal(retryAfterFailures([{ at: t, ok: true }]), null);
    assert.equal(
      retryAfterFailures([{ at: t, ok: false }])?.getTime(),
      Date.parse(t) + retryDelayMs(1),
    );
    assert.equal(
      retryAfterFailures([
        { at: t, ok: false },
        { at: '2026-12-01T00:20:00Z', ok: false },
        { at: '2026-11-01T00:20:00Z', ok: true },
        { at: '2026-10-01T00:20:00Z', ok: false },
      ])?.getTime(),
      Date.parse(t) + retryDelayMs(2),
    );
  });
});
