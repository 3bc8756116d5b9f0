// The safety backup of a restore reads the live database in place, held
// still by a read transaction: while it is held, the app's writes never
// reach the file; when the WAL cannot be emptied, nothing is held (the
// backup copies instead). A backup while the app runs holds a WAL database
// the same way, between two of the app's commits, without ever waiting for
// its writers, and never holds a rollback-journal one (that would keep the
// app's writers out for the whole archive).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { createDemoData, verifyReceiptChain } from '../../src/source/demo.js';
import { holdSnapshot, type HoldOptions } from '../../src/source/snapshot.js';
import { ROOT, removeDir, tempDir } from '../helpers.js';

const WRITER = path.join(ROOT, 'dist/test/fixtures/receipt-writer.js');

const fileHash = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function walDatabase(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  for (let i = 0; i < 500; i++) insert.run('x'.repeat(200));
  return db;
}

/** Whether a hold is taken; a hold taken is released at once. */
async function heldOrNot(file: string, options: HoldOptions = {}): Promise<'held' | null> {
  const held = await holdSnapshot(file, undefined, options);
  await held?.release();
  return held ? 'held' : null;
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
    assert.equal(await heldOrNot(file), null);
    assert.equal(await heldOrNot(file, { live: true }), null);
    reader.exec('ROLLBACK');
    reader.close();
    app.close();
  });

  it("a running app's WAL database: held between commits, the frames already written moved into the file first", async () => {
    const file = path.join(dir, 'live.db');
    const app = walDatabase(file);
    // The app's writes so far are still in the WAL, and it stays open.
    assert.ok(fs.statSync(`${file}-wal`).size > 0);
    const held = await holdSnapshot(file, undefined, { live: true, check: true });
    assert.ok(held, 'no reader keeps frames back: the hold needs no wait');
    try {
      assert.equal(held.result.tables.t, 500);
      // The file alone is the held state: its own copy reads 500 rows.
      const copy = path.join(dir, 'live-copy.db');
      fs.copyFileSync(file, copy);
      const c = new Database(copy, { readonly: true });
      assert.equal((c.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, 500);
      c.close();
      const before = fileHash(file);
      const insert = app.prepare('INSERT INTO t (v) VALUES (?)');
      for (let i = 0; i < 200; i++) insert.run('w'.repeat(300));
      // The app's own passive checkpoint cannot move them into the file.
      app.pragma('wal_checkpoint(PASSIVE)');
      assert.equal(fileHash(file), before, 'nothing reached the file while it was held');
      assert.deepEqual(await held.check, { integrity: 'ok' }, 'checked in the held transaction');
    } finally {
      await held.release();
    }
    app.close();
  });

  it("never holds a running app's rollback-journal database (its writers would wait for the whole archive)", async () => {
    const file = path.join(dir, 'journal.db');
    const app = walDatabase(file);
    app.pragma('journal_mode = DELETE');
    assert.equal(await heldOrNot(file, { live: true }), null);
    // The restore's hold (the app stopped) takes it: a shared lock.
    const held = await holdSnapshot(file);
    assert.ok(held);
    await held.release();
    app.close();
  });

  it('under a writer that commits without pause, every hold it gets is one consistent state', async () => {
    const app = (
      await createDemoData({ dir: path.join(dir, 'register'), profile: 'pos', images: 0 })
    ).dbPath;
    const d = new Database(app);
    d.pragma('journal_mode = WAL');
    d.close();
    const writer = spawn(process.execPath, [WRITER, app], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => writer.stdout.once('data', () => resolve()));
    let holds = 0;
    try {
      for (let i = 0; i < 6; i++) {
        const held = await holdSnapshot(app, undefined, { live: true });
        if (!held) continue;
        holds++;
        try {
          const copy = path.join(dir, `held-${i}.db`);
          fs.copyFileSync(app, copy);
          // As the archive stores it: in rollback-journal mode, one file.
          const bytes = fs.readFileSync(copy);
          bytes[18] = 1;
          bytes[19] = 1;
          fs.writeFileSync(copy, bytes);
          const c = new Database(copy, { readonly: true });
          try {
            assert.equal(c.pragma('integrity_check', { simple: true }), 'ok');
            const chain = verifyReceiptChain(c);
            assert.ok(chain.ok, `the receipt chain of hold ${i} verifies`);
            assert.equal(
              chain.count,
              held.result.tables.receipts,
              'the counts are those of the file',
            );
          } finally {
            c.close();
          }
        } finally {
          await held.release();
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      writer.kill('SIGTERM');
      await new Promise((resolve) => writer.once('close', resolve));
    }
    assert.ok(holds > 0, 'at least one hold fell between two commits');
  });

  it("another program cannot write the held file, though Coffre's process opens and closes it meanwhile", async () => {
    // SQLite's locks belong to a process, and closing any descriptor of the
    // file in that process drops them all: the hold lives in a process of its
    // own. The app here is another SQLite (python's): committing, then
    // closing its last connection, it would checkpoint into the file and
    // delete its WAL if no other process held the file.
    const file = path.join(dir, 'other-app.db');
    const setup = new Database(file);
    setup.pragma('journal_mode = WAL');
    setup.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const insert = setup.prepare('INSERT INTO t VALUES (?, ?)');
    setup.transaction(() => {
      for (let i = 1; i <= 2000; i++) insert.run(i, 'before-' + 'x'.repeat(200));
    })();
    setup.close();
    const script = [
      'import sqlite3, sys',
      'db = sqlite3.connect(sys.argv[1], isolation_level=None)',
      "db.execute('pragma wal_autocheckpoint = 0')",
      "db.execute('select count(*) from t').fetchone()",
      "print('ready', flush=True)",
      'sys.stdin.readline()',
      "db.execute('begin')",
      'for i in range(1, 2001):',
      "    db.execute('update t set v = ? where id = ?', ('after-' + 'y' * 200, i))",
      "db.execute('commit')",
      'db.close()',
      "print('closed', flush=True)",
    ].join('\n');
    const app = spawn('python3', ['-c', script, file], { stdio: ['pipe', 'pipe', 'inherit'] });
    const line = () =>
      new Promise<string>((resolve) =>
        app.stdout.once('data', (d: Buffer) => resolve(d.toString())),
      );
    assert.match(await line(), /ready/);
    const held = await holdSnapshot(file, undefined, { live: true });
    assert.ok(held);
    try {
      const bytes = held.result.bytes;
      // Read through this process's own descriptors, opened and closed.
      const before = createHash('sha256')
        .update(fs.readFileSync(file).subarray(0, bytes))
        .digest('hex');
      app.stdin.write('go\n');
      assert.match(await line(), /closed/);
      const content = fs.readFileSync(file).subarray(0, bytes);
      assert.equal(createHash('sha256').update(content).digest('hex'), before);
      assert.ok(!content.includes('after-yyyy'), 'none of the later rows is in the held file');
    } finally {
      await held.release();
      app.kill();
    }
  });

  it('a hold lost before its release (its process killed) fails the read, never passes for held', async () => {
    const file = path.join(dir, 'lost.db');
    const app = walDatabase(file);
    const held = await holdSnapshot(file, undefined, { live: true });
    assert.ok(held);
    // The process holding it: this process's child running hold-process.js.
    const child = fs
      .readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .find((p) => {
        try {
          const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
          const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
          return (
            ppid === process.pid &&
            fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('hold-process.js')
          );
        } catch {
          return false;
        }
      });
    assert.ok(child, 'the hold runs in a child process');
    process.kill(Number(child), 'SIGKILL');
    await assert.rejects(held.release(), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SOURCE_UNAVAILABLE');
      assert.match(err.message, /Run the backup again/);
      return true;
    });
    app.close();
  });
});
