// Issue 10 item 18: each error carries the details that let the edge give
// advice that fits it (src/cli/messages.ts), in-process through BackupCenter
// and the source layer.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { BackupCenter } from '../../src/center.js';
import { hintFor } from '../../src/cli/messages.js';
import { isCoffreError, type CoffreError } from '../../src/core/errors.js';
import { quotaExceeded } from '../../src/core/quota.js';
import { openDatabase } from '../../src/source/sqlite.js';
import { removeDir, run, tempDir } from '../helpers.js';

const SOURCE_HINT = /check that the app's database and folders exist/i;

async function caught(p: Promise<unknown> | (() => unknown)): Promise<CoffreError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    if (isCoffreError(err)) return err;
    throw err;
  }
  throw new Error('expected an error');
}

describe('errors carry what the advice needs', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const db = path.join(home, 'demo-register', 'register.db');
  let center: BackupCenter;
  before(async () => {
    await BackupCenter.createDemo(home, { profile: 'pos', images: 2, receipts: 10 });
    center = await BackupCenter.open(home);
  });
  after(() => {
    center.close();
    removeDir(dir);
  });

  it('a failed before-restore hook is not "restore the sections together"', async () => {
    const backup = await center.backup();
    center.close();
    const configFile = path.join(home, 'config.json');
    const saved = fs.readFileSync(configFile, 'utf8');
    const config = JSON.parse(saved);
    config.hooks = { ...config.hooks, beforeRestore: 'exit 3' };
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
    center = await BackupCenter.open(home);
    const err = await caught(center.restore(backup.id));
    assert.equal(err.code, 'RESTORE_CONFLICT');
    assert.equal(err.details.exitCode, 3);
    const hint = hintFor(err.code, err.details) ?? '';
    assert.doesNotMatch(hint, /sections together/);
    assert.match(hint, /before-restore command/);
    center.close();
    fs.writeFileSync(configFile, saved);
    center = await BackupCenter.open(home);
  });

  it('a database locked for more than 10 s, and an encrypted one without its key, get their own advice', async () => {
    const holder = new Database(db);
    holder.pragma('locking_mode = EXCLUSIVE');
    holder.exec('BEGIN EXCLUSIVE');
    try {
      const locked = await caught(() => openDatabase(db, { readonly: true }));
      assert.equal(locked.code, 'SOURCE_UNAVAILABLE');
      assert.equal(locked.details.reason, 'locked');
      assert.doesNotMatch(hintFor(locked.code, locked.details) ?? '', SOURCE_HINT);
      assert.match(hintFor(locked.code, locked.details) ?? '', /locked/);
    } finally {
      holder.exec('COMMIT');
      holder.close();
    }
    const cipher = path.join(dir, 'cipher.db');
    const c = new Database(cipher);
    c.pragma("key = 'secret'");
    c.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1);');
    c.close();
    const noKey = await caught(() => openDatabase(cipher));
    assert.equal(noKey.details.reason, 'no-key');
    const hint = hintFor(noKey.code, noKey.details) ?? '';
    assert.doesNotMatch(hint, SOURCE_HINT);
    assert.match(hint, /databaseKeyFile/);
  });

  it('an unplugged drive is DESTINATION_UNAVAILABLE, not BACKUP_NOT_FOUND', async () => {
    const usb = path.join(dir, 'usb');
    fs.mkdirSync(usb);
    await center.addDestination('usb', { kind: 'external', path: usb });
    const onUsb = await center.backup({ to: ['usb'] });
    fs.renameSync(usb, `${usb}-unplugged`);
    try {
      for (const from of [undefined, 'usb']) {
        const err = await caught(center.restore(onUsb.id, from ? { from } : {}));
        assert.equal(err.code, 'DESTINATION_UNAVAILABLE', err.message);
        assert.match(hintFor(err.code, err.details) ?? '', /Plug in/);
      }
    } finally {
      fs.renameSync(`${usb}-unplugged`, usb);
    }
  });

  it("a new machine without --adopt is told that only other registers' backups are there", async () => {
    const app = path.join(dir, 'new-app');
    fs.mkdirSync(app);
    const newDb = path.join(app, 'register.db');
    run('sqlite3', [newDb, 'PRAGMA user_version = 0; VACUUM;']);
    const fresh = await BackupCenter.init({
      home: path.join(dir, 'new-home'),
      name: 'New',
      profile: 'pos',
      database: newDb,
    });
    try {
      await fresh.addDestination('usb', { kind: 'external', path: path.join(dir, 'usb') });
      const err = await caught(fresh.restore('latest'));
      assert.equal(err.code, 'BACKUP_NOT_FOUND');
      assert.deepEqual(err.details.otherRegisters, [center.identity.id]);
      assert.match(err.message, /only other registers' backups/);
      assert.match(hintFor(err.code, err.details) ?? '', /--adopt/);
    } finally {
      fresh.close();
    }
  });

  it('a quota filled by manual backups points to delete, not to a shorter retention', () => {
    const state = { usedBytes: 900, quotaBytes: 1000 };
    const manual = quotaExceeded('cloud', state, 200, '7 daily', 0, { manual: 5, total: 6 });
    assert.match(hintFor(manual.code, manual.details) ?? '', /coffre delete/);
    const automatic = quotaExceeded('cloud', state, 200, '7 daily', 0, { manual: 1, total: 6 });
    assert.match(hintFor(automatic.code, automatic.details) ?? '', /retention set/);
  });
});
