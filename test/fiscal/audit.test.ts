// The fiscal audit on real SQLite databases: the demo register tampered in
// each way the checks must catch, and a small app schema of the tests' own
// declared by its own recipe (separator-joined, SHA-512 in base64).

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { isCoffreError } from '../../src/core/errors.js';
import { POS_FISCAL_RECIPE } from '../../src/core/fiscal/pos.js';
import { parseFiscalRecipe } from '../../src/core/fiscal/recipe.js';
import { auditDatabase } from '../../src/fiscal/read.js';
import { readRewind } from '../../src/fiscal/rewind.js';
import { addDemoReceipt, createDemoData } from '../../src/source/demo.js';
import { removeDir, tempDir } from '../helpers.js';

const NOW = new Date('2026-11-20T10:00:00Z');
let dir: string;
let demoDb: string;

before(async () => {
  dir = tempDir('coffre-fiscal-audit-');
  const demo = await createDemoData({
    dir: path.join(dir, 'demo'),
    profile: 'pos',
    receipts: 600,
    images: 2,
    days: 70,
  });
  demoDb = demo.dbPath;
});
after(() => removeDir(dir));

let copies = 0;
function audit(tamper: (db: Database.Database) => void = () => undefined) {
  const file = path.join(dir, `copy-${++copies}.db`);
  copyFileSync(demoDb, file);
  const db = new Database(file);
  try {
    db.pragma('foreign_keys = OFF');
    tamper(db);
    return auditDatabase(db, POS_FISCAL_RECIPE, { now: NOW, source: 'live', archives: null });
  } finally {
    db.close();
  }
}

describe('audit of the demo register', () => {
  it('finds an untouched register intact, with closings for every closed day and month', () => {
    const a = audit();
    assert.deepEqual(a.findings, []);
    assert.equal(a.ok, true);
    assert.equal(a.records.count, 600);
    assert.equal(a.records.first?.seq, 1);
    assert.equal(a.records.last?.seq, 600);
    assert.ok(a.closings!.count >= 70 + 2, 'day closings and at least two month closings');
    assert.equal(a.closings!.ok, true);
    assert.ok(a.events!.count > 70);
  });

  const cases: {
    name: string;
    tamper: (db: Database.Database) => void;
    expect: (a: ReturnType<typeof audit>) => void;
  }[] = [
    {
      name: 'an amount changed',
      tamper: (db) =>
        db.exec('UPDATE receipts SET total_cents = total_cents + 100 WHERE number = 120'),
      expect: (a) => {
        assert.deepEqual([a.records.broken?.seq, a.records.broken?.reason], [120, 'altered']);
        assert.ok(a.closings!.mismatched.some((m) => m.field === 'total' && m.kind === 'day'));
      },
    },
    {
      name: 'a receipt deleted',
      tamper: (db) => {
        db.exec(
          'DELETE FROM receipt_lines WHERE receipt_id = (SELECT id FROM receipts WHERE number = 300)',
        );
        db.exec(
          'DELETE FROM payments WHERE receipt_id = (SELECT id FROM receipts WHERE number = 300)',
        );
        db.exec('DELETE FROM receipts WHERE number = 300');
      },
      expect: (a) => {
        assert.deepEqual([a.records.broken?.seq, a.records.broken?.reason], [301, 'missing']);
        assert.deepEqual(a.records.gaps, [{ from: 300, to: 300 }]);
        assert.ok(a.closings!.mismatched.some((m) => m.field === 'count'));
      },
    },
    {
      name: 'two receipts swapped',
      tamper: (db) => {
        db.exec('UPDATE receipts SET number = -1 WHERE number = 200');
        db.exec('UPDATE receipts SET number = 200 WHERE number = 201');
        db.exec('UPDATE receipts SET number = 201 WHERE number = -1');
      },
      expect: (a) => {
        // The number is hashed: each swapped receipt no longer matches its hash.
        assert.deepEqual([a.records.broken?.seq, a.records.broken?.reason], [200, 'altered']);
        assert.equal(a.records.brokenCount, 2);
      },
    },
    {
      name: 'one inserted',
      tamper: (db) => {
        const prev = db
          .prepare('SELECT hash FROM receipts WHERE number = 410')
          .pluck()
          .get() as string;
        db.exec('UPDATE receipts SET number = number + 1000 WHERE number > 410');
        db.prepare(
          `INSERT INTO receipts (number, created_at, employee_id, item_count, total_cents, vat_cents, previous_hash, hash)
           SELECT 411, created_at, employee_id, 1, 500, 26, ?, 'f00d' FROM receipts WHERE number = 410`,
        ).run(prev);
      },
      expect: (a) => {
        assert.equal(a.records.ok, false);
        assert.equal(a.records.broken?.seq, 411);
        assert.ok(a.closings!.mismatched.some((m) => m.field === 'count'));
      },
    },
    {
      name: 'a closing edited',
      tamper: (db) =>
        db.exec(
          "UPDATE closings SET total_cents = total_cents - 500 WHERE kind = 'day' AND number = 10",
        ),
      expect: (a) => {
        assert.equal(a.records.ok, true);
        assert.deepEqual([a.closings!.broken?.seq, a.closings!.broken?.reason], [10, 'altered']);
        assert.ok(a.closings!.mismatched.some((m) => m.seq === 10 && m.field === 'total'));
        assert.ok(a.closings!.grandTotalBreaks.some((b) => b.seq === 10));
      },
    },
    {
      name: 'a closing deleted',
      tamper: (db) => db.exec("DELETE FROM closings WHERE kind = 'day' AND number = 12"),
      expect: (a) => {
        assert.equal(a.closings!.missing.length, 1);
        assert.equal(a.closings!.broken?.reason, 'missing');
      },
    },
    {
      name: 'an event of the journal edited',
      tamper: (db) =>
        db.exec("UPDATE fiscal_events SET detail = 'nothing happened' WHERE number = 5"),
      expect: (a) =>
        assert.deepEqual([a.events!.broken?.seq, a.events!.broken?.reason], [5, 'altered']),
    },
  ];
  for (const t of cases) {
    it(`catches ${t.name}`, () => {
      const a = audit(t.tamper);
      assert.equal(a.ok, false);
      assert.ok(a.findings.length > 0);
      t.expect(a);
    });
  }

  it('asks for a recent sale day to be closed once the day is over', () => {
    const a = audit((db) => {
      const prev = db.prepare('SELECT hash FROM receipts WHERE number = 600').pluck().get();
      db.prepare(
        `INSERT INTO receipts (number, created_at, employee_id, item_count, total_cents, vat_cents, previous_hash, hash)
         VALUES (601, '2026-11-20T09:00:00Z', 1, 0, 0, 0, ?, 'x')`,
      ).run(prev);
    });
    // The 20th is today: not closed yet, so no closing is missing (the hash is, though).
    assert.deepEqual(a.closings!.missing, []);
    assert.equal(a.records.broken?.seq, 601);
  });

  it('names the tables a recipe expects that the database lacks', () => {
    assert.throws(
      () => audit((db) => db.exec('DROP TABLE fiscal_events')),
      (err: unknown) =>
        isCoffreError(err, 'SOURCE_UNAVAILABLE') && err.message.includes('fiscal_events'),
    );
  });
});

describe("a declared recipe on a schema of the tests' own", () => {
  const recipe = parseFiscalRecipe({
    records: {
      table: 'tickets',
      sequence: 'seq',
      date: 'ts',
      key: 'seq',
      label: ['ticket', 'tickets'],
      amount: 'amount',
      chain: {
        fields: ['@previous', 'seq', 'ts', 'amount', 'till'],
        join: { separator: ';' },
        algorithm: 'sha512',
        encoding: 'base64',
        genesis: 'START',
        hashColumn: 'sig',
        previousColumn: 'prev_sig',
      },
    },
    closings: {
      table: 'z_reports',
      sequence: 'no',
      date: 'made_at',
      period: 'business_day',
      total: 'sum_amount',
      grandTotal: 'perpetual',
      chain: {
        fields: ['no', 'business_day', 'sum_amount', 'perpetual', '@previous'],
        join: { separator: '|' },
        algorithm: 'sha384',
        encoding: 'hex',
        genesis: '',
        hashColumn: 'sig',
        previousColumn: 'prev_sig',
      },
    },
  });

  function tills(): Database.Database {
    const db = new Database(path.join(dir, `tills-${++copies}.db`));
    db.exec(`CREATE TABLE tickets (seq INTEGER PRIMARY KEY, ts TEXT, amount INTEGER, till TEXT, prev_sig TEXT, sig TEXT);
             CREATE TABLE z_reports (no INTEGER PRIMARY KEY, business_day TEXT, made_at TEXT, sum_amount INTEGER, perpetual INTEGER, prev_sig TEXT, sig TEXT);`);
    // Written the way that app writes them, independently of Coffre's code.
    let prev = 'START';
    const tickets: [string, number][] = [
      ['2026-11-02 09:00:00', 250],
      ['2026-11-02 12:30:00', 1200],
      ['2026-11-03 10:15:00', 480],
    ];
    tickets.forEach(([ts, amount], i) => {
      const sig = createHash('sha512')
        .update([prev, i + 1, ts, amount, 'T1'].join(';'))
        .digest('base64');
      db.prepare('INSERT INTO tickets VALUES (?, ?, ?, ?, ?, ?)').run(
        i + 1,
        ts,
        amount,
        'T1',
        prev,
        sig,
      );
      prev = sig;
    });
    let zPrev = '';
    let perpetual = 0;
    for (const [no, dayText, sum] of [
      [1, '2026-11-02', 1450],
      [2, '2026-11-03', 480],
    ] as const) {
      perpetual += sum;
      const sig = createHash('sha384')
        .update([no, dayText, sum, perpetual, zPrev].join('|'))
        .digest('hex');
      db.prepare('INSERT INTO z_reports VALUES (?, ?, ?, ?, ?, ?, ?)').run(
        no,
        dayText,
        `${dayText} 20:00:00`,
        sum,
        perpetual,
        zPrev,
        sig,
      );
      zPrev = sig;
    }
    return db;
  }

  it('audits it intact', () => {
    const db = tills();
    try {
      const a = auditDatabase(db, recipe, { now: NOW, source: 'live', archives: null });
      assert.deepEqual(a.findings, []);
      assert.equal(a.records.count, 3);
      assert.equal(a.closings!.count, 2);
      assert.equal(a.events, null);
    } finally {
      db.close();
    }
  });

  it('catches an edited ticket and the Z report that no longer adds up', () => {
    const db = tills();
    try {
      db.exec('UPDATE tickets SET amount = 180 WHERE seq = 3');
      const a = auditDatabase(db, recipe, { now: NOW, source: 'live', archives: null });
      assert.deepEqual([a.records.broken?.seq, a.records.broken?.reason], [3, 'altered']);
      assert.deepEqual(
        a.closings!.mismatched.map((m) => [m.period, m.field, m.expected, m.actual]),
        [['2026-11-03', 'total', 180, 480]],
      );
      assert.match(a.findings[0], /ticket chain is broken at #3/);
    } finally {
      db.close();
    }
  });

  it('refuses a recipe that names no previous hash, with the path of the mistake', () => {
    assert.throws(
      () =>
        parseFiscalRecipe({
          records: {
            ...POS_FISCAL_RECIPE.records,
            chain: { ...POS_FISCAL_RECIPE.records.chain, fields: ['a', 'b'] },
          },
        }),
      (err: unknown) =>
        isCoffreError(err, 'CONFIG_INVALID') && err.message.includes('fiscal.records.chain.fields'),
    );
    assert.throws(
      () => parseFiscalRecipe({ records: { ...POS_FISCAL_RECIPE.records, table: 'x; DROP' } }),
      (err: unknown) =>
        isCoffreError(err, 'CONFIG_INVALID') && err.message.includes('fiscal.records.table'),
    );
  });
});

describe('a restore that rewinds the chain', () => {
  it('names the receipts recorded after the backup', () => {
    const live = path.join(dir, 'rewind-live.db');
    copyFileSync(demoDb, live);
    const db = new Database(live);
    const backup = new Database(demoDb, { readonly: true });
    try {
      for (const minute of [0, 7, 42])
        addDemoReceipt(db, new Date(Date.UTC(2026, 10, 20, 9, minute)));
      const plan = readRewind(db, backup, POS_FISCAL_RECIPE, true);
      assert.deepEqual(plan?.records, {
        count: 3,
        fromSeq: 601,
        toSeq: 603,
        fromAt: '2026-11-20T09:00:00Z',
        toAt: '2026-11-20T09:42:00Z',
        total: plan?.records.total,
      });
      assert.ok(plan.records.total > 0);
      assert.equal(plan.closings, 0);
      assert.equal(
        readRewind(db, backup, POS_FISCAL_RECIPE, false),
        null,
        'the catalog alone rewinds nothing',
      );
      assert.equal(
        readRewind(backup, backup, POS_FISCAL_RECIPE, true),
        null,
        'the same data rewinds nothing',
      );
    } finally {
      db.close();
      backup.close();
    }
  });
});
