// BackupCenter as a host app uses it in-process: events, and a restore whose
// plan the app confirms or declines.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { BackupCenter } from '../src/center.js';
import { addDemoReceipt } from '../src/source/demo.js';
import { removeDir, tempDir } from './helpers.js';

describe('BackupCenter in a host app', () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  it('tells the app about backups and each step of a restore, and respects a declined plan', async () => {
    const home = path.join(dir, 'home');
    await BackupCenter.createDemo(home, { profile: 'pos', images: 5 });
    const center = await BackupCenter.open(home);
    const seen: string[] = [];
    center.events.on('backup', (e) => seen.push(`backup ${e.origin}`));
    center.events.on('restore', (e) => seen.push(`restore ${e.phase}`));
    const backup = await center.backup({ note: 'host app' });
    const db = new Database(path.join(home, 'demo-register', 'register.db'));
    addDemoReceipt(db, new Date('2026-11-21T10:00:00Z'));
    db.close();

    const declined = await center.restore(backup.id, {
      confirm: (plan) => {
        assert.equal(plan.losses[0]?.rows, 1);
        return false;
      },
    });
    assert.equal(declined.applied, false);
    assert.equal(declined.safetyBackupId, null);

    const applied = await center.restore(backup.id, {
      confirm: () => true,
      confirmFiscalRewind: () => true,
    });
    assert.equal(applied.applied, true);
    assert.equal(applied.restartApp, true);
    assert.deepEqual(seen, [
      'backup manual',
      'restore planned',
      'restore planned',
      'backup safety',
      'restore applied',
    ]);
    center.close();
  });
});
