import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCoffreError } from '../../src/core/errors.js';
import type { Origin } from '../../src/core/manifest.js';
import {
  DEFAULT_RETENTION,
  describePolicy,
  planRetention,
  validatePolicy,
  type RetentionDecision,
  type RetentionItem,
  type RetentionPolicy,
} from '../../src/core/retention.js';

const PARIS = 'Europe/Paris';
const DAY_MS = 86_400_000;
const ZERO: RetentionPolicy = {
  daily: 0,
  weekly: 0,
  monthly: 0,
  yearly: 0,
  preOperation: 0,
  safety: 0,
};

function policy(p: Partial<RetentionPolicy>): RetentionPolicy {
  return { ...ZERO, ...p };
}

/** The id is the creation time, so expectations read as dates. */
function item(
  createdAt: string,
  origin: Origin = 'automatic',
  verification: RetentionItem['verification'] = null,
): RetentionItem {
  return { id: createdAt, createdAt, origin, verification };
}

/** One automatic backup a day from `from` to `to` (inclusive), at `time` UTC. */
function everyDay(from: string, to: string, time = '20:00:00Z', origin: Origin = 'automatic') {
  const out: RetentionItem[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) {
    out.push(item(`${new Date(t).toISOString().slice(0, 10)}T${time}`, origin));
  }
  return out;
}

function plan(
  items: readonly RetentionItem[],
  p: RetentionPolicy,
  now: string,
  timeZone = PARIS,
): RetentionDecision[] {
  return planRetention(items, p, new Date(now), timeZone);
}

function keptDays(decisions: RetentionDecision[]): string[] {
  return decisions.filter((d) => d.keep).map((d) => d.id.slice(0, 10));
}

function byId(decisions: RetentionDecision[]): Map<string, RetentionDecision> {
  return new Map(decisions.map((d) => [d.id, d]));
}

function kept(...reasons: string[]) {
  return { keep: true, reasons };
}

function removed(reason: string) {
  return { keep: false, reasons: [reason] };
}

function expectDecisions(
  decisions: RetentionDecision[],
  expected: Record<string, { keep: boolean; reasons: string[] }>,
): void {
  const map = byId(decisions);
  for (const [id, want] of Object.entries(expected)) {
    const got = map.get(id);
    assert.ok(got, `no decision for ${id}`);
    assert.deepEqual({ keep: got.keep, reasons: got.reasons }, want, id);
  }
}

describe('retention: years of daily automatic backups', () => {
  // 2023-11-21 to 2026-11-20, every evening (21:00 or 22:00 in Paris).
  const threeYears = everyDay('2023-11-21', '2026-11-20');
  const now = '2026-11-21T08:00:00Z'; // Saturday morning
  const defaultDays = [
    '2026-11-20',
    '2026-11-19',
    '2026-11-18',
    '2026-11-17',
    '2026-11-16',
    '2026-11-15',
    '2026-11-14',
    '2026-11-08', // newest of 2026-W45
    '2026-11-01', // newest of 2026-W44
  ];
  const monthEnds = [
    '2026-10-31',
    '2026-09-30',
    '2026-08-31',
    '2026-07-31',
    '2026-06-30',
    '2026-05-31',
    '2026-04-30',
    '2026-03-31',
    '2026-02-28',
    '2026-01-31',
    '2025-12-31',
  ];

  const cases: { name: string; policy: RetentionPolicy; days: string[] }[] = [
    { name: 'the default, 7 daily + 4 weekly', policy: DEFAULT_RETENTION, days: defaultDays },
    {
      name: '7 daily + 4 weekly + 12 monthly + 3 yearly',
      policy: { ...DEFAULT_RETENTION, monthly: 12, yearly: 3 },
      days: [...defaultDays.slice(0, 7), '2026-11-08', '2026-11-01', ...monthEnds, '2024-12-31'],
    },
    {
      name: '10 yearly: only 4 years have backups, and the rule stops there',
      policy: policy({ yearly: 10 }),
      days: ['2026-11-20', '2025-12-31', '2024-12-31', '2023-12-31'],
    },
    {
      name: '1 daily: one backup',
      policy: policy({ daily: 1 }),
      days: ['2026-11-20'],
    },
    {
      name: '5 weekly: the newest of each ISO week, Sundays',
      policy: policy({ weekly: 5 }),
      days: ['2026-11-20', '2026-11-15', '2026-11-08', '2026-11-01', '2026-10-25'],
    },
  ];
  for (const c of cases) {
    it(`keeps exactly the right days with ${c.name}`, () => {
      const decisions = plan(threeYears, c.policy, now);
      assert.equal(decisions.length, 1096);
      assert.deepEqual(keptDays(decisions), c.days);
    });
  }

  it('names every rule that keeps a backup, and one reason for the others', () => {
    expectDecisions(plan(threeYears, DEFAULT_RETENTION, now), {
      '2026-11-20T20:00:00Z': kept('daily 2026-11-20', 'weekly 2026-W47', 'newest backup'),
      '2026-11-16T20:00:00Z': kept('daily 2026-11-16'),
      '2026-11-15T20:00:00Z': kept('daily 2026-11-15', 'weekly 2026-W46'),
      '2026-11-13T20:00:00Z': removed('automatic, outside every rule'),
      '2026-11-08T20:00:00Z': kept('weekly 2026-W45'),
      '2026-11-01T20:00:00Z': kept('weekly 2026-W44'),
      '2026-10-31T20:00:00Z': removed('automatic, outside every rule'),
      '2023-11-21T20:00:00Z': removed('automatic, outside every rule'),
    });
    expectDecisions(plan(threeYears, { ...DEFAULT_RETENTION, monthly: 12, yearly: 3 }, now), {
      '2026-11-20T20:00:00Z': kept(
        'daily 2026-11-20',
        'weekly 2026-W47',
        'monthly 2026-11',
        'yearly 2026',
        'newest backup',
      ),
      '2026-10-31T20:00:00Z': kept('monthly 2026-10'),
      '2025-12-31T20:00:00Z': kept('monthly 2025-12', 'yearly 2025'),
      '2024-12-31T20:00:00Z': kept('yearly 2024'),
      '2025-11-30T20:00:00Z': removed('automatic, outside every rule'),
    });
  });

  it('keeps every month that has a backup when the count is larger', () => {
    const decisions = plan(threeYears, policy({ monthly: 40 }), now);
    const days = keptDays(decisions);
    assert.equal(days.length, 37); // 2023-11 to 2026-11
    assert.equal(days.at(-1), '2023-11-30');
  });

  it('returns the decisions newest first, whatever the input order', () => {
    const shuffled = [...threeYears].reverse();
    assert.deepEqual(
      plan(shuffled, DEFAULT_RETENTION, now),
      plan(threeYears, DEFAULT_RETENTION, now),
    );
    assert.equal(plan(shuffled, DEFAULT_RETENTION, now)[0].id, '2026-11-20T20:00:00Z');
  });

  it('returns nothing for no backups', () => {
    assert.deepEqual(plan([], DEFAULT_RETENTION, now), []);
  });
});

describe('retention: gaps and several backups a day', () => {
  it('skips weeks and days without backups instead of counting them (shop closed 3 weeks)', () => {
    // Closed from Saturday 1 to Sunday 23 August 2026.
    const items = [
      ...everyDay('2026-06-01', '2026-07-31'),
      ...everyDay('2026-08-24', '2026-08-26'),
    ];
    const decisions = plan(items, DEFAULT_RETENTION, '2026-08-27T08:00:00Z');
    assert.deepEqual(keptDays(decisions), [
      '2026-08-26',
      '2026-08-25',
      '2026-08-24',
      '2026-07-31',
      '2026-07-30',
      '2026-07-29',
      '2026-07-28',
      '2026-07-26',
      '2026-07-19',
    ]);
    expectDecisions(decisions, {
      '2026-08-26T20:00:00Z': kept('daily 2026-08-26', 'weekly 2026-W35', 'newest backup'),
      '2026-07-31T20:00:00Z': kept('daily 2026-07-31', 'weekly 2026-W31'),
      '2026-07-26T20:00:00Z': kept('weekly 2026-W30'),
      '2026-07-19T20:00:00Z': kept('weekly 2026-W29'),
      '2026-07-27T20:00:00Z': removed('automatic, outside every rule'),
    });
  });

  const threeADay = ['08:00:00Z', '12:00:00Z', '17:00:00Z'].flatMap((time) =>
    everyDay('2026-11-11', '2026-11-20', time),
  );
  const cases: { name: string; policy: RetentionPolicy; ids: string[] }[] = [
    {
      name: '3 daily',
      policy: policy({ daily: 3 }),
      ids: ['2026-11-20T17:00:00Z', '2026-11-19T17:00:00Z', '2026-11-18T17:00:00Z'],
    },
    {
      name: 'the default (no week before 2026-W46 has a backup)',
      policy: DEFAULT_RETENTION,
      ids: ['20', '19', '18', '17', '16', '15', '14'].map((d) => `2026-11-${d}T17:00:00Z`),
    },
  ];
  for (const c of cases) {
    it(`keeps only the newest backup of each day, three a day, ${c.name}`, () => {
      const decisions = plan(threeADay, c.policy, '2026-11-21T08:00:00Z');
      assert.deepEqual(
        decisions.filter((d) => d.keep).map((d) => d.id),
        c.ids,
      );
      expectDecisions(decisions, {
        '2026-11-20T12:00:00Z': removed('automatic, outside every rule'),
      });
    });
  }

  it('breaks ties on createdAt by id, whatever the input order', () => {
    const at = '2026-11-20T20:00:00Z';
    const a = { id: 'shop_a', createdAt: at, origin: 'automatic', verification: null } as const;
    const b = { id: 'shop_b', createdAt: at, origin: 'automatic', verification: null } as const;
    for (const items of [
      [a, b],
      [b, a],
    ]) {
      assert.deepEqual(plan(items, policy({ daily: 1 }), '2026-11-21T00:00:00Z'), [
        { id: 'shop_b', keep: true, reasons: ['daily 2026-11-20', 'newest backup'] },
        { id: 'shop_a', keep: false, reasons: ['automatic, outside every rule'] },
      ]);
    }
  });
});

describe('retention: calendar buckets in the time zone', () => {
  const cases: {
    at: string;
    timeZone: string;
    buckets: [daily: string, weekly: string, monthly: string, yearly: string];
    why: string;
  }[] = [
    {
      at: '2026-03-28T23:30:00Z',
      timeZone: PARIS,
      buckets: ['2026-03-29', '2026-W13', '2026-03', '2026'],
      why: '00:30 CET on the night clocks go forward',
    },
    {
      at: '2026-03-29T21:45:00Z',
      timeZone: PARIS,
      buckets: ['2026-03-29', '2026-W13', '2026-03', '2026'],
      why: '23:45 CEST, after the change',
    },
    {
      at: '2026-10-24T22:30:00Z',
      timeZone: PARIS,
      buckets: ['2026-10-25', '2026-W43', '2026-10', '2026'],
      why: '00:30 CEST on the night clocks go back',
    },
    {
      at: '2026-10-25T00:30:00Z',
      timeZone: PARIS,
      buckets: ['2026-10-25', '2026-W43', '2026-10', '2026'],
      why: '02:30 CEST, first pass of the repeated hour',
    },
    {
      at: '2026-10-25T01:30:00Z',
      timeZone: PARIS,
      buckets: ['2026-10-25', '2026-W43', '2026-10', '2026'],
      why: '02:30 CET, second pass of the repeated hour',
    },
    {
      at: '2026-10-25T22:59:59Z',
      timeZone: PARIS,
      buckets: ['2026-10-25', '2026-W43', '2026-10', '2026'],
      why: '23:59:59 CET, the last second of the long day',
    },
    {
      at: '2026-10-25T23:00:00Z',
      timeZone: PARIS,
      buckets: ['2026-10-26', '2026-W44', '2026-10', '2026'],
      why: 'midnight CET, Monday',
    },
    {
      at: '2026-03-28T23:30:00Z',
      timeZone: 'UTC',
      buckets: ['2026-03-28', '2026-W13', '2026-03', '2026'],
      why: 'the same instant in UTC',
    },
    {
      at: '2026-11-20T10:59:59Z',
      timeZone: 'Pacific/Auckland',
      buckets: ['2026-11-20', '2026-W47', '2026-11', '2026'],
      why: '23:59:59 NZDT',
    },
    {
      at: '2026-11-20T11:00:00Z',
      timeZone: 'Pacific/Auckland',
      buckets: ['2026-11-21', '2026-W47', '2026-11', '2026'],
      why: 'midnight NZDT: the local date is ahead of the UTC date',
    },
    {
      at: '2026-11-21T07:30:00Z',
      timeZone: 'America/Los_Angeles',
      buckets: ['2026-11-20', '2026-W47', '2026-11', '2026'],
      why: '23:30 PST: the local date is behind the UTC date',
    },
    {
      at: '2026-11-20T18:30:00Z',
      timeZone: 'Asia/Kolkata',
      buckets: ['2026-11-21', '2026-W47', '2026-11', '2026'],
      why: 'midnight IST, a half-hour offset',
    },
    {
      at: '2026-12-31T23:30:00Z',
      timeZone: PARIS,
      buckets: ['2027-01-01', '2026-W53', '2027-01', '2027'],
      why: 'New Year in Paris is still 2026 in UTC',
    },
    {
      at: '2026-12-31T23:30:00Z',
      timeZone: 'UTC',
      buckets: ['2026-12-31', '2026-W53', '2026-12', '2026'],
      why: 'the same instant in UTC',
    },
    {
      at: '2027-01-03T23:30:00Z',
      timeZone: PARIS,
      buckets: ['2027-01-04', '2027-W01', '2027-01', '2027'],
      why: 'Monday 00:30 in Paris starts 2027-W01',
    },
    {
      at: '2027-01-03T23:30:00Z',
      timeZone: 'UTC',
      buckets: ['2027-01-03', '2026-W53', '2027-01', '2027'],
      why: 'still Sunday in UTC',
    },
    // ISO week-year edges. 2026 starts on a Thursday, so it has 53 weeks.
    ...(
      [
        ['2025-12-28', '2025-W52', 'Sunday'],
        ['2025-12-29', '2026-W01', 'Monday of the week holding 2026-01-01'],
        ['2026-01-01', '2026-W01', 'Thursday'],
        ['2026-12-28', '2026-W53', 'Monday of week 53'],
        ['2026-12-31', '2026-W53', 'Thursday, week 53 of 2026'],
        ['2027-01-01', '2026-W53', 'Friday: week-year 2026, calendar year 2027'],
        ['2027-01-03', '2026-W53', 'Sunday, last day of 2026-W53'],
        ['2027-01-04', '2027-W01', 'Monday'],
        ['2024-12-30', '2025-W01', 'Monday, week-year 2025'],
        ['2021-01-03', '2020-W53', 'Sunday, the previous 53-week year'],
      ] as const
    ).map(([day, week, why]) => ({
      at: `${day}T12:00:00Z`,
      timeZone: PARIS,
      buckets: [day, week, day.slice(0, 7), day.slice(0, 4)] as [string, string, string, string],
      why: `${day} is a ${why}`,
    })),
  ];
  for (const c of cases) {
    it(`${c.at} in ${c.timeZone} is daily ${c.buckets[0]}, weekly ${c.buckets[1]} (${c.why})`, () => {
      const all = policy({ daily: 1, weekly: 1, monthly: 1, yearly: 1 });
      const [decision] = plan([item(c.at)], all, '2030-01-01T00:00:00Z', c.timeZone);
      const [daily, weekly, monthly, yearly] = c.buckets;
      assert.deepEqual(decision.reasons, [
        `daily ${daily}`,
        `weekly ${weekly}`,
        `monthly ${monthly}`,
        `yearly ${yearly}`,
        'newest backup',
      ]);
    });
  }

  it('puts a 00:30 backup on the night of the spring change into its local day', () => {
    const items = [
      item('2026-03-27T23:30:00Z'), // Saturday 28, 00:30 CET
      item('2026-03-28T23:30:00Z'), // Sunday 29, 00:30 CET, before the change
      item('2026-03-29T21:45:00Z'), // Sunday 29, 23:45 CEST
      item('2026-03-29T22:30:00Z'), // Monday 30, 00:30 CEST
    ];
    expectDecisions(plan(items, policy({ daily: 3 }), '2026-03-31T00:00:00Z'), {
      '2026-03-29T22:30:00Z': kept('daily 2026-03-30', 'newest backup'),
      '2026-03-29T21:45:00Z': kept('daily 2026-03-29'),
      '2026-03-28T23:30:00Z': removed('automatic, outside every rule'),
      '2026-03-27T23:30:00Z': kept('daily 2026-03-28'),
    });
  });

  it('groups by the local date, not the UTC date', () => {
    const items = [
      item('2026-11-19T20:00:00Z'), // Auckland 20th 09:00, UTC 19th
      item('2026-11-20T10:30:00Z'), // Auckland 20th 23:30, UTC 20th
      item('2026-11-20T11:30:00Z'), // Auckland 21st 00:30, UTC 20th
    ];
    const now = '2026-11-21T00:00:00Z';
    assert.deepEqual(
      plan(items, policy({ daily: 2 }), now, 'Pacific/Auckland').map((d) => d.reasons),
      [
        ['daily 2026-11-21', 'newest backup'],
        ['daily 2026-11-20'],
        ['automatic, outside every rule'],
      ],
    );
    assert.deepEqual(
      plan(items, policy({ daily: 2 }), now, 'UTC').map((d) => d.reasons),
      [
        ['daily 2026-11-20', 'newest backup'],
        ['automatic, outside every rule'],
        ['daily 2026-11-19'],
      ],
    );
  });

  it('keeps one backup for 2026-W53 across the year end', () => {
    const items = everyDay('2026-12-21', '2027-01-10', '12:00:00Z');
    const decisions = plan(items, policy({ weekly: 3 }), '2027-01-10T18:00:00Z');
    assert.deepEqual(
      decisions.filter((d) => d.keep),
      [
        { id: '2027-01-10T12:00:00Z', keep: true, reasons: ['weekly 2027-W01', 'newest backup'] },
        { id: '2027-01-03T12:00:00Z', keep: true, reasons: ['weekly 2026-W53'] },
        { id: '2026-12-27T12:00:00Z', keep: true, reasons: ['weekly 2026-W52'] },
      ],
    );
  });
});

describe('retention: manual, pre-operation and safety backups', () => {
  const now = '2026-11-21T08:00:00Z';
  const items = [
    ...everyDay('2026-11-10', '2026-11-20'),
    ...everyDay('2026-10-01', '2026-10-12', '10:00:00Z', 'pre-operation'),
    ...everyDay('2026-09-01', '2026-09-07', '10:00:00Z', 'safety'),
    item('2020-01-01T10:00:00Z', 'manual'),
    item('2023-05-05T10:00:00Z', 'manual'),
    item('2026-11-19T12:00:00Z', 'manual'),
  ];

  it('keeps the N most recent pre-operation and safety backups and every manual one', () => {
    const decisions = plan(items, DEFAULT_RETENTION, now);
    const preOp = decisions.filter((d) => d.id.startsWith('2026-10-'));
    assert.deepEqual(
      preOp.map((d) => d.keep),
      [...Array<boolean>(10).fill(true), false, false],
    );
    const safety = decisions.filter((d) => d.id.startsWith('2026-09-'));
    assert.deepEqual(
      safety.map((d) => d.keep),
      [true, true, true, true, true, false, false],
    );
    expectDecisions(decisions, {
      '2026-10-12T10:00:00Z': kept('pre-operation, one of the 10 most recent'),
      '2026-10-03T10:00:00Z': kept('pre-operation, one of the 10 most recent'),
      '2026-10-02T10:00:00Z': removed('pre-operation, older than the 10 most recent'),
      '2026-09-03T10:00:00Z': kept('safety, one of the 5 most recent'),
      '2026-09-02T10:00:00Z': removed('safety, older than the 5 most recent'),
      '2020-01-01T10:00:00Z': kept('manual, kept until you delete it'),
      '2023-05-05T10:00:00Z': kept('manual, kept until you delete it'),
      '2026-11-19T12:00:00Z': kept('manual, kept until you delete it'),
    });
  });

  it('counts only automatic backups in the calendar rules', () => {
    const decisions = plan(items, DEFAULT_RETENTION, now);
    // 2026-W45 back to 2026-W40 hold only pre-operation backups: no weekly bucket there.
    assert.deepEqual(
      decisions.flatMap((d) => d.reasons.filter((r) => r.startsWith('weekly'))),
      ['weekly 2026-W47', 'weekly 2026-W46'],
    );
    assert.deepEqual(keptDays(decisions).slice(0, 8), [
      '2026-11-20',
      '2026-11-19',
      '2026-11-19', // the manual one
      '2026-11-18',
      '2026-11-17',
      '2026-11-16',
      '2026-11-15',
      '2026-11-14',
    ]);
    // A manual backup on a day without an automatic one does not use a daily slot.
    const mixed = [
      item('2026-11-18T20:00:00Z'),
      item('2026-11-19T20:00:00Z', 'manual'),
      item('2026-11-20T20:00:00Z'),
    ];
    assert.deepEqual(
      plan(mixed, policy({ daily: 2 }), now).map((d) => d.reasons),
      [
        ['daily 2026-11-20', 'newest backup'],
        ['manual, kept until you delete it'],
        ['daily 2026-11-18'],
      ],
    );
  });

  const zeroCases: { name: string; p: Partial<RetentionPolicy>; preOp: string; safety: string }[] =
    [
      {
        name: 'keeps none when the count is 0',
        p: { daily: 7 },
        preOp: 'pre-operation, the policy keeps none',
        safety: 'safety, the policy keeps none',
      },
      {
        name: 'keeps the most recent when the count is 1',
        p: { daily: 7, preOperation: 1, safety: 1 },
        preOp: 'pre-operation, older than the most recent',
        safety: 'safety, older than the most recent',
      },
    ];
  for (const c of zeroCases) {
    it(`pre-operation and safety: ${c.name}`, () => {
      const decisions = plan(items, policy(c.p), now);
      expectDecisions(decisions, {
        '2026-10-11T10:00:00Z': removed(c.preOp),
        '2026-09-06T10:00:00Z': removed(c.safety),
      });
      if (c.p.preOperation === 1) {
        expectDecisions(decisions, {
          '2026-10-12T10:00:00Z': kept('pre-operation, the most recent'),
          '2026-09-07T10:00:00Z': kept('safety, the most recent'),
        });
      }
    });
  }
});

describe('retention: safety nets', () => {
  const now = '2026-11-21T08:00:00Z';
  const newestCases: {
    name: string;
    newest: RetentionItem;
    p: RetentionPolicy;
  }[] = [
    {
      name: 'a pre-operation backup when the policy keeps none',
      newest: item('2026-11-20T22:00:00Z', 'pre-operation'),
      p: policy({ daily: 3 }),
    },
    {
      name: 'a safety backup when the policy keeps none',
      newest: item('2026-11-20T22:00:00Z', 'safety'),
      p: DEFAULT_RETENTION,
    },
    {
      name: 'an automatic backup under an all-zero policy',
      newest: item('2026-11-20T22:00:00Z'),
      p: ZERO,
    },
    {
      name: 'a backup whose verification failed',
      newest: item('2026-11-20T22:00:00Z', 'automatic', 'failed'),
      p: ZERO,
    },
  ];
  for (const c of newestCases) {
    it(`never deletes the newest backup: ${c.name}`, () => {
      const items = [...everyDay('2026-11-01', '2026-11-20'), c.newest];
      const decisions = plan(items, { ...c.p, preOperation: 0, safety: 0 }, now);
      assert.equal(decisions[0].id, c.newest.id);
      assert.equal(decisions[0].keep, true);
      assert.equal(decisions[0].reasons.at(-1), 'newest backup');
      if (c.newest.origin !== 'automatic')
        assert.deepEqual(decisions[0].reasons, ['newest backup']);
    });
  }

  it('keeps only the newest backup (and manual ones) when every count is 0', () => {
    const items = [
      ...everyDay('2026-10-01', '2026-11-20'),
      ...everyDay('2026-09-01', '2026-09-03', '10:00:00Z', 'pre-operation'),
      ...everyDay('2026-09-04', '2026-09-05', '10:00:00Z', 'safety'),
      item('2026-08-01T10:00:00Z', 'manual'),
    ];
    const decisions = plan(items, ZERO, now);
    assert.deepEqual(
      decisions.filter((d) => d.keep),
      [
        { id: '2026-11-20T20:00:00Z', keep: true, reasons: ['newest backup'] },
        {
          id: '2026-08-01T10:00:00Z',
          keep: true,
          reasons: ['manual, kept until you delete it'],
        },
      ],
    );
    assert.equal(describePolicy(ZERO), 'no daily, weekly, monthly or yearly backups');
  });

  const month = everyDay('2026-11-01', '2026-11-20'); // policy: 7 daily
  const verified = (passed: string[], failed: string[] = []) =>
    month.map((i) => {
      const day = i.id.slice(0, 10);
      if (passed.includes(day)) return { ...i, verification: 'passed' as const };
      if (failed.includes(day)) return { ...i, verification: 'failed' as const };
      return i;
    });
  const passedCases: {
    name: string;
    items: RetentionItem[];
    expected: Record<string, { keep: boolean; reasons: string[] }>;
    keptCount: number;
  }[] = [
    {
      name: 'keeps the only backup whose verification passed, outside every rule',
      keptCount: 8,
      items: verified(['2026-11-05'], ['2026-11-20', '2026-11-06']),
      expected: {
        '2026-11-05T20:00:00Z': kept('only backup whose verification passed'),
        '2026-11-06T20:00:00Z': removed('automatic, outside every rule'),
        '2026-11-04T20:00:00Z': removed('automatic, outside every rule'),
      },
    },
    {
      name: 'adds the reason to a backup a rule keeps anyway',
      keptCount: 7,
      items: verified(['2026-11-18']),
      expected: {
        '2026-11-18T20:00:00Z': kept('daily 2026-11-18', 'only backup whose verification passed'),
      },
    },
    {
      name: 'keeps the newest passed one when several passed',
      keptCount: 8,
      items: verified(['2026-11-05', '2026-11-03']),
      expected: {
        '2026-11-05T20:00:00Z': kept('newest backup whose verification passed'),
        '2026-11-03T20:00:00Z': removed('automatic, outside every rule'),
      },
    },
    {
      name: 'keeps a pre-operation backup the policy would delete',
      keptCount: 8,
      items: [...month, item('2026-11-02T09:00:00Z', 'pre-operation', 'passed')],
      expected: {
        '2026-11-02T09:00:00Z': kept('only backup whose verification passed'),
      },
    },
    {
      name: 'does nothing when none passed',
      keptCount: 7,
      items: verified([], ['2026-11-05', '2026-11-20']),
      expected: {
        '2026-11-05T20:00:00Z': removed('automatic, outside every rule'),
        '2026-11-20T20:00:00Z': kept('daily 2026-11-20', 'newest backup'),
      },
    },
  ];
  for (const c of passedCases) {
    it(`verification: ${c.name}`, () => {
      const decisions = plan(c.items, policy({ daily: 7 }), now);
      expectDecisions(decisions, c.expected);
      assert.equal(decisions.filter((d) => d.keep).length, c.keptCount);
    });
  }

  it('keeps backups dated in the future without letting them use a rule', () => {
    const items = [
      ...everyDay('2026-11-10', '2026-11-20'),
      item('2027-03-01T10:00:00Z'), // the clock was set a few months ahead
      item('2026-11-21T09:00:00Z'), // one hour ahead of now, same local day as now
      item('2026-12-01T00:00:00Z', 'pre-operation'),
      item('2026-11-10T10:00:00Z', 'pre-operation'),
      item(now), // exactly now is not the future
    ];
    const decisions = plan(items, policy({ daily: 3, preOperation: 1 }), now);
    assert.deepEqual(
      decisions.filter((d) => d.keep),
      [
        {
          id: '2027-03-01T10:00:00Z',
          keep: true,
          reasons: ['dated in the future', 'newest backup'],
        },
        { id: '2026-12-01T00:00:00Z', keep: true, reasons: ['dated in the future'] },
        { id: '2026-11-21T09:00:00Z', keep: true, reasons: ['dated in the future'] },
        { id: now, keep: true, reasons: ['daily 2026-11-21'] },
        { id: '2026-11-20T20:00:00Z', keep: true, reasons: ['daily 2026-11-20'] },
        { id: '2026-11-19T20:00:00Z', keep: true, reasons: ['daily 2026-11-19'] },
        { id: '2026-11-10T10:00:00Z', keep: true, reasons: ['pre-operation, the most recent'] },
      ],
    );
  });

  it('keeps backups it cannot judge: unreadable date, unknown origin', () => {
    const items = [
      ...everyDay('2026-11-18', '2026-11-20'),
      { id: 'no-zone', createdAt: '2026-11-19T10:00:00', origin: 'automatic', verification: null },
      { id: 'words', createdAt: 'yesterday', origin: 'automatic', verification: null },
      {
        id: 'newer-coffre',
        createdAt: '2026-11-01T10:00:00Z',
        origin: 'imported' as Origin,
        verification: null,
      },
    ] satisfies RetentionItem[];
    const decisions = plan(items, policy({ daily: 1 }), now);
    assert.deepEqual(decisions.slice(-3), [
      { id: 'newer-coffre', keep: true, reasons: ['origin "imported" unknown to this version'] },
      { id: 'words', keep: true, reasons: ['creation date unreadable'] },
      { id: 'no-zone', keep: true, reasons: ['creation date unreadable'] },
    ]);
  });
});

describe('retention: invalid input', () => {
  const items = [item('2026-11-20T20:00:00Z')];
  const cases: { name: string; run: () => unknown; message: RegExp }[] = [
    {
      name: 'a negative count',
      run: () => plan(items, { ...DEFAULT_RETENTION, daily: -1 }, '2026-11-21T00:00:00Z'),
      message: /daily: must not be negative/,
    },
    {
      name: 'an unknown time zone',
      run: () => plan(items, DEFAULT_RETENTION, '2026-11-21T00:00:00Z', 'Mars/Olympus'),
      message: /Unknown time zone "Mars\/Olympus"/,
    },
    {
      name: 'an empty time zone (which would mean the machine’s)',
      run: () => plan(items, DEFAULT_RETENTION, '2026-11-21T00:00:00Z', ''),
      message: /Unknown time zone ""/,
    },
    {
      name: 'an invalid now',
      run: () => planRetention(items, DEFAULT_RETENTION, new Date('not a date'), PARIS),
      message: /not a valid date/,
    },
  ];
  for (const c of cases) {
    it(`planRetention refuses ${c.name}`, () => {
      assert.throws(c.run, (err: unknown) => {
        assert.ok(isCoffreError(err, 'USAGE'));
        assert.match(err.message, c.message);
        return true;
      });
    });
  }

  const policyCases: { name: string; input: unknown; errors: string[] }[] = [
    { name: 'the default', input: DEFAULT_RETENTION, errors: [] },
    { name: 'all zero', input: ZERO, errors: [] },
    { name: 'the upper bound', input: { ...ZERO, daily: 1000, yearly: 1000 }, errors: [] },
    {
      name: 'a negative count',
      input: { ...DEFAULT_RETENTION, weekly: -1 },
      errors: ['weekly: must not be negative, got -1'],
    },
    {
      name: 'a fraction',
      input: { ...DEFAULT_RETENTION, daily: 2.5 },
      errors: ['daily: must be a whole number, got 2.5'],
    },
    {
      name: 'too large',
      input: { ...DEFAULT_RETENTION, monthly: 1001 },
      errors: ['monthly: must be at most 1000, got 1001'],
    },
    {
      name: 'a string',
      input: { ...DEFAULT_RETENTION, daily: '7' },
      errors: ['daily: must be a whole number from 0 to 1000, got "7"'],
    },
    {
      name: 'NaN and Infinity',
      input: { ...DEFAULT_RETENTION, yearly: NaN, safety: Infinity },
      errors: [
        'yearly: must be a whole number from 0 to 1000, got NaN',
        'safety: must be a whole number from 0 to 1000, got Infinity',
      ],
    },
    {
      name: 'null',
      input: { ...DEFAULT_RETENTION, preOperation: null },
      errors: ['preOperation: must be a whole number from 0 to 1000, got null'],
    },
    {
      name: 'a missing key and a misspelt one',
      input: { daily: 7, weekly: 4, monthly: 0, yearly: 0, safety: 5, preoperation: 10 },
      errors: [
        'preOperation: is missing; give a whole number from 0 to 1000',
        'preoperation: unknown setting; expected one of daily, weekly, monthly, yearly, preOperation, safety',
      ],
    },
    {
      name: 'not an object',
      input: null,
      errors: [
        'policy: must be an object with daily, weekly, monthly, yearly, preOperation, safety',
      ],
    },
    {
      name: 'a list',
      input: [7, 4],
      errors: [
        'policy: must be an object with daily, weekly, monthly, yearly, preOperation, safety',
      ],
    },
  ];
  for (const c of policyCases) {
    it(`validatePolicy: ${c.name}`, () => assert.deepEqual(validatePolicy(c.input), c.errors));
  }

  const describeCases: { p: RetentionPolicy; text: string }[] = [
    { p: DEFAULT_RETENTION, text: '7 daily, 4 weekly' },
    { p: { ...DEFAULT_RETENTION, monthly: 12 }, text: '7 daily, 4 weekly, 12 monthly' },
    {
      p: { ...DEFAULT_RETENTION, monthly: 12, yearly: 5 },
      text: '7 daily, 4 weekly, 12 monthly, 5 yearly',
    },
    { p: policy({ yearly: 3, preOperation: 4 }), text: '3 yearly' },
    { p: ZERO, text: 'no daily, weekly, monthly or yearly backups' },
  ];
  for (const c of describeCases) {
    it(`describePolicy: ${c.text}`, () => assert.equal(describePolicy(c.p), c.text));
  }

  it('has the documented defaults', () => {
    assert.deepEqual(
      { ...DEFAULT_RETENTION },
      { daily: 7, weekly: 4, monthly: 0, yearly: 0, preOperation: 10, safety: 5 },
    );
  });
});

describe('retention: properties over random histories', () => {
  /** xorshift32: a fixed seed gives the same histories on every run. */
  function random(seed: number): () => number {
    let x = seed >>> 0 || 1;
    return () => {
      x = (x ^ (x << 13)) >>> 0;
      x = (x ^ (x >>> 17)) >>> 0;
      x = (x ^ (x << 5)) >>> 0;
      return x / 2 ** 32;
    };
  }
  const ORIGIN_CHOICES: Origin[] = [
    'automatic',
    'automatic',
    'automatic',
    'automatic',
    'automatic',
    'manual',
    'pre-operation',
    'safety',
  ];
  const ZONES = [PARIS, 'UTC', 'Pacific/Auckland', 'America/Los_Angeles', 'Asia/Kolkata'];
  const RULE_REASON = /^(daily|weekly|monthly|yearly) /;
  const AUTOMATIC_KEEPS = [
    'newest backup',
    'only backup whose verification passed',
    'newest backup whose verification passed',
    'dated in the future',
  ];

  it('holds over 300 seeded histories', () => {
    const rand = random(20261121);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
    const now = new Date('2026-11-21T08:00:00Z');
    for (let run = 0; run < 300; run++) {
      const count = Math.floor(rand() * 60);
      const items: RetentionItem[] = [];
      for (let i = 0; i < count; i++) {
        // Whole hours over 400 days, up to 2 days ahead: ties happen.
        const at = now.getTime() + 2 * DAY_MS - Math.floor(rand() * 402 * 24) * 3_600_000;
        const v = rand();
        items.push({
          id: `b${String(Math.floor(rand() * 1000)).padStart(3, '0')}-${i}`,
          createdAt: new Date(at).toISOString(),
          origin: pick(ORIGIN_CHOICES),
          verification: v < 0.1 ? 'passed' : v < 0.2 ? 'failed' : null,
        });
      }
      const p: RetentionPolicy = {
        daily: pick([0, 1, 3, 7, 30]),
        weekly: pick([0, 1, 4, 8]),
        monthly: pick([0, 0, 3, 12]),
        yearly: pick([0, 0, 1, 5]),
        preOperation: pick([0, 1, 10]),
        safety: pick([0, 1, 5]),
      };
      const zone = pick(ZONES);
      const context = `run ${run}, ${JSON.stringify(p)}, ${zone}`;
      const decisions = planRetention(items, p, now, zone);
      const itemsById = new Map(items.map((i) => [i.id, i]));

      assert.equal(decisions.length, items.length, context);
      for (let i = 1; i < decisions.length; i++) {
        const [a, b] = [itemsById.get(decisions[i - 1].id)!, itemsById.get(decisions[i].id)!];
        const order = Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.id > b.id ? 1 : -1);
        assert.ok(order > 0, `${context}: not newest first at ${i}`);
      }
      if (items.length > 0) {
        assert.ok(decisions[0].keep, context);
        assert.ok(decisions[0].reasons.includes('newest backup'), context);
      }
      for (const d of decisions) {
        const source = itemsById.get(d.id)!;
        const future = Date.parse(source.createdAt) > now.getTime();
        if (d.keep) assert.ok(d.reasons.length >= 1, context);
        else assert.equal(d.reasons.length, 1, context);
        if (source.origin === 'manual' || future) assert.ok(d.keep, `${context}: ${d.id}`);
        if (source.origin === 'automatic' && d.keep) {
          assert.ok(
            d.reasons.some((r) => RULE_REASON.test(r) || AUTOMATIC_KEEPS.includes(r)),
            `${context}: ${d.id} ${JSON.stringify(d.reasons)}`,
          );
        }
        if (source.origin !== 'automatic') {
          assert.ok(!d.reasons.some((r) => RULE_REASON.test(r)), `${context}: ${d.id}`);
        }
      }
      for (const rule of ['daily', 'weekly', 'monthly', 'yearly'] as const) {
        const buckets = decisions.flatMap((d) => d.reasons.filter((r) => r.startsWith(`${rule} `)));
        assert.ok(buckets.length <= p[rule], `${context}: ${rule}`);
        assert.equal(new Set(buckets).size, buckets.length, `${context}: ${rule}`);
      }
      if (items.some((i) => i.verification === 'passed')) {
        assert.ok(
          decisions.some((d) => d.keep && itemsById.get(d.id)!.verification === 'passed'),
          context,
        );
      }

      // Input order does not matter.
      const shuffled = [...items].sort(() => rand() - 0.5);
      assert.deepEqual(planRetention(shuffled, p, now, zone), decisions, context);

      // Pruning what remains deletes nothing more: running after every backup is stable.
      const remaining = decisions.filter((d) => d.keep).map((d) => itemsById.get(d.id)!);
      const again = planRetention(remaining, p, now, zone);
      assert.ok(
        again.every((d) => d.keep),
        `${context}: second run removes ${JSON.stringify(again.filter((d) => !d.keep))}`,
      );
    }
  });
});
