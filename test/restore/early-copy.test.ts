// What a review of the faster restore found, each run on the real path:
// a sidecar re-signed by another key, with a forged content check, does not
// spare a corrupt database its integrity check under --adopt; a restore that
// fails after its page copy started early lets go of the app's database
// before the after-restore hook restarts the app; a progress callback that
// throws during the copy fails the restore (nothing changed), as it did
// before the copy moved to a worker thread (or, once the commit was asked
// for, the restore took effect), with no uncaught exception.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { BackupCenter } from '../../src/center.js';
import { isCoffreError } from '../../src/core/errors.js';
import { contentCheckMessage, fingerprintMessage } from '../../src/core/manifest.js';
import { removeDir, tempDir } from '../helpers.js';

function integrity(file: string): unknown {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('integrity_check', { simple: true });
  } finally {
    db.close();
  }
}

function rows(file: string, table = 'receipts'): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('a forged content check under --adopt', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  let now = Date.parse('2026-11-20T09:00:00Z');
  let center: BackupCenter;
  let id: string;

  before(async () => {
    await BackupCenter.createDemo(home, { profile: 'pos', images: 1, receipts: 20 });
    center = await BackupCenter.open(home, { clock: () => new Date((now += 60_000)) });
    const dbFile = center.configuration.source.database;
    // An index whose entry no longer matches its row: integrity_check fails.
    const db = new Database(dbFile);
    db.exec('CREATE TABLE zz (a INTEGER, b INTEGER); CREATE INDEX zz_i ON zz(a)');
    const insert = db.prepare('INSERT INTO zz VALUES (?, ?)');
    for (let i = 0; i < 200; i++) insert.run(0x55aa0000 + i, i);
    const root = db
      .prepare("SELECT rootpage FROM sqlite_master WHERE name = 'zz_i'")
      .pluck()
      .get() as number;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const bytes = fs.readFileSync(dbFile);
    const page = bytes.subarray((root - 1) * pageSize, root * pageSize);
    const at = page.indexOf(Buffer.from([0x55, 0xaa, 0x00, 0x05]));
    assert.ok(at >= 0, 'the index entry was found');
    page[at + 3] = 0xf5;
    fs.writeFileSync(dbFile, bytes);
    assert.notEqual(integrity(dbFile), 'ok');
    // Backed up with the check: it fails, so no record is made.
    const made = await center.backup({ checkContent: true });
    assert.equal(made.contentCheck, null);
    id = made.id;
    const fix = new Database(dbFile);
    fix.exec('DROP TABLE zz; VACUUM');
    fix.close();
    assert.equal(integrity(dbFile), 'ok');
  });
  after(() => {
    center.close();
    removeDir(dir);
  });

  it('is still checked, and refused, when the sidecar is re-signed by another key', async () => {
    const backups = path.join(home, 'backups');
    const name = fs
      .readdirSync(backups)
      .find((f) => f.startsWith(id) && f.endsWith('.coffre.json'))!;
    const sidecarFile = path.join(backups, name);
    const s = JSON.parse(fs.readFileSync(sidecarFile, 'utf8'));
    const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
    const pub = publicKey.export({ type: 'spki', format: 'der' }).subarray(-32).toString('base64');
    s.header.register = { id: 'attacker', name: 'attacker', publicKey: pub, keyFingerprint: 'x' };
    s.fingerprintSignature = crypto
      .sign(null, fingerprintMessage(s.archive, s.sha256), privateKey)
      .toString('base64');
    const check = { at: new Date(now).toISOString(), entries: 5, integrity: 'ok' };
    s.contentCheck = {
      ...check,
      signature: crypto
        .sign(null, contentCheckMessage(s.archive, s.sha256, check), privateKey)
        .toString('base64'),
    };
    fs.writeFileSync(sidecarFile, JSON.stringify(s));
    const dbFile = center.configuration.source.database;
    const before = rows(dbFile);
    await assert.rejects(
      center.restore(sidecarFile.replace(/\.coffre\.json$/, ''), { adopt: true }),
      (err) => isCoffreError(err, 'RESTORE_CONFLICT') && /integrity check/.test(err.message),
    );
    assert.equal(integrity(dbFile), 'ok');
    assert.equal(rows(dbFile), before);
  });
});

describe('a restore that fails after its page copy started early', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  let now = Date.parse('2026-11-20T09:00:00Z');
  let center: BackupCenter;
  let id: string;
  let dbFile: string;

  before(async () => {
    await BackupCenter.createDemo(home, { profile: 'pos', images: 1, receipts: 2000 });
    center = await BackupCenter.open(home, { clock: () => new Date((now += 60_000)) });
    dbFile = center.configuration.source.database;
    id = (await center.backup()).id;
    // Changed since the backup, so that a restore that took effect would show.
    const db = new Database(dbFile);
    db.exec('DELETE FROM payments WHERE id % 2 = 0');
    db.close();
  });
  after(() => {
    center.close();
    removeDir(dir);
  });

  it('lets go of the database before the after-restore hook starts the app again', async () => {
    let failedOnce = false;
    let hookSaw: string | null = null;
    await assert.rejects(
      center.restore(id, {
        onProgress: (p) => {
          if (p.phase === 'safety' && p.done > 0 && !failedOnce) {
            // Time for the early copy to take the write lock, then a failure.
            const until = Date.now() + 500;
            while (Date.now() < until);
            failedOnce = true;
            throw new Error('the safety backup failed');
          }
        },
        afterRestore: (result) => {
          const db = new Database(dbFile, { timeout: 0 });
          try {
            db.exec('CREATE TABLE app_probe (x); DROP TABLE app_probe');
            hookSaw = `${result}: wrote`;
          } catch (err) {
            hookSaw = `${result}: ${(err as Error).message}`;
          } finally {
            db.close();
          }
          return Promise.resolve();
        },
      }),
      /the safety backup failed/,
    );
    assert.ok(failedOnce);
    assert.equal(hookSaw, 'failed: wrote');
  });

  it('ends in one state or the other when a progress callback throws during the copy', async (t) => {
    const before = rows(dbFile, 'payments');
    const uncaught: Error[] = [];
    const note = (err: Error) => uncaught.push(err);
    process.on('uncaughtException', note);
    let outcome: string;
    try {
      outcome = await center
        .restore(id, {
          onProgress: (p) => {
            if (p.phase === 'apply') throw new Error('the client went away');
          },
        })
        .then(
          (r) => `applied ${String(r.applied)}`,
          (err: Error) => err.message,
        );
    } finally {
      process.off('uncaughtException', note);
    }
    t.diagnostic(`outcome: ${outcome}`);
    assert.deepEqual(uncaught, [], 'no uncaught exception');
    assert.equal(integrity(dbFile), 'ok');
    // Thrown before the commit, the copy is rolled back and the restore fails
    // with that error; once the commit was asked for, the restore took effect.
    if (outcome === 'the client went away') assert.equal(rows(dbFile, 'payments'), before);
    else {
      assert.equal(outcome, 'applied true');
      assert.ok(rows(dbFile, 'payments') > before, 'the backup is back');
    }
  });
});
