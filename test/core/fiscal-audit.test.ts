// The fiscal audit's pure checks, each against a table of tampered data.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addMonths,
  assembleAudit,
  checkArchiveAge,
  checkClosings,
  checkGrandTotal,
  checkHold,
  findGaps,
  holdUntil,
  type Closing,
  type DayTotals,
} from '../../src/core/fiscal/audit.js';

function day(d: string, total: number, count = 3): DayTotals {
  const card = Math.round(total * 0.6);
  return {
    day: d,
    count,
    total,
    vat: Math.round(total * 0.05),
    byVat: { '550': total - 100, '2000': 100 },
    byMethod: { card, cash: total - card },
  };
}

const DAYS = [
  day('2026-10-30', 1000),
  day('2026-10-31', 2000),
  day('2026-11-02', 1500),
  day('2026-11-03', 500),
];

/** The closings an honest register makes for DAYS, as of 2026-11-04. */
function closings(): Closing[] {
  let gt = 0;
  const out: Closing[] = DAYS.map((d, i) => {
    gt += d.total;
    return {
      seq: i + 1,
      kind: 'day',
      period: d.day,
      closedAt: `${d.day}T18:45:00Z`,
      count: d.count,
      total: d.total,
      vat: d.vat,
      byVat: { ...d.byVat! },
      byMethod: { ...d.byMethod! },
      grandTotal: gt,
    };
  });
  const oct = [DAYS[0], DAYS[1]];
  const sum = (f: (d: DayTotals) => number) => oct.reduce((n, d) => n + f(d), 0);
  out.splice(2, 0, {
    seq: 0,
    kind: 'month',
    period: '2026-10',
    closedAt: '2026-10-31T18:46:00Z',
    count: 6,
    total: 3000,
    vat: sum((d) => d.vat!),
    byVat: { '550': 2800, '2000': 200 },
    byMethod: { card: sum((d) => d.byMethod!.card), cash: sum((d) => d.byMethod!.cash) },
    grandTotal: 3000,
  });
  return out.map((c, i) => ({ ...c, seq: i + 1 }));
}

const TODAY = '2026-11-04';

describe('checkClosings', () => {
  const cases: {
    name: string;
    days?: DayTotals[];
    edit?: (c: Closing[]) => Closing[];
    today?: string;
    missing?: string[];
    pending?: string[];
    mismatched?: string[];
    breaks?: string[];
  }[] = [
    { name: 'an honest register' },
    {
      name: 'a day without its closing',
      edit: (c) => c.filter((x) => x.period !== '2026-11-02'),
      missing: ['day 2026-11-02'],
      breaks: ['day 2026-11-03'],
    },
    {
      name: 'a month without its closing',
      edit: (c) => c.filter((x) => x.kind !== 'month'),
      missing: ['month 2026-10'],
    },
    {
      name: 'a year that is over without its closing, with sales since',
      days: [...DAYS, day('2027-01-04', 700)],
      today: '2027-01-05',
      missing: ['month 2026-11', 'year 2026'],
      pending: ['day 2027-01-04'],
    },
    {
      name: 'a year that is over, the register not opened since: pending, not missing',
      today: '2027-01-04',
      pending: ['month 2026-11', 'year 2026'],
    },
    {
      name: 'a month just over, before the first opening after it: pending',
      today: '2026-12-01',
      pending: ['month 2026-11'],
    },
    { name: 'today is not closed yet', days: [...DAYS, day(TODAY, 700)] },
    {
      name: "a receipt's amount changed after the closing",
      days: DAYS.map((d) => (d.day === '2026-11-02' ? { ...d, total: d.total + 100 } : d)),
      mismatched: ['day 2026-11-02 total'],
    },
    {
      name: 'a receipt deleted after the closing',
      days: DAYS.map((d) => (d.day === '2026-10-31' ? { ...d, count: 2 } : d)),
      mismatched: ['day 2026-10-31 count', 'month 2026-10 count'],
    },
    {
      name: 'a closing edited',
      edit: (c) =>
        c.map((x) => (x.period === '2026-11-03' ? { ...x, total: 400, grandTotal: 4900 } : x)),
      mismatched: ['day 2026-11-03 total'],
    },
    {
      name: 'a closing whose VAT split was edited',
      edit: (c) => c.map((x) => (x.period === '2026-10-30' ? { ...x, byVat: { '550': 1000 } } : x)),
      mismatched: ['day 2026-10-30 byVat'],
    },
    {
      name: 'a closing whose payment split was edited',
      edit: (c) =>
        c.map((x) => (x.kind === 'month' ? { ...x, byMethod: { card: 0, cash: 3000 } } : x)),
      mismatched: ['month 2026-10 byMethod'],
    },
    {
      name: 'a zero entry is no difference',
      edit: (c) => c.map((x) => (x.seq === 1 ? { ...x, byVat: { ...x.byVat, '1000': 0 } } : x)),
    },
  ];
  for (const t of cases) {
    it(t.name, () => {
      const c = (t.edit ?? ((x) => x))(closings());
      const result = checkClosings(t.days ?? DAYS, c, t.today ?? TODAY);
      assert.deepEqual(
        result.missing.map((m) => `${m.kind} ${m.period}`),
        t.missing ?? [],
      );
      assert.deepEqual(
        result.pending.map((m) => `${m.kind} ${m.period}`),
        t.pending ?? [],
      );
      assert.deepEqual(
        result.mismatched.map((m) => `${m.kind} ${m.period} ${m.field}`),
        t.mismatched ?? [],
      );
      assert.deepEqual(
        result.grandTotalBreaks.map((b) => `${b.kind} ${b.period}`),
        t.breaks ?? [],
      );
    });
  }

  it('says what it expected and what it found', () => {
    const c = closings().map((x) => (x.seq === 1 ? { ...x, total: 1001, grandTotal: 1001 } : x));
    const [m] = checkClosings(DAYS, c, TODAY).mismatched;
    assert.deepEqual(m, {
      seq: 1,
      kind: 'day',
      period: '2026-10-30',
      field: 'total',
      expected: 1000,
      actual: 1001,
    });
  });
});

describe('checkGrandTotal', () => {
  const cases: { name: string; edit: (c: Closing[]) => Closing[]; breaks: string[] }[] = [
    { name: 'intact', edit: (c) => c, breaks: [] },
    {
      name: 'a day added to the total twice',
      edit: (c) => c.map((x) => (x.seq >= 4 ? { ...x, grandTotal: x.grandTotal! + 1500 } : x)),
      breaks: ['4 day'],
    },
    {
      name: 'the total reset',
      edit: (c) => c.map((x) => (x.period === '2026-11-03' ? { ...x, grandTotal: 500 } : x)),
      breaks: ['5 day'],
    },
    {
      name: "a month's total that is not its last day's",
      edit: (c) => c.map((x) => (x.kind === 'month' ? { ...x, grandTotal: 2000 } : x)),
      breaks: ['3 month'],
    },
  ];
  for (const t of cases) {
    it(t.name, () => {
      assert.deepEqual(
        checkGrandTotal(t.edit(closings())).map((b) => `${b.seq} ${b.kind}`),
        t.breaks,
      );
    });
  }
});

describe('findGaps', () => {
  for (const [name, seqs, gaps, missing, duplicates] of [
    ['none', [1, 2, 3], [], 0, []],
    ['one deleted', [1, 2, 4, 5], [{ from: 3, to: 3 }], 1, []],
    [
      'several deleted',
      [1, 5, 6, 9],
      [
        { from: 2, to: 4 },
        { from: 7, to: 8 },
      ],
      5,
      [],
    ],
    ['the first ones deleted', [3, 4], [{ from: 1, to: 2 }], 2, []],
    ['one numbered twice', [1, 2, 2, 3], [], 0, [2]],
  ] as const) {
    it(name, () => {
      const r = findGaps(seqs, { first: 1 });
      assert.deepEqual(r.gaps, gaps);
      assert.equal(r.missing, missing);
      assert.deepEqual(r.duplicates, duplicates);
    });
  }
  it('keeps at most `limit` gaps but counts them all', () => {
    const r = findGaps([1, 3, 5, 7, 9], { limit: 2 });
    assert.equal(r.gaps.length, 2);
    assert.equal(r.missing, 4);
  });
});

describe('fiscal archives', () => {
  const now = new Date('2026-11-20T10:00:00Z');
  for (const [name, last, oldest, every, codes] of [
    ['no records, no archive', null, null, null, []],
    ['records of this year, no archive yet', null, '2026-03-01T08:00:00Z', null, []],
    [
      'records older than a year, no archive',
      null,
      '2025-10-01T08:00:00Z',
      null,
      ['FISCAL_ARCHIVE_NONE'],
    ],
    ['an archive of last month', '2026-10-31T20:00:00Z', '2024-01-02T08:00:00Z', null, []],
    [
      'an archive 13 months old',
      '2025-10-15T20:00:00Z',
      '2024-01-02T08:00:00Z',
      null,
      ['FISCAL_ARCHIVE_OLD'],
    ],
    [
      'monthly archives asked, last one 2 months old',
      '2026-09-15T20:00:00Z',
      '2024-01-02T08:00:00Z',
      1,
      ['FISCAL_ARCHIVE_DUE'],
    ],
    [
      'monthly archives asked, last one 3 weeks old',
      '2026-10-30T20:00:00Z',
      '2024-01-02T08:00:00Z',
      1,
      [],
    ],
  ] as const) {
    it(name, () => {
      assert.deepEqual(
        checkArchiveAge(last, oldest, now, every).map((w) => w.code),
        codes,
      );
    });
  }

  it('holds an archive 6 calendar years', () => {
    assert.equal(holdUntil('2026-11-20T10:00:00.000Z').toISOString(), '2032-11-20T10:00:00.000Z');
    assert.equal(
      addMonths(new Date('2024-02-29T00:00:00Z'), 12).toISOString(),
      '2025-02-28T00:00:00.000Z',
    );
  });

  it('finds an archive under the hold that no destination holds', () => {
    const made = [
      { archive: 'a.tar.zst', createdAt: '2019-01-10T00:00:00Z' },
      { archive: 'b.tar.zst', createdAt: '2021-01-10T00:00:00Z' },
      { archive: 'c.tar.zst', createdAt: '2026-01-10T00:00:00Z' },
    ];
    const warnings = checkHold(made, new Set(['c.tar.zst']), now);
    assert.deepEqual(
      warnings.map((w) => w.code === 'FISCAL_ARCHIVE_NOT_HELD' && w.archive),
      ['b.tar.zst'],
    );
  });
});

describe('assembleAudit', () => {
  const chain = { ok: true, count: 3, first: null, last: null, broken: null, brokenCount: 0 };
  it('is ok when nothing is wrong, whatever the archive warnings say', () => {
    const audit = assembleAudit({
      checkedAt: '2026-11-20T10:00:00.000Z',
      source: 'live',
      records: { ...chain, label: 'receipts', gaps: [], missing: 0, duplicates: [] },
      closings: null,
      events: null,
      archives: {
        last: null,
        warnings: [{ code: 'FISCAL_ARCHIVE_NONE', oldestRecord: '2024-01-01', everyMonths: null }],
      },
    });
    assert.equal(audit.ok, true);
    assert.equal(audit.findings.length, 1);
    assert.match(audit.findings[0], /at least every 12 months/);
  });
  it('says the settings ask for monthly archives when they do, not the yearly rule', () => {
    const audit = assembleAudit({
      checkedAt: '2026-11-20T10:00:00.000Z',
      source: 'live',
      records: { ...chain, label: 'receipts', gaps: [], missing: 0, duplicates: [] },
      closings: null,
      events: null,
      archives: {
        last: null,
        warnings: checkArchiveAge(
          null,
          '2026-09-01T08:00:00Z',
          new Date('2026-11-20T10:00:00Z'),
          1,
        ),
      },
    });
    assert.equal(audit.findings.length, 1);
    assert.match(audit.findings[0], /the settings ask for one every 1 month/);
    assert.doesNotMatch(audit.findings[0], /12 months/);
  });
  it('names the first broken record and the gaps in words', () => {
    const audit = assembleAudit({
      checkedAt: '2026-11-20T10:00:00.000Z',
      source: 'live',
      records: {
        ...chain,
        ok: false,
        broken: { seq: 7, at: null, reason: 'missing', detail: '#6 before it is missing' },
        brokenCount: 1,
        label: 'receipts',
        gaps: [{ from: 6, to: 6 }],
        missing: 1,
        duplicates: [],
      },
      closings: null,
      events: null,
      archives: null,
    });
    assert.equal(audit.ok, false);
    assert.deepEqual(audit.findings, [
      'The receipt chain is broken at #7 (missing): #6 before it is missing.',
      '1 receipt missing from the sequence: #6.',
    ]);
  });
});
