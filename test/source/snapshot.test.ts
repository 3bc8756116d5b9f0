// Issue 11: snapshots that barely block the app. In rollback-journal mode the
// read lock is held only for a raw copy of the file, checked afterwards; the
// snapshots stay consistent while a real writer process keeps committing,
// and a SQLCipher database's copy stays encrypted. WAL mode keeps the
// online backup API, which never holds writers.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { createDemoData, verifyReceiptChain } from '../../src/source/demo.js';
import { takeSnapshot } from '../../src/source/snapshot.js';
import { applyKey } from '../../src/source/sqlite.js';
import { ROOT, removeDir, tempDir } from '../helpers.js';

const WRITER = path.join(ROOT, 'dist/test/fixtures/receipt-writer.js');

function chainOf(file: string): { ok: boolean; count: number; integrity: string } {
  const db = new Database(file, { readonly: true });
  try {
    return {
      ...verifyReceiptChain(db),
      integrity: db.pragma('integrity_check', { simple: true }) as string,
    };
  } finally {
    db.close();
  }
}

describe('database snapshots (issue 11)', () => {
  const dir = tempDir();
  let db = '';
  before(async () => {
    db = (await createDemoData({ dir: path.join(dir, 'app'), profile: 'pos', images: 0 })).dbPath;
    const d = new Database(db);
    d.pragma('journal_mode = DELETE');
    d.close();
  });
  after(() => removeDir(dir));

  it('rollback-journal mode: raw copies under the read lock, consistent while a writer commits', async () => {
    const writer = spawn(process.execPath, [WRITER, db], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    writer.stdout.on('data', (d: Buffer) => (output += d.toString()));
    await new Promise<void>((resolve) => writer.stdout.once('data', () => resolve()));
    const counts: number[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const target = path.join(dir, `snap-${i}.db`);
        const r = await takeSnapshot({ source: db, target, key: null });
        assert.equal(r.method, 'file-copy');
        assert.ok(r.lockedMs >= 0);
        const chain = chainOf(target);
        assert.equal(chain.integrity, 'ok');
        assert.ok(chain.ok, `the receipt chain of snapshot ${i} verifies`);
        assert.equal(r.tables.receipts, chain.count, 'the counts are those of the copy');
        counts.push(chain.count);
        // One self-contained file, in rollback mode: nothing to replay.
        const snap = new Database(target, { readonly: true });
        assert.equal(snap.pragma('journal_mode', { simple: true }), 'delete');
        snap.close();
        await new Promise((r) => setTimeout(r, 150));
      }
    } finally {
      writer.kill('SIGTERM');
      await new Promise((resolve) => writer.once('close', resolve));
    }
    const written = Number(/done (\d+)/.exec(output)?.[1] ?? 0);
    assert.ok(written > 0, 'the writer committed receipts meanwhile');
    assert.ok(counts[3] > counts[0], `later snapshots hold more receipts (${counts.join(', ')})`);
    assert.ok(chainOf(db).ok, 'the live chain still verifies');
  });

  it('a SQLCipher database in rollback mode: the raw copy stays encrypted', async () => {
    const file = path.join(dir, 'secret.db');
    const d = new Database(file);
    applyKey(d, 'k3y');
    d.exec("CREATE TABLE notes(x TEXT); INSERT INTO notes VALUES ('a secret note')");
    d.close();
    const target = path.join(dir, 'secret-snap.db');
    const r = await takeSnapshot({ source: file, target, key: 'k3y' });
    assert.equal(r.method, 'file-copy');
    assert.equal(r.encrypted, true);
    assert.deepEqual(r.tables, { notes: 1 });
    assert.ok(!fs.readFileSync(target).includes('a secret note'));
    assert.ok(!fs.readFileSync(target).subarray(0, 16).equals(Buffer.from('SQLite format 3\0')));
  });

  it('WAL mode keeps the online backup API (readers never hold writers)', async () => {
    const file = path.join(dir, 'wal.db');
    const d = new Database(file);
    d.pragma('journal_mode = WAL');
    d.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1), (2)');
    d.close();
    const target = path.join(dir, 'wal-snap.db');
    const r = await takeSnapshot({ source: file, target, key: null });
    assert.equal(r.method, 'backup-api');
    assert.deepEqual(r.tables, { t: 2 });
    const snap = new Database(target, { readonly: true });
    assert.equal(snap.pragma('journal_mode', { simple: true }), 'delete');
    snap.close();
  });
});
