// The fiscal audit in status goes on from where the last audit stopped: new
// sales are the only records it hashes (counted by the audit itself), an
// old record changed since is for the full audit to find, and a changed
// last record makes status check the whole chain again.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { BackupCenter } from '../../src/center.js';
import { addDemoReceipt } from '../../src/source/demo.js';
import { removeDir, tempDir } from '../helpers.js';

describe('fiscal audit in status', () => {
  const dir = tempDir('coffre-fiscal-status-');
  after(() => removeDir(dir));

  it('hashes only the new records, and the full audit finds an old record changed', async () => {
    const home = path.join(dir, 'home');
    const demo = await BackupCenter.createDemo(home, {
      profile: 'pos',
      receipts: 400,
      images: 2,
      days: 40,
    });
    let now = new Date('2026-11-20T18:00:00Z');
    const center = await BackupCenter.open(home, { clock: () => now });
    const live = () => new Database(path.join(demo.dataDir, 'register.db'));
    try {
      const first = (await center.status()).fiscal!;
      assert.equal(first.error, null);
      assert.equal(first.ok, true, first.findings.join(' '));
      assert.equal(first.records, 400);
      assert.equal(first.hashed, 400, 'no checkpoint yet: the whole chain');
      assert.equal(first.fullAuditAt, now.toISOString());

      now = new Date('2026-11-20T18:05:00Z');
      const again = (await center.status()).fiscal!;
      assert.equal(again.hashed, 0, 'nothing new: nothing hashed');
      assert.equal(again.records, 400);
      assert.equal(again.fullAuditAt, '2026-11-20T18:00:00.000Z');

      const db = live();
      try {
        for (let i = 0; i < 7; i++) addDemoReceipt(db, new Date(Date.UTC(2026, 10, 20, 9, 10 + i)));
      } finally {
        db.close();
      }
      const sales = (await center.status()).fiscal!;
      assert.equal(sales.hashed, 7, 'only the 7 new sales');
      assert.equal(sales.records, 407);
      assert.equal(sales.ok, true, sales.findings.join(' '));

      // An old receipt changed behind the register's back: status does not re-read it ...
      const tamper = live();
      try {
        tamper
          .prepare('UPDATE receipts SET total_cents = total_cents + 100 WHERE number = 5')
          .run();
      } finally {
        tamper.close();
      }
      const unseen = (await center.status()).fiscal!;
      assert.equal(unseen.hashed, 0);
      // ... the full audit does, and status reports it from then on.
      now = new Date('2026-11-20T19:00:00Z');
      const full = await center.fiscalAudit();
      assert.equal(full.ok, false);
      assert.equal(full.records.broken?.seq, 5);
      assert.equal(full.records.broken?.reason, 'altered');
      assert.deepEqual(full.scope, { after: null, hashed: 407 });
      const shown = (await center.status()).fiscal!;
      assert.equal(shown.ok, false);
      assert.equal(shown.hashed, 0);
      assert.equal(shown.fullAuditAt, '2026-11-20T19:00:00.000Z');
      assert.ok(
        shown.findings.some((f) => f.includes('#5')),
        shown.findings.join(' '),
      );

      // The last record checked is changed: status cannot go on from it and reads the whole chain.
      const last = live();
      try {
        last.prepare("UPDATE receipts SET hash = 'x' WHERE number = 407").run();
      } finally {
        last.close();
      }
      const redo = (await center.status()).fiscal!;
      assert.equal(redo.hashed, 407);
      assert.equal(redo.ok, false);
    } finally {
      center.close();
    }
  });
});
