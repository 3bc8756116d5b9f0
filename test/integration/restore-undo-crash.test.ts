// Item 8 of issue 10: a restore killed at any point, including after it took
// effect (in the after-restore hook), can be undone: undo brings back exactly
// the state that restore replaced, never an older one, and the history says
// the restore succeeded once it took effect.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { BackupCenter } from '../../src/center.js';
import { addDemoReceipt } from '../../src/source/demo.js';
import { CLI, removeDir, tempDir } from '../helpers.js';

const receipts = (db: string): number => {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare('SELECT count(*) FROM receipts').pluck().get() as number;
  } finally {
    d.close();
  }
};

/** Runs `coffre restore` and kills it with SIGKILL after `ms` (never, if null). */
function restoreKilledAfter(home: string, id: string, ms: number | null): Promise<number> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(
      process.execPath,
      [CLI, 'restore', id, '--home', home, '--yes', '--accept-fiscal-rewind'],
      {
        stdio: 'ignore',
      },
    );
    const timer = ms === null ? null : setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('close', () => {
      if (timer) clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

describe('undo after a restore killed at random points', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const db = path.join(home, 'demo-register', 'register.db');
  const flag = path.join(dir, 'kill-in-hook');
  after(() => removeDir(dir));
  before(async () => {
    await BackupCenter.createDemo(home, { profile: 'pos', images: 2, receipts: 10 });
    // The after-restore hook kills the restore (its parent) when the flag is there.
    const configFile = path.join(home, 'config.json');
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    config.hooks = { ...config.hooks, afterRestore: `[ -f '${flag}' ] && kill -9 $PPID; true` };
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  });

  it('undoes exactly the restore that took effect, whatever killed it', async () => {
    let center = await BackupCenter.open(home);
    const target = await center.backup({ note: 'restore target' });
    center.close();
    const backedUp = receipts(db);
    let at = Date.UTC(2026, 10, 21, 9);
    const addReceipt = () => {
      const d = new Database(db);
      addDemoReceipt(d, new Date((at += 60_000)));
      d.close();
    };
    addReceipt();
    // How long one whole restore takes here: the kills fall within it.
    const whole = await restoreKilledAfter(home, target.id, null);
    let tookEffect = 0;
    let rolledBack = 0;
    for (let i = 0; i < 20; i++) {
      addReceipt();
      const before = receipts(db);
      const inHook = i % 5 === 0;
      if (inHook) fs.writeFileSync(flag, '');
      await restoreKilledAfter(home, target.id, inHook ? null : Math.random() * whole);
      fs.rmSync(flag, { force: true });
      center = await BackupCenter.open(home);
      try {
        const now = receipts(db);
        if (now === before) {
          rolledBack++;
          continue;
        }
        assert.equal(now, backedUp, `step ${i}: the old state or the restored one, nothing else`);
        tookEffect++;
        const last = center.history(50).find((j) => j.kind === 'restore');
        assert.equal(last?.result, 'ok', `step ${i}: a restore that took effect succeeded`);
        const undo = await center.undoLastRestore();
        assert.equal(undo.applied, true);
        assert.equal(receipts(db), before, `step ${i}: undo brings back the state just before`);
      } finally {
        center.close();
      }
    }
    assert.ok(tookEffect >= 4, `${tookEffect} restores took effect`);
    assert.ok(rolledBack + tookEffect === 20);
  });
});
