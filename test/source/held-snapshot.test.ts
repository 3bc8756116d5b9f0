// The safety backup of a restore reads the live database in place, held
// still by a read transaction: while it is held, the app's writes never
// reach the file; when the WAL cannot be emptied, nothing is held (the
// backup copies instead).

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { holdSnapshot } from '../../src/source/snapshot.js';
import { removeDir, tempDir } from '../helpers.js';

const fileHash = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function walDatabase(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  for (let i = 0; i < 500; i++) insert.run('x'.repeat(200));
  return db;
}

describe('a live database held still for the safety backup', () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  it("keeps the file as it was while held, whatever the app writes, and counts that state's rows", async () => {
    const file = path.join(dir, 'held.db');
    const app = walDatabase(file);
    const held = await holdSnapshot(file);
    assert.ok(held, 'an app connection that is not reading does not stop the hold');
    try {
      assert.equal(held.result.tables.t, 500);
      assert.equal(held.result.bytes, fs.statSync(file).size);
      const before = fileHash(file);
      // The app goes on writing, and tries to move its WAL into the file.
      const insert = app.prepare('INSERT INTO t (v) VALUES (?)');
      for (let i = 0; i < 200; i++) insert.run('y'.repeat(300));
      app.pragma('wal_checkpoint(FULL)');
      assert.equal(fileHash(file), before, 'nothing reached the file while it was held');
    } finally {
      await held.release();
    }
    await held.release();
    // Released: the app's checkpoint now moves its writes into the file.
    app.pragma('wal_checkpoint(TRUNCATE)');
    assert.equal((app.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, 700);
    app.close();
  });

  it('holds nothing when a reader keeps frames in the WAL (then only a copy is consistent)', async () => {
    const file = path.join(dir, 'busy.db');
    const app = walDatabase(file);
    const reader = new Database(file, { readonly: true });
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM t').get();
    app.prepare('INSERT INTO t (v) VALUES (?)').run('z');
    assert.equal(await holdSnapshot(file), null);
    reader.exec('ROLLBACK');
    reader.close();
    app.close();
  });
});
