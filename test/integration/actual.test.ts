// Issue 11: Coffre on a real app it did not write, Actual Budget, driven by
// its own engine (@actual-app/api, a dev dependency) in a child process, with
// the shipped `actual` profile: a backup while the app writes, a restore that
// resets the sync state as the profile says (and the app then loads the
// budget), adoption on a fresh Actual install (its seed rows), and a backup
// from a newer Actual schema refused. Without the engine (not installed), the
// suite is skipped and says why; run it by hand with
//   npx tsc -p tsconfig.json && node --test dist/test/integration/actual.test.js
// (The restore refused while the app is open is tested with the app-running
// checks.)

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { BackupCenter, isCoffreError } from '../../src/index.js';
import { loadActual } from '../fixtures/actual-app.js';
import { removeDir, tempDir } from '../helpers.js';

const APP = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/actual-app.js');
const engine = loadActual();
const skip = 'error' in engine ? `@actual-app/api cannot be loaded: ${engine.error}` : false;

/** Runs the app (the real engine) once and returns its JSON line. */
function actual(args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [APP, ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}

function sql(db: string, text: string): unknown {
  const h = new Database(db);
  try {
    const stmt = h.prepare(text);
    return stmt.reader ? (stmt.raw().get() as unknown[] | undefined)?.[0] : stmt.run();
  } finally {
    h.close();
  }
}

describe('Actual Budget, the real engine (issue 11)', { skip }, () => {
  const root = tempDir();
  const data = path.join(root, 'actual-data');
  let budget: string;
  let folder: string;
  let db: string;
  let metadata: string;
  let center: BackupCenter;
  let base: { id: string; archive: string };

  before(async () => {
    fs.mkdirSync(data);
    budget = actual(['create', data, 'Shop', 'import', '2000']).id as string;
    folder = path.join(data, budget);
    db = path.join(folder, 'db.sqlite');
    metadata = path.join(folder, 'metadata.json');
    center = await BackupCenter.init({
      home: path.join(root, 'home'),
      name: 'Shop budget',
      profile: 'actual',
      database: db,
      settings: metadata,
    });
  });
  after(() => {
    center?.close();
    removeDir(root);
  });

  it('fits the shipped profile: every table named, no relation dangling', () => {
    const check = center.checkProfile();
    assert.deepEqual(check.unknownTables, []);
    assert.deepEqual(check.unnamedTables, []);
    assert.deepEqual(
      check.relations.filter((r) => r.rows > 0),
      [],
    );
    assert.equal(check.ok, true);
    assert.ok((check.schemaVersion ?? 0) > 1_500_000_000_000, 'a migration id (a time stamp)');
    assert.equal(sql(db, 'PRAGMA user_version'), 0);
  });

  it('backs up while the app writes', async () => {
    const stop = path.join(root, 'stop');
    const writer = spawn(process.execPath, [APP, 'write', data, budget, stop], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    writer.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const started = new Promise<void>((resolve) =>
      writer.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('writing')) resolve();
      }),
    );
    const ended = new Promise<number | null>((resolve) => writer.on('close', resolve));
    await started;
    const before = sql(db, 'SELECT count(*) FROM transactions') as number;
    const b = await center.backup({ note: 'while Actual writes' });
    fs.writeFileSync(stop, '');
    assert.equal(await ended, 0, err);
    const written = (JSON.parse(out.trim().split('\n').pop()!) as { written: number }).written;
    assert.ok(written > 0, 'the app wrote during the backup');
    const inBackup = b.counts.tables.transactions;
    assert.ok(
      inBackup >= before && inBackup <= before + written,
      `${inBackup} of ${before}+${written}`,
    );
    const verified = await center.verify(b.id, { deep: true });
    assert.equal(verified.status, 'passed', JSON.stringify(verified));
    base = { id: b.id, archive: path.join(root, 'home', 'backups', b.archive) };
  });

  it('restores with the app stopped, resets its sync state, drops its cache, and the app loads the budget', async () => {
    // A synced budget: the positions in metadata.json and the CRDT messages.
    const meta = JSON.parse(fs.readFileSync(metadata, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(
      metadata,
      JSON.stringify({
        ...meta,
        cloudFileId: 'f-1',
        groupId: 'g-1',
        lastSyncedTimestamp: '2026-12-01T10:00:00.000Z-0000-aaaaaaaaaaaaaaaa',
        lastUploaded: '2026-12-01',
      }),
    );
    sql(
      db,
      "INSERT INTO messages_crdt (timestamp, dataset, row, column, value) VALUES ('2026-12-01T10:00:00.000Z-0000-aaaaaaaaaaaaaaaa', 'transactions', 'x', 'amount', 'N:1')",
    );
    // Changes after the backup, which the restore takes away.
    actual(['write', data, budget, path.join(root, 'stop')]);
    const accounts = sql(db, 'SELECT id FROM accounts LIMIT 1') as string;
    sql(db, `UPDATE transactions SET tombstone = 1 WHERE acct = '${accounts}' AND rowid % 50 = 0`);
    assert.ok(fs.existsSync(path.join(folder, 'cache.sqlite')));
    const r = await center.restore(base.id);
    assert.equal(r.applied, true);
    assert.deepEqual(
      r.after?.nextSteps.map((s) => s.code),
      ['RESTART_APP', 'RESYNC'],
    );
    assert.equal(fs.existsSync(path.join(folder, 'cache.sqlite')), false);
    assert.equal(sql(db, 'SELECT count(*) FROM messages_crdt'), 0);
    assert.equal(sql(db, 'SELECT count(*) FROM kvcache'), 0);
    const after = JSON.parse(fs.readFileSync(metadata, 'utf8')) as Record<string, unknown>;
    assert.equal(after.groupId, null);
    assert.equal(after.lastSyncedTimestamp, null);
    assert.equal(after.resetClock, true);
    assert.equal(after.id, budget);
    // Actual itself opens the restored budget and sees what the backup holds.
    const seen = actual(['read', data, budget]);
    const real = sql(db, 'SELECT count(*) FROM transactions WHERE tombstone = 0 AND isParent = 0');
    assert.equal(seen.transactions, real);
    assert.equal(seen.accounts, 2);
  });

  it('adopts the backup on a fresh Actual install (its seed rows are not data)', async () => {
    const freshData = path.join(root, 'fresh-data');
    fs.mkdirSync(freshData);
    const id = actual(['create', freshData, 'New machine', 'fresh']).id as string;
    const freshDb = path.join(freshData, id, 'db.sqlite');
    assert.ok((sql(freshDb, 'SELECT count(*) FROM categories') as number) > 0, 'seed rows');
    const c = await BackupCenter.init({
      home: path.join(root, 'fresh-home'),
      name: 'new machine',
      profile: 'actual',
      database: freshDb,
      settings: path.join(freshData, id, 'metadata.json'),
    });
    try {
      assert.deepEqual(c.checkProfile().beyondFreshInstall, {});
      const r = await c.restore(base.archive, { adopt: true });
      assert.equal(r.applied, true);
      assert.equal(r.plan.adopt?.replacesData, null);
      assert.equal(c.identity.id, center.identity.id);
    } finally {
      c.close();
    }
  });

  it('refuses a backup from a newer Actual schema (its migrations table)', async () => {
    // The app was updated (a migration more), backed up, then put back to
    // the older version: that backup is too new for it.
    sql(db, 'INSERT INTO __migrations__ (id) VALUES (9999999999999)');
    const newer = await center.backup({ note: 'after an update' });
    sql(db, 'DELETE FROM __migrations__ WHERE id = 9999999999999');
    await assert.rejects(
      center.restore(newer.id),
      (err: unknown) =>
        isCoffreError(err, 'SCHEMA_TOO_NEW') && err.details.backup === 9999999999999,
    );
  });
});
