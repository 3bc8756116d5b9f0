// Restore's promises about choice and undo, in-process through BackupCenter:
// an empty section list is a usage error, "latest" is never a safety backup,
// and every restore that took effect can be undone.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { BackupCenter } from '../../src/center.js';
import { isCoffreError } from '../../src/core/errors.js';
import { addDemoReceipt } from '../../src/source/demo.js';
import { coffre, removeDir, tempDir } from '../helpers.js';

const receipts = (db: string): number => {
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare('SELECT count(*) FROM receipts').pluck().get() as number) ?? 0;
  } finally {
    d.close();
  }
};

function addReceipts(db: string, n: number, at: Date): void {
  const d = new Database(db);
  for (let i = 0; i < n; i++) addDemoReceipt(d, new Date(at.getTime() + i * 60_000));
  d.close();
}

describe('restore: choosing what to restore, and undo', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const db = path.join(home, 'demo-register', 'register.db');
  let center: BackupCenter;
  before(async () => {
    await BackupCenter.createDemo(home, { profile: 'pos', images: 4, receipts: 30 });
    center = await BackupCenter.open(home);
  });
  after(() => {
    center.close();
    removeDir(dir);
  });

  it('refuses an empty list of sections (item 6): nothing is restored, no sale is lost', async () => {
    const backup = await center.backup();
    addReceipts(db, 3, new Date('2026-11-21T10:00:00Z'));
    const before = receipts(db);
    await assert.rejects(
      center.restore(backup.id, { sections: [] }),
      (err) => isCoffreError(err, 'USAGE') && /section/.test(err.message),
    );
    assert.equal(receipts(db), before);
    // The CLI contract: an empty shell variable, or only commas, is the same usage error.
    for (const value of ['', ',', ' , ']) {
      const r = coffre(['restore', backup.id, '--home', home, '--sections', value, '--yes']);
      assert.equal(r.status, 2, `--sections "${value}": ${r.stdout}${r.stderr}`);
      assert.equal(receipts(db), before);
    }
  });

  it('never takes a safety backup for "latest" (item 9): the same command twice gives the same state', async () => {
    const backup = await center.backup({ note: 'the one to restore' });
    addReceipts(db, 2, new Date('2026-11-21T12:00:00Z'));
    // The receipts added since leave the chain: the second confirmation.
    const first = await center.restore('latest', { confirmFiscalRewind: () => true });
    assert.equal(first.plan.backupId, backup.id);
    assert.ok(first.safetyBackupId);
    const restored = receipts(db);
    // The newest backup is now the safety backup; "latest" still means the
    // newest backup that is not one.
    const again = await center.restore('latest');
    assert.equal(again.plan.backupId, backup.id);
    assert.equal(receipts(db), restored);
    // Named, or through undo, a safety backup is still restorable.
    const undo = await center.undoLastRestore();
    assert.equal(undo.plan.backupId, again.safetyBackupId);
    const named = await center.restore(first.safetyBackupId);
    assert.equal(named.plan.origin, 'safety');
    assert.equal(receipts(db), restored + 2);
  });
});
