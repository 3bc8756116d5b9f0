// A full restore by pages (the online backup API writing into the live
// database): killed with SIGKILL at random points of the copy, the live
// database is always exactly the old one or exactly the new one, and intact.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { prepareDatabaseApply } from '../../src/restore/apply.js';
import { copyPages } from '../../src/restore/pages.js';
import { createDemoData } from '../../src/source/demo.js';
import { ROOT, removeDir, tempDir } from '../helpers.js';

const FIXTURE = path.join(ROOT, 'dist/test/fixtures/page-restore.js');

/** Schema, user_version and every row of every table, hashed; and integrity_check. */
function state(file: string): { fingerprint: string; integrity: unknown } {
  const db = new Database(file, { fileMustExist: true });
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    const h = createHash('sha256');
    h.update(`user_version ${String(db.pragma('user_version', { simple: true }))}\n`);
    const schema = db
      .prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name')
      .raw()
      .all() as [string, string, string, string | null][];
    h.update(JSON.stringify(schema) + '\n');
    for (const [type, name] of schema) {
      if (type !== 'table') continue;
      const rows = db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).raw().iterate();
      for (const row of rows) h.update(JSON.stringify(row) + '\n');
    }
    return { fingerprint: h.digest('hex'), integrity };
  } finally {
    db.close();
  }
}

function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function removeDb(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`])
    fs.rmSync(f, { force: true });
}

/** Runs the fixture; kills it `killAfterMs` after it starts copying (never, when null). */
function copy(
  live: string,
  staged: string,
  killAfterMs: number | null,
): Promise<{ killed: boolean; copyMs: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [FIXTURE, live, staged], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      const first = !out.includes('copying');
      out += d.toString();
      if (first && out.includes('copying') && killAfterMs !== null) {
        setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.once('close', (_code, signal) => {
      const done = /done (\d+)/.exec(out);
      resolve({
        killed: signal === 'SIGKILL',
        copyMs: done ? Number(done[1]) : null,
        stderr,
      });
    });
  });
}

describe('a full restore by pages', () => {
  const dir = tempDir();
  const live = path.join(dir, 'live.db');
  const pristine = path.join(dir, 'old.db');
  const staged = path.join(dir, 'staged.db');
  let oldState = '';
  let newState = '';
  after(() => removeDir(dir));

  before(async () => {
    // The old database: a register in WAL mode, as the app keeps it.
    const data = await createDemoData({
      dir: path.join(dir, 'app'),
      profile: 'pos',
      receipts: 1500,
      images: 0,
    });
    fs.copyFileSync(data.dbPath, pristine);
    // The backup: other receipts, another index, another user_version, in a
    // single file (as a staged snapshot is).
    const db = new Database(data.dbPath);
    db.exec(
      'DELETE FROM payments WHERE id % 3 = 0; CREATE INDEX receipts_day ON receipts(created_at)',
    );
    db.pragma('user_version = 7');
    db.prepare('VACUUM INTO ?').run(staged);
    db.close();
    const wal = new Database(pristine);
    assert.equal(wal.pragma('journal_mode', { simple: true }), 'wal');
    wal.close();
    oldState = state(pristine).fingerprint;
    newState = state(staged).fingerprint;
    assert.notEqual(oldState, newState);
  });

  it('copies the backup in, page for page', async () => {
    removeDb(live);
    fs.copyFileSync(pristine, live);
    const apply = prepareDatabaseApply(live, staged, {
      full: true,
      tables: [],
      key: null,
    });
    assert.equal(apply.method, 'pages');
    const seen: number[] = [];
    await apply.apply((done) => seen.push(done));
    const after = state(live);
    assert.equal(after.integrity, 'ok');
    assert.equal(after.fingerprint, newState);
    assert.equal(seen[seen.length - 1], fs.statSync(staged).size);
    const db = new Database(live);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal', 'the app keeps its WAL mode');
    db.close();
  });

  it('refuses a staged copy that fails integrity_check, changing nothing', async () => {
    removeDb(live);
    fs.copyFileSync(pristine, live);
    const broken = path.join(dir, 'broken.db');
    fs.copyFileSync(staged, broken);
    // Damage one page in the middle of the file (not the header).
    const fd = fs.openSync(broken, 'r+');
    const size = fs.fstatSync(fd).size;
    fs.writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, Math.floor(size / 2 / 4096) * 4096);
    fs.closeSync(fd);
    const apply = prepareDatabaseApply(live, broken, {
      full: true,
      tables: [],
      key: null,
    });
    await assert.rejects(
      apply.apply(),
      (err: { code?: string }) => err.code === 'RESTORE_CONFLICT',
    );
    assert.equal(state(live).fingerprint, oldState);
  });

  it('holds its commit until the checks pass: readers see the old data meanwhile', async () => {
    removeDb(live);
    fs.copyFileSync(pristine, live);
    let pass: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (pass = resolve));
    const during: string[] = [];
    let waits = 0;
    const copying = copyPages(live, staged, {
      stepPages: 8,
      gate,
      onWaiting: () => {
        waits++;
        if (waits === 3) {
          // Every page but the last is written, inside the transaction.
          during.push(state(live).fingerprint);
          pass();
        }
      },
    });
    await copying;
    assert.ok(waits >= 3, 'the copy waited for the gate');
    assert.deepEqual(during, [oldState]);
    assert.equal(state(live).fingerprint, newState);
  });

  it('rolls the copy back when the checks refuse it, having changed nothing', async () => {
    removeDb(live);
    fs.copyFileSync(pristine, live);
    let refuse: (err: Error) => void = () => undefined;
    const gate = new Promise<void>((_, reject) => (refuse = reject));
    let waits = 0;
    await assert.rejects(
      copyPages(live, staged, {
        stepPages: 8,
        gate,
        onWaiting: () => {
          if (++waits === 2) refuse(new Error('integrity check failed'));
        },
      }),
      /integrity check failed/,
    );
    const after = state(live);
    assert.equal(after.fingerprint, oldState);
    assert.equal(after.integrity, 'ok');
  });

  /**
   * The app holding a lock on the live database when the copy starts, released
   * after `holdMs`: `write`, a write transaction (the WAL's write lock);
   * `read`, in rollback-journal mode, a read transaction (its shared lock).
   */
  function holdLive(lock: 'write' | 'read', holdMs: number): { release(): void } {
    const app = new Database(live);
    if (lock === 'read') {
      app.pragma('journal_mode = DELETE');
      app.exec('BEGIN');
      app.prepare('SELECT count(*) FROM receipts').get();
    } else {
      app.exec('BEGIN IMMEDIATE');
      app.prepare('UPDATE receipts SET total_cents = total_cents + 1 WHERE id = 1').run();
    }
    const release = () => {
      clearTimeout(timer);
      if (app.open) {
        if (app.inTransaction) app.exec('COMMIT');
        app.close();
      }
    };
    const timer = setTimeout(release, holdMs);
    return { release };
  }

  // The backup's own connection to the live file does not wait for a lock:
  // its first step fails with SQLITE_BUSY, which better-sqlite3 reported as a
  // finished copy, nothing copied (a restore under the app's writer that said
  // it took effect and left the old data).
  for (const lock of ['write', 'read'] as const) {
    it(`waits for the app's ${lock} lock on the live database, then copies`, async () => {
      removeDb(live);
      fs.copyFileSync(pristine, live);
      const held = holdLive(lock, 300);
      const started = Date.now();
      try {
        await copyPages(live, staged);
      } finally {
        held.release();
      }
      const after = state(live);
      assert.equal(after.fingerprint, newState, 'the live database is the backup');
      assert.equal(after.integrity, 'ok');
      assert.ok(Date.now() - started >= 250, 'the copy waited for the lock');
    });
  }

  /** The backup with 32 MiB more: more than the copy keeps in its cache (about 16 MiB), so it writes to the WAL. */
  function bigStaged(): { file: string; fingerprint: string } {
    const file = path.join(dir, 'big-staged.db');
    if (!fs.existsSync(file)) {
      fs.copyFileSync(staged, file);
      const db = new Database(file);
      db.exec('CREATE TABLE padding (b BLOB)');
      const insert = db.prepare('INSERT INTO padding VALUES (randomblob(65536))');
      for (let i = 0; i < 512; i++) insert.run();
      db.close();
    }
    return { file, fingerprint: state(file).fingerprint };
  }

  it('starts its copy early in WAL mode: the file stays as a safety backup reads it, until the commit', async () => {
    removeDb(live);
    fs.copyFileSync(pristine, live);
    const big = bigStaged();
    // The safety backup's hold: the WAL emptied, then a read transaction on the file alone.
    const hold = new Database(live);
    hold.pragma('wal_checkpoint(TRUNCATE)');
    hold.exec('BEGIN');
    const oldReceipts = hold.prepare('SELECT count(*) FROM receipts').pluck().get();
    const fileBefore = sha256File(live);
    const apply = prepareDatabaseApply(live, big.file, { full: true, tables: [], key: null });
    apply.startEarly();
    try {
      // The copy writes into the WAL what its cache cannot keep: 8 MiB of it is enough.
      const size = 8 * 2 ** 20;
      const deadline = Date.now() + 20_000;
      while ((fs.statSync(`${live}-wal`, { throwIfNoEntry: false })?.size ?? 0) < size) {
        assert.ok(Date.now() < deadline, 'the early copy did not write its pages');
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(sha256File(live), fileBefore, 'the file is as the safety backup reads it');
      const reader = new Database(live, { readonly: true });
      assert.equal(
        reader.prepare('SELECT count(*) FROM receipts').pluck().get(),
        oldReceipts,
        'other connections still see the old data',
      );
      reader.close();
    } finally {
      hold.exec('COMMIT');
      hold.close();
    }
    await apply.apply();
    assert.equal(state(live).fingerprint, big.fingerprint);
  });

  it('a copy started early and cancelled changes nothing and lets the app write again', async () => {
    removeDb(live);
    fs.copyFileSync(pristine, live);
    const apply = prepareDatabaseApply(live, bigStaged().file, {
      full: true,
      tables: [],
      key: null,
    });
    apply.startEarly();
    const deadline = Date.now() + 20_000;
    while ((fs.statSync(`${live}-wal`, { throwIfNoEntry: false })?.size ?? 0) < 64 * 1024) {
      assert.ok(Date.now() < deadline, 'the early copy did not start');
      await new Promise((r) => setTimeout(r, 10));
    }
    await apply.cancel();
    const app = new Database(live);
    app.pragma('busy_timeout = 0');
    app.exec('CREATE TABLE written_after (x)');
    app.exec('DROP TABLE written_after');
    app.close();
    assert.equal(state(live).fingerprint, oldState);
  });

  it('does not start early in rollback-journal mode, where the copy would write the file', async () => {
    removeDb(live);
    fs.copyFileSync(pristine, live);
    const setup = new Database(live);
    setup.pragma('journal_mode = DELETE');
    setup.close();
    const hold = new Database(live);
    hold.exec('BEGIN');
    hold.prepare('SELECT count(*) FROM sqlite_master').get();
    const apply = prepareDatabaseApply(live, staged, { full: true, tables: [], key: null });
    apply.startEarly();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(fs.existsSync(`${live}-journal`), false, 'no copy under way');
    hold.exec('COMMIT');
    hold.close();
    await apply.apply();
    assert.equal(state(live).fingerprint, newState);
  });

  it('gives up when the live database stays locked, having changed nothing', async () => {
    removeDb(live);
    fs.copyFileSync(pristine, live);
    const app = new Database(live);
    app.exec('BEGIN IMMEDIATE');
    const started = Date.now();
    try {
      await assert.rejects(
        copyPages(live, staged, { busyMs: 300 }),
        (err: { code?: string }) => err.code === 'RESTORE_CONFLICT',
      );
    } finally {
      app.exec('ROLLBACK');
      app.close();
    }
    assert.ok(Date.now() - started >= 300, 'the copy waited busyMs');
    assert.equal(state(live).fingerprint, oldState);
  });

  it(
    'killed at 50 random points of the copy, leaves the old database or the new one',
    { timeout: 300_000 },
    async (t) => {
      // One whole copy first: how long a copy takes on this machine.
      removeDb(live);
      fs.copyFileSync(pristine, live);
      const whole = await copy(live, staged, null);
      assert.equal(whole.killed, false, whole.stderr);
      assert.ok(whole.copyMs !== null, whole.stderr);
      assert.equal(state(live).fingerprint, newState);
      const span = Math.max(whole.copyMs, 20) * 1.1;
      const ended = { old: 0, new: 0 };
      const problems: string[] = [];
      for (let round = 0; round < 50; round++) {
        removeDb(live);
        fs.copyFileSync(pristine, live);
        const at = Math.round(Math.random() * span);
        const r = await copy(live, staged, at);
        const after = state(live);
        const which =
          after.fingerprint === oldState ? 'old' : after.fingerprint === newState ? 'new' : 'MIX';
        if (which === 'MIX')
          problems.push(`killed at ${at} ms: neither the old nor the new database`);
        else ended[which]++;
        if (after.integrity !== 'ok')
          problems.push(`killed at ${at} ms: ${String(after.integrity)}`);
        if (!r.killed && r.copyMs === null) problems.push(`round ${round} failed: ${r.stderr}`);
      }
      t.diagnostic(
        `copy of ${fs.statSync(staged).size} bytes in ${whole.copyMs} ms; ended old ${ended.old}, new ${ended.new}`,
      );
      assert.deepEqual(problems, []);
      assert.ok(ended.old >= 5, 'kills landed before the commit');
      assert.ok(ended.new >= 1, 'kills landed after the commit');
    },
  );
});
