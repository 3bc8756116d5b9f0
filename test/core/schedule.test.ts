import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  describeSpec,
  isDue,
  lastDue,
  nextRun,
  parseSpecArgs,
  parseTime,
  toCron,
  validateSpec,
  type ScheduleSpec,
} from '../../src/core/schedule.js';
import { isCoffreError } from '../../src/core/errors.js';

// Expected instants are written in UTC with the local time alongside, so a
// failure shows which side of a daylight-saving change it fell on.
const PARIS = 'Europe/Paris';
const TOKYO = 'Asia/Tokyo';
const NEW_YORK = 'America/New_York';

const at = (iso: string) => new Date(iso);
const daily = (time: string): ScheduleSpec => ({ every: 'day', at: time });
const DAILY_0230: ScheduleSpec = daily('02:30');
const SUNDAY_0300: ScheduleSpec = { every: 'week', day: 'sun', at: '03:00' };

/** Asserts a USAGE error whose message matches `pattern`. */
function assertUsage(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (err) => {
    assert.ok(isCoffreError(err, 'USAGE'), `expected USAGE, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('schedule: toCron and describeSpec', () => {
  const cases: { spec: ScheduleSpec; cron: string; text: string }[] = [
    { spec: DAILY_0230, cron: '30 2 * * *', text: 'every day at 02:30' },
    { spec: daily('00:00'), cron: '0 0 * * *', text: 'every day at 00:00' },
    { spec: daily('23:59'), cron: '59 23 * * *', text: 'every day at 23:59' },
    { spec: SUNDAY_0300, cron: '0 3 * * 0', text: 'every Sunday at 03:00' },
    {
      spec: { every: 'week', day: 'mon', at: '22:15' },
      cron: '15 22 * * 1',
      text: 'every Monday at 22:15',
    },
    {
      spec: { every: 'week', day: 'sat', at: '07:05' },
      cron: '5 7 * * 6',
      text: 'every Saturday at 07:05',
    },
    {
      spec: { every: 'cron', cron: '0 */6 * * *' },
      cron: '0 */6 * * *',
      text: 'cron "0 */6 * * *"',
    },
    {
      spec: { every: 'cron', cron: '  0  */6 * *\t* ' },
      cron: '0 */6 * * *',
      text: 'cron "0 */6 * * *"',
    },
  ];
  for (const { spec, cron, text } of cases) {
    it(`${JSON.stringify(spec)} → ${cron} / ${text}`, () => {
      assert.equal(toCron(spec), cron);
      assert.equal(describeSpec(spec), text);
    });
  }

  it('refuses an invalid spec', () => {
    assertUsage(() => toCron(daily('25:00')), /"25:00".*e\.g\. "02:30"/);
    assertUsage(() => describeSpec({ every: 'cron', cron: '* * *' }), /5 fields/);
  });
});

describe('schedule: parseTime', () => {
  for (const [text, hour, minute] of [
    ['00:00', 0, 0],
    ['02:30', 2, 30],
    ['23:59', 23, 59],
  ] as const) {
    it(`parses ${text}`, () => assert.deepEqual(parseTime(text), { hour, minute }));
  }

  for (const text of [
    '25:00',
    '24:00',
    '12:60',
    '7',
    '07:5',
    '7:05',
    '',
    ' 02:30',
    '02:30:00',
    '2:30pm',
    '02h30',
    '-1:30',
  ]) {
    it(`refuses ${JSON.stringify(text)} with an example`, () =>
      assertUsage(() => parseTime(text), /HH:MM.*e\.g\. "02:30"/));
  }
});

describe('schedule: validateSpec', () => {
  for (const spec of [
    DAILY_0230,
    SUNDAY_0300,
    { every: 'cron', cron: '0 */6 * * *' },
    { every: 'cron', cron: '30 1 * * mon-fri' },
    { every: 'cron', cron: '0 0 29 2 *' },
  ]) {
    it(`accepts ${JSON.stringify(spec)}`, () => assert.deepEqual(validateSpec(spec), []));
  }

  const bad: { spec: unknown; problem: RegExp }[] = [
    { spec: null, problem: /must be an object/ },
    { spec: 'daily', problem: /must be an object/ },
    { spec: {}, problem: /"every" must be "day", "week" or "cron" \(got nothing\)/ },
    { spec: { every: 'month', at: '02:30' }, problem: /got "month"/ },
    { spec: { every: 'day' }, problem: /"at" is missing/ },
    { spec: { every: 'day', at: '25:00' }, problem: /time "25:00" is not valid/ },
    { spec: { every: 'day', at: 230 }, problem: /must be a string/ },
    { spec: { every: 'day', at: '02:30', day: 'sun' }, problem: /unexpected key "day"/ },
    { spec: { every: 'week', at: '03:00' }, problem: /"day" is missing/ },
    {
      spec: { every: 'week', day: 'Sunday', at: '03:00' },
      problem: /day "Sunday" is not valid.*e\.g\. "sun"/,
    },
    { spec: { every: 'week', day: 'sun', at: '3:00' }, problem: /time "3:00"/ },
    { spec: { every: 'cron' }, problem: /"cron" is missing/ },
    {
      spec: { every: 'cron', cron: '0 0 * * * *' },
      problem: /6 fields: a seconds field is not supported/,
    },
    { spec: { every: 'cron', cron: '0 0 0 * * * 2026' }, problem: /7 fields/ },
    { spec: { every: 'cron', cron: '0 3 * *' }, problem: /must have 5 fields/ },
    { spec: { every: 'cron', cron: '@daily' }, problem: /nicknames are not supported/ },
    { spec: { every: 'cron', cron: '61 * * * *' }, problem: /not valid \(.*minute.*\)/ },
    { spec: { every: 'cron', cron: '0 3 * * 8' }, problem: /not valid/ },
    { spec: { every: 'cron', cron: 'every day' }, problem: /must have 5 fields/ },
    { spec: { every: 'cron', cron: '0 3 31 2 *' }, problem: /never matches a date/ },
  ];
  for (const { spec, problem } of bad) {
    it(`reports ${JSON.stringify(spec)}`, () => {
      const problems = validateSpec(spec);
      assert.ok(problems.length > 0);
      assert.match(problems.join('\n'), problem);
      assert.match(problems.join('\n'), /e\.g\./, 'each message shows a valid example');
    });
  }

  it('reports every problem at once', () =>
    assert.equal(validateSpec({ every: 'week', day: 'someday', at: '99:99' }).length, 2));
});

describe('schedule: parseSpecArgs', () => {
  const good: { args: Parameters<typeof parseSpecArgs>[0]; spec: ScheduleSpec }[] = [
    { args: { daily: '02:30' }, spec: DAILY_0230 },
    { args: { weekly: 'sun 03:00' }, spec: SUNDAY_0300 },
    { args: { weekly: 'Sunday 03:00' }, spec: SUNDAY_0300 },
    { args: { weekly: 'SUN 03:00' }, spec: SUNDAY_0300 },
    { args: { weekly: '  wednesday   18:45 ' }, spec: { every: 'week', day: 'wed', at: '18:45' } },
    { args: { cron: '0 */6 * * *' }, spec: { every: 'cron', cron: '0 */6 * * *' } },
  ];
  for (const { args, spec } of good) {
    it(`parses ${JSON.stringify(args)}`, () => assert.deepEqual(parseSpecArgs(args), spec));
  }

  const bad: { args: Parameters<typeof parseSpecArgs>[0]; problem: RegExp }[] = [
    {
      args: {},
      problem: /exactly one kind of schedule: daily, weekly or cron \(got none\).*e\.g\./,
    },
    { args: { daily: '02:30', cron: '0 3 * * *' }, problem: /got daily and cron/ },
    { args: { weekly: 'sun' }, problem: /weekly "sun" is not valid.*e\.g\. "sun 03:00"/ },
    { args: { weekly: 'sonntag 03:00' }, problem: /e\.g\. "sun 03:00"/ },
    { args: { weekly: 'su 03:00' }, problem: /e\.g\. "sun 03:00"/ },
    { args: { weekly: 'sun 3am' }, problem: /time "3am".*e\.g\. "02:30"/ },
    { args: { daily: '7' }, problem: /time "7".*e\.g\. "02:30"/ },
    { args: { daily: '' }, problem: /time "".*HH:MM/ },
    { args: { cron: '0 0 * * * *' }, problem: /seconds field is not supported/ },
  ];
  for (const { args, problem } of bad) {
    it(`refuses ${JSON.stringify(args)}`, () => assertUsage(() => parseSpecArgs(args), problem));
  }
});

describe('schedule: nextRun', () => {
  const cases: { name: string; spec: ScheduleSpec; zone: string; after: string; next: string }[] = [
    // Paris is UTC+1 in winter (CET), UTC+2 in summer (CEST).
    {
      name: 'daily, later the same day',
      spec: DAILY_0230,
      zone: PARIS,
      after: '2026-01-10T00:00:00Z',
      next: '2026-01-10T01:30:00.000Z',
    },
    {
      name: 'daily, strictly after an occurrence',
      spec: DAILY_0230,
      zone: PARIS,
      after: '2026-01-10T01:30:00Z',
      next: '2026-01-11T01:30:00.000Z',
    },
    {
      name: 'daily, across a month end',
      spec: DAILY_0230,
      zone: PARIS,
      after: '2026-01-31T12:00:00Z',
      next: '2026-02-01T01:30:00.000Z',
    },
    {
      name: 'daily, across a year end',
      spec: DAILY_0230,
      zone: PARIS,
      after: '2026-12-31T02:00:00Z',
      next: '2027-01-01T01:30:00.000Z',
    },
    {
      name: 'weekly, across a month end',
      spec: SUNDAY_0300,
      zone: PARIS,
      after: '2026-01-26T12:00:00Z',
      next: '2026-02-01T02:00:00.000Z',
    },
    {
      name: 'weekly, across a year end',
      spec: SUNDAY_0300,
      zone: PARIS,
      after: '2026-12-28T12:00:00Z',
      next: '2027-01-03T02:00:00.000Z',
    },
    {
      name: 'weekly, on the day before the time',
      spec: SUNDAY_0300,
      zone: PARIS,
      after: '2027-01-03T01:00:00Z',
      next: '2027-01-03T02:00:00.000Z',
    },
    {
      name: 'weekly, on the day after the time',
      spec: SUNDAY_0300,
      zone: PARIS,
      after: '2027-01-03T02:00:00Z',
      next: '2027-01-10T02:00:00.000Z',
    },
    {
      name: 'cron every 6 h, across a month end',
      spec: { every: 'cron', cron: '0 */6 * * *' },
      zone: PARIS,
      after: '2026-01-31T22:30:00Z',
      next: '2026-01-31T23:00:00.000Z',
    },
    {
      name: 'cron monthly, across a year end',
      spec: { every: 'cron', cron: '0 9 1 * *' },
      zone: PARIS,
      after: '2026-12-15T00:00:00Z',
      next: '2027-01-01T08:00:00.000Z',
    },
    // Spring forward, 2026-03-29: 02:00 CET jumps to 03:00 CEST.
    {
      name: 'spring forward: skipped 02:30 runs at 03:30 CEST',
      spec: DAILY_0230,
      zone: PARIS,
      after: '2026-03-28T12:00:00Z',
      next: '2026-03-29T01:30:00.000Z',
    },
    {
      name: 'spring forward: then the next day as usual',
      spec: DAILY_0230,
      zone: PARIS,
      after: '2026-03-29T01:30:00Z',
      next: '2026-03-30T00:30:00.000Z',
    },
    {
      name: 'spring forward: asked at 03:10 CEST for a skipped 02:45 (03:45 CEST)',
      spec: daily('02:45'),
      zone: PARIS,
      after: '2026-03-29T01:10:00Z',
      next: '2026-03-29T01:45:00.000Z',
    },
    {
      name: 'spring forward: weekly on that Sunday',
      spec: { every: 'week', day: 'sun', at: '02:30' },
      zone: PARIS,
      after: '2026-03-25T00:00:00Z',
      next: '2026-03-29T01:30:00.000Z',
    },
    {
      name: 'spring forward: hourly cron does not repeat 03:30',
      spec: { every: 'cron', cron: '30 * * * *' },
      zone: PARIS,
      after: '2026-03-29T01:30:00Z',
      next: '2026-03-29T02:30:00.000Z',
    },
    // Fall back, 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 happens at 00:30Z and 01:30Z.
    {
      name: 'fall back: the first 02:30 (CEST)',
      spec: DAILY_0230,
      zone: PARIS,
      after: '2026-10-24T12:00:00Z',
      next: '2026-10-25T00:30:00.000Z',
    },
    {
      name: 'fall back: not the second 02:30 (CET)',
      spec: DAILY_0230,
      zone: PARIS,
      after: '2026-10-25T00:30:00Z',
      next: '2026-10-26T01:30:00.000Z',
    },
    {
      name: 'fall back: asked inside the repeated hour',
      spec: DAILY_0230,
      zone: PARIS,
      after: '2026-10-25T01:00:00Z',
      next: '2026-10-26T01:30:00.000Z',
    },
    {
      name: 'fall back: weekly on that Sunday',
      spec: { every: 'week', day: 'sun', at: '02:30' },
      zone: PARIS,
      after: '2026-10-20T00:00:00Z',
      next: '2026-10-25T00:30:00.000Z',
    },
    {
      name: 'fall back: hourly cron runs 02:30 once',
      spec: { every: 'cron', cron: '30 * * * *' },
      zone: PARIS,
      after: '2026-10-25T00:30:00Z',
      next: '2026-10-25T02:30:00.000Z',
    },
    // New York springs forward at 02:00 on 2026-03-08 (EST UTC-5 → EDT UTC-4).
    {
      name: 'New York spring forward: 02:30 runs at 03:30 EDT',
      spec: DAILY_0230,
      zone: NEW_YORK,
      after: '2026-03-07T12:00:00Z',
      next: '2026-03-08T07:30:00.000Z',
    },
    // Tokyo is UTC+9 with no daylight saving: 02:00 local is 17:00 UTC the day before.
    {
      name: 'Tokyo: 02:00 local is 17:00 UTC the previous day',
      spec: daily('02:00'),
      zone: TOKYO,
      after: '2026-01-10T12:00:00Z',
      next: '2026-01-10T17:00:00.000Z',
    },
    {
      name: 'Tokyo: strictly after',
      spec: daily('02:00'),
      zone: TOKYO,
      after: '2026-01-10T17:00:00Z',
      next: '2026-01-11T17:00:00.000Z',
    },
    {
      name: 'Tokyo: local new year while UTC is still in the old one',
      spec: daily('02:00'),
      zone: TOKYO,
      after: '2026-12-31T16:30:00Z',
      next: '2026-12-31T17:00:00.000Z',
    },
    {
      name: 'Tokyo: weekly Sunday 03:00 is Saturday 18:00 UTC',
      spec: SUNDAY_0300,
      zone: TOKYO,
      after: '2026-01-05T00:00:00Z',
      next: '2026-01-10T18:00:00.000Z',
    },
  ];
  for (const { name, spec, zone, after, next } of cases) {
    it(name, () => assert.equal(nextRun(spec, at(after), zone).toISOString(), next));
  }

  it('refuses an unknown time zone', () =>
    assertUsage(
      () => nextRun(DAILY_0230, at('2026-01-10T00:00:00Z'), 'Europe/Pariss'),
      /unknown time zone "Europe\/Pariss".*e\.g\. "Europe\/Paris"/,
    ));
  it('refuses an invalid date', () =>
    assertUsage(
      () => nextRun(DAILY_0230, new Date('not a date'), PARIS),
      /after must be a valid Date/,
    ));
  it('refuses an invalid spec', () =>
    assertUsage(
      () => nextRun({ every: 'cron', cron: '0 0 * * * *' }, at('2026-01-10T00:00:00Z'), PARIS),
      /seconds/,
    ));
});

describe('schedule: lastDue', () => {
  const cases: {
    name: string;
    spec: ScheduleSpec;
    zone: string;
    now: string;
    last: string | null;
  }[] = [
    {
      name: 'daily, earlier today',
      spec: DAILY_0230,
      zone: PARIS,
      now: '2026-01-10T08:00:00Z',
      last: '2026-01-10T01:30:00.000Z',
    },
    {
      name: 'daily, now is the occurrence',
      spec: DAILY_0230,
      zone: PARIS,
      now: '2026-01-10T01:30:00Z',
      last: '2026-01-10T01:30:00.000Z',
    },
    {
      name: 'daily, 1 ms before the occurrence',
      spec: DAILY_0230,
      zone: PARIS,
      now: '2026-01-10T01:29:59.999Z',
      last: '2026-01-09T01:30:00.000Z',
    },
    {
      name: 'daily, across a year end',
      spec: DAILY_0230,
      zone: PARIS,
      now: '2027-01-01T00:00:00Z',
      last: '2026-12-31T01:30:00.000Z',
    },
    {
      name: 'weekly, on a Wednesday',
      spec: SUNDAY_0300,
      zone: PARIS,
      now: '2026-01-21T12:00:00Z',
      last: '2026-01-18T02:00:00.000Z',
    },
    {
      name: 'cron every 6 h',
      spec: { every: 'cron', cron: '0 */6 * * *' },
      zone: PARIS,
      now: '2026-01-10T10:59:00Z',
      last: '2026-01-10T05:00:00.000Z',
    },
    {
      name: 'cron in February only, asked in June',
      spec: { every: 'cron', cron: '0 3 * 2 *' },
      zone: PARIS,
      now: '2026-06-01T00:00:00Z',
      last: '2026-02-28T02:00:00.000Z',
    },
    {
      name: 'leap day, 15 months ago',
      spec: { every: 'cron', cron: '0 0 29 2 *' },
      zone: PARIS,
      now: '2025-06-01T00:00:00Z',
      last: '2024-02-28T23:00:00.000Z',
    },
    {
      name: 'leap day, more than 2 years ago: none',
      spec: { every: 'cron', cron: '0 0 29 2 *' },
      zone: PARIS,
      now: '2026-06-01T00:00:00Z',
      last: null,
    },
    {
      name: 'spring forward: at 03:10 CEST the skipped 02:45 is still ahead',
      spec: daily('02:45'),
      zone: PARIS,
      now: '2026-03-29T01:10:00Z',
      last: '2026-03-28T01:45:00.000Z',
    },
    {
      name: 'spring forward: at 03:30 CEST the skipped 02:30 is due',
      spec: DAILY_0230,
      zone: PARIS,
      now: '2026-03-29T01:30:00Z',
      last: '2026-03-29T01:30:00.000Z',
    },
    {
      name: 'fall back: inside the repeated hour, before the second 02:30',
      spec: DAILY_0230,
      zone: PARIS,
      now: '2026-10-25T01:00:00Z',
      last: '2026-10-25T00:30:00.000Z',
    },
    {
      name: 'fall back: at the second 02:30',
      spec: DAILY_0230,
      zone: PARIS,
      now: '2026-10-25T01:30:00Z',
      last: '2026-10-25T00:30:00.000Z',
    },
    {
      name: 'Tokyo: 02:00 local',
      spec: daily('02:00'),
      zone: TOKYO,
      now: '2026-01-10T18:00:00Z',
      last: '2026-01-10T17:00:00.000Z',
    },
    {
      name: 'Tokyo: before 02:00 local',
      spec: daily('02:00'),
      zone: TOKYO,
      now: '2026-01-10T16:59:00Z',
      last: '2026-01-09T17:00:00.000Z',
    },
  ];
  for (const { name, spec, zone, now, last } of cases) {
    it(name, () => assert.equal(lastDue(spec, at(now), zone)?.toISOString() ?? null, last));
  }
});

describe('schedule: nextRun and lastDue agree around daylight-saving changes', () => {
  const specs: ScheduleSpec[] = [
    DAILY_0230,
    daily('02:00'),
    daily('03:00'),
    { every: 'week', day: 'sun', at: '02:15' },
    { every: 'cron', cron: '*/20 * * * *' },
    { every: 'cron', cron: '30 * * * *' },
    { every: 'cron', cron: '15,45 1-3 * * *' },
  ];
  const windows = [
    { zone: PARIS, from: '2026-03-28T20:00:00Z', to: '2026-03-29T06:00:00Z' },
    { zone: PARIS, from: '2026-10-24T20:00:00Z', to: '2026-10-25T06:00:00Z' },
    { zone: NEW_YORK, from: '2026-03-08T04:00:00Z', to: '2026-03-08T12:00:00Z' },
    { zone: NEW_YORK, from: '2026-11-01T03:00:00Z', to: '2026-11-01T11:00:00Z' },
    // Lord Howe Island moves by 30 minutes: 02:00 → 02:30 on 2026-10-04, 02:00 → 01:30 on 2026-04-05.
    { zone: 'Australia/Lord_Howe', from: '2026-10-03T12:00:00Z', to: '2026-10-03T20:00:00Z' },
    { zone: 'Australia/Lord_Howe', from: '2026-04-04T12:00:00Z', to: '2026-04-04T20:00:00Z' },
  ];
  for (const { zone, from, to } of windows) {
    for (const spec of specs) {
      it(`${describeSpec(spec)} in ${zone} from ${from}`, () => {
        // Every 11 minutes: lastDue ≤ t < nextRun, with no occurrence in between.
        for (let t = Date.parse(from); t <= Date.parse(to); t += 11 * 60_000) {
          const now = new Date(t);
          const last = lastDue(spec, now, zone);
          const next = nextRun(spec, now, zone);
          assert.ok(last !== null && last <= now && next > now, now.toISOString());
          assert.equal(nextRun(spec, last, zone).getTime(), next.getTime(), now.toISOString());
          assert.equal(lastDue(spec, next, zone)?.getTime(), next.getTime(), now.toISOString());
        }
      });
    }
  }

  for (const { zone, day, from, to } of [
    {
      zone: PARIS,
      day: 'spring forward',
      from: '2026-03-27T23:00:00Z',
      to: '2026-03-31T22:00:00Z',
    },
    { zone: PARIS, day: 'fall back', from: '2026-10-23T22:00:00Z', to: '2026-10-27T23:00:00Z' },
    {
      zone: NEW_YORK,
      day: 'spring forward',
      from: '2026-03-06T05:00:00Z',
      to: '2026-03-10T04:00:00Z',
    },
    { zone: NEW_YORK, day: 'fall back', from: '2026-10-30T04:00:00Z', to: '2026-11-03T05:00:00Z' },
  ]) {
    it(`a daily 02:30 runs once per local day across ${day} in ${zone}`, () => {
      const days: string[] = [];
      for (
        let t = nextRun(DAILY_0230, at(from), zone);
        t < at(to);
        t = nextRun(DAILY_0230, t, zone)
      ) {
        days.push(t.toLocaleDateString('sv-SE', { timeZone: zone }));
      }
      assert.equal(days.length, 4, days.join(' '));
      assert.equal(new Set(days).size, 4, days.join(' '));
    });
  }
});

describe('schedule: isDue', () => {
  const cases: {
    name: string;
    spec: ScheduleSpec;
    lastRun: string | null;
    since: string;
    now: string;
    due: boolean;
    occurrence: string | null;
  }[] = [
    {
      name: "never ran, set yesterday, after today's time → due",
      spec: DAILY_0230,
      lastRun: null,
      since: '2026-01-09T12:00:00Z',
      now: '2026-01-10T08:00:00Z',
      due: true,
      occurrence: '2026-01-10T01:30:00.000Z',
    },
    {
      name: "never ran, set yesterday after its time, before today's → not due",
      spec: DAILY_0230,
      lastRun: null,
      since: '2026-01-09T12:00:00Z',
      now: '2026-01-10T01:00:00Z',
      due: false,
      occurrence: '2026-01-09T01:30:00.000Z',
    },
    {
      name: 'at exactly the occurrence → due',
      spec: DAILY_0230,
      lastRun: '2026-01-09T01:30:00Z',
      since: '2026-01-01T00:00:00Z',
      now: '2026-01-10T01:30:00Z',
      due: true,
      occurrence: '2026-01-10T01:30:00.000Z',
    },
    {
      name: 'ran today after the occurrence → not due',
      spec: DAILY_0230,
      lastRun: '2026-01-10T01:30:02Z',
      since: '2026-01-01T00:00:00Z',
      now: '2026-01-10T08:00:00Z',
      due: false,
      occurrence: '2026-01-10T01:30:00.000Z',
    },
    {
      name: 'ran exactly at the occurrence → not due',
      spec: DAILY_0230,
      lastRun: '2026-01-10T01:30:00Z',
      since: '2026-01-01T00:00:00Z',
      now: '2026-01-10T08:00:00Z',
      due: false,
      occurrence: '2026-01-10T01:30:00.000Z',
    },
    {
      name: 'ran yesterday → due today',
      spec: DAILY_0230,
      lastRun: '2026-01-09T01:30:05Z',
      since: '2026-01-01T00:00:00Z',
      now: '2026-01-10T01:31:00Z',
      due: true,
      occurrence: '2026-01-10T01:30:00.000Z',
    },
    {
      name: 'machine off for 3 days → due once, for the latest missed occurrence',
      spec: DAILY_0230,
      lastRun: '2026-01-07T01:30:05Z',
      since: '2026-01-01T00:00:00Z',
      now: '2026-01-10T08:00:00Z',
      due: true,
      occurrence: '2026-01-10T01:30:00.000Z',
    },
    {
      name: '… and once it has run, not again that day',
      spec: DAILY_0230,
      lastRun: '2026-01-10T08:00:00Z',
      since: '2026-01-01T00:00:00Z',
      now: '2026-01-10T09:00:00Z',
      due: false,
      occurrence: '2026-01-10T01:30:00.000Z',
    },
    {
      name: "schedule set after today's occurrence → not due today",
      spec: DAILY_0230,
      lastRun: null,
      since: '2026-01-10T05:00:00Z',
      now: '2026-01-10T08:00:00Z',
      due: false,
      occurrence: '2026-01-10T01:30:00.000Z',
    },
    {
      name: '… but due tomorrow',
      spec: DAILY_0230,
      lastRun: null,
      since: '2026-01-10T05:00:00Z',
      now: '2026-01-11T02:00:00Z',
      due: true,
      occurrence: '2026-01-11T01:30:00.000Z',
    },
    {
      name: 'schedule set at the occurrence → not due',
      spec: DAILY_0230,
      lastRun: null,
      since: '2026-01-10T01:30:00Z',
      now: '2026-01-10T08:00:00Z',
      due: false,
      occurrence: '2026-01-10T01:30:00.000Z',
    },
    {
      name: 'weekly missed by 2 weeks → due once',
      spec: SUNDAY_0300,
      lastRun: '2026-01-04T02:00:10Z',
      since: '2026-01-01T00:00:00Z',
      now: '2026-01-21T12:00:00Z',
      due: true,
      occurrence: '2026-01-18T02:00:00.000Z',
    },
    {
      name: '… and not again after running',
      spec: SUNDAY_0300,
      lastRun: '2026-01-21T12:00:00Z',
      since: '2026-01-01T00:00:00Z',
      now: '2026-01-22T12:00:00Z',
      due: false,
      occurrence: '2026-01-18T02:00:00.000Z',
    },
    {
      name: 'clock moved backwards (lastRun after now) → not due',
      spec: DAILY_0230,
      lastRun: '2026-01-12T01:30:05Z',
      since: '2026-01-01T00:00:00Z',
      now: '2026-01-10T08:00:00Z',
      due: false,
      occurrence: '2026-01-10T01:30:00.000Z',
    },
    {
      name: 'since after now → not due',
      spec: DAILY_0230,
      lastRun: null,
      since: '2026-02-01T00:00:00Z',
      now: '2026-01-10T08:00:00Z',
      due: false,
      occurrence: '2026-01-10T01:30:00.000Z',
    },
    {
      name: 'spring forward: not due at 03:00 CEST',
      spec: DAILY_0230,
      lastRun: '2026-03-28T01:30:05Z',
      since: '2026-01-01T00:00:00Z',
      now: '2026-03-29T01:00:00Z',
      due: false,
      occurrence: '2026-03-28T01:30:00.000Z',
    },
    {
      name: 'spring forward: due at 03:30 CEST',
      spec: DAILY_0230,
      lastRun: '2026-03-28T01:30:05Z',
      since: '2026-01-01T00:00:00Z',
      now: '2026-03-29T01:30:00Z',
      due: true,
      occurrence: '2026-03-29T01:30:00.000Z',
    },
    {
      name: 'fall back: due at the first 02:30',
      spec: DAILY_0230,
      lastRun: '2026-10-24T00:30:05Z',
      since: '2026-01-01T00:00:00Z',
      now: '2026-10-25T00:30:00Z',
      due: true,
      occurrence: '2026-10-25T00:30:00.000Z',
    },
    {
      name: 'fall back: not due again at the second 02:30',
      spec: DAILY_0230,
      lastRun: '2026-10-25T00:30:05Z',
      since: '2026-01-01T00:00:00Z',
      now: '2026-10-25T01:30:30Z',
      due: false,
      occurrence: '2026-10-25T00:30:00.000Z',
    },
    {
      name: 'no occurrence in two years → not due',
      spec: { every: 'cron', cron: '0 0 29 2 *' },
      lastRun: null,
      since: '2020-01-01T00:00:00Z',
      now: '2026-06-01T00:00:00Z',
      due: false,
      occurrence: null,
    },
  ];
  for (const { name, spec, lastRun, since, now, due, occurrence } of cases) {
    it(name, () => {
      const result = isDue(spec, lastRun === null ? null : at(lastRun), at(since), at(now), PARIS);
      assert.deepEqual(
        { due: result.due, occurrence: result.occurrence?.toISOString() ?? null },
        { due, occurrence },
      );
    });
  }

  it('refuses an invalid lastRun', () =>
    assertUsage(
      () =>
        isDue(
          DAILY_0230,
          new Date(NaN),
          at('2026-01-01T00:00:00Z'),
          at('2026-01-10T08:00:00Z'),
          PARIS,
        ),
      /lastRun must be a valid Date/,
    ));
});
