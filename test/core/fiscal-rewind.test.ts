// What a restore would take out of the fiscal chain, in the plan's words.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeRewind, formatMoney, planRewind } from '../../src/core/fiscal/rewind.js';

const GB = { locale: 'en-GB', currency: 'EUR', timeZone: 'UTC' };
const PARIS = { locale: 'fr-FR', currency: 'EUR', timeZone: 'Europe/Paris' };

const none = { count: 0, fromSeq: null, toSeq: null, fromAt: null, toAt: null, total: 0 };
const tail = {
  count: 55,
  fromSeq: 1201,
  toSeq: 1255,
  fromAt: '2026-11-30T09:00:41Z',
  toAt: '2026-11-30T17:42:03Z',
  total: 234567,
};
const label: [string, string] = ['receipt', 'receipts'];

describe('planRewind', () => {
  for (const [name, input, expected] of [
    [
      'a backup with every receipt',
      { touchesRecords: true, liveAfterBackup: none, closingsAfterBackup: 0, eventsAfterBackup: 0 },
      null,
    ],
    [
      'a restore of the catalog only',
      {
        touchesRecords: false,
        liveAfterBackup: tail,
        closingsAfterBackup: 1,
        eventsAfterBackup: 3,
      },
      null,
    ],
    [
      'an older backup',
      { touchesRecords: true, liveAfterBackup: tail, closingsAfterBackup: 0, eventsAfterBackup: 0 },
      55,
    ],
    [
      'only events since',
      { touchesRecords: true, liveAfterBackup: none, closingsAfterBackup: 0, eventsAfterBackup: 2 },
      0,
    ],
  ] as const) {
    it(name, () => {
      const plan = planRewind({ label, ...input });
      assert.equal(plan === null ? null : plan.records.count, expected);
    });
  }
});

describe('describeRewind', () => {
  it('names the receipts, their times and their total', () => {
    const plan = planRewind({
      label,
      touchesRecords: true,
      liveAfterBackup: tail,
      closingsAfterBackup: 0,
      eventsAfterBackup: 0,
    })!;
    assert.equal(
      describeRewind(plan, GB),
      'receipts #1201–#1255 (30/11, 09:00–17:42, €2,345.67) will leave the fiscal chain; they are written to a fiscal archive first.',
    );
  });

  it('spans days, and counts closings and events', () => {
    const plan = planRewind({
      label,
      touchesRecords: true,
      liveAfterBackup: { ...tail, toAt: '2026-12-01T08:05:00Z' },
      closingsAfterBackup: 1,
      eventsAfterBackup: 4,
    })!;
    assert.equal(
      describeRewind(plan, GB),
      'receipts #1201–#1255 (30/11, 09:00–01/12, 08:05, €2,345.67), 1 closing and 4 technical events will leave the fiscal chain; they are written to a fiscal archive first.',
    );
  });

  it('speaks of one receipt in the singular', () => {
    const plan = planRewind({
      label,
      touchesRecords: true,
      liveAfterBackup: { ...tail, count: 1, toSeq: 1201, toAt: tail.fromAt, total: 130 },
      closingsAfterBackup: 0,
      eventsAfterBackup: 0,
    })!;
    assert.equal(
      describeRewind(plan, GB),
      'receipt #1201 (30/11, 09:00–09:00, €1.30) will leave the fiscal chain; it is written to a fiscal archive first.',
    );
  });

  it("speaks the shop's locale, in its time zone", () => {
    const plan = planRewind({
      label,
      touchesRecords: true,
      liveAfterBackup: tail,
      closingsAfterBackup: 0,
      eventsAfterBackup: 0,
    })!;
    assert.equal(
      describeRewind(plan, PARIS),
      'receipts #1201–#1255 (30/11 10:00–18:42, 2\u202f345,67\u00a0€) will leave the fiscal chain; they are written to a fiscal archive first.',
    );
  });

  it('reads a date stored without a zone as local time', () => {
    const plan = planRewind({
      label,
      touchesRecords: true,
      liveAfterBackup: { ...tail, fromAt: '2026-11-30 09:00:41', toAt: '2026-11-30 17:42:03' },
      closingsAfterBackup: 0,
      eventsAfterBackup: 0,
    })!;
    assert.match(describeRewind(plan, PARIS), /\(30\/11 09:00–17:42, /);
  });

  for (const [cents, format, text] of [
    [0, GB, '€0.00'],
    [5, GB, '€0.05'],
    [123456789, GB, '€1,234,567.89'],
    [-250, GB, '-€2.50'],
    [123456, PARIS, '1\u202f234,56\u00a0€'],
    [1500, { ...GB, currency: 'JPY' }, 'JP¥1,500'],
  ] as const) {
    it(`writes ${cents} minor units as ${text}`, () =>
      assert.equal(formatMoney(cents, format), text));
  }
});
