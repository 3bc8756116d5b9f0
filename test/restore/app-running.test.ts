// Issue 11: a restore knows whether the app is running. Real second
// processes (a node child with the app's SQLite module, the sqlite3 program)
// hold the live database open; the restore is refused with APP_RUNNING
// naming them, goes ahead once they are closed (by hand, by the
// before-restore hook, by a host app's own step), and --force goes ahead
// with a warning.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { BackupCenter } from '../../src/center.js';
import { isCoffreError } from '../../src/core/errors.js';
import { parseProcLocks } from '../../src/core/holders.js';
import { addDemoReceipt } from '../../src/source/demo.js';
import { findDatabaseHolders, sqliteLockBusy } from '../../src/source/holders.js';
import { ROOT, removeDir, tempDir } from '../helpers.js';

const HOLDER = path.join(ROOT, 'dist/test/fixtures/db-holder.js');

interface Holder {
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a process that holds the database open, once it says so. */
async function hold(command: string, args: string[], input?: string): Promise<Holder> {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (input !== undefined) child.stdin.write(input);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`the holder exited (${code}) before it was ready`)),
    );
  });
  return {
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

const holdWithNode = (db: string, mode: 'idle' | 'read' = 'idle') =>
  hold(process.execPath, [HOLDER, db, mode]);

/** The sqlite3 program with the database open, idle at its prompt (stdin kept open). */
const holdWithSqlite3 = (db: string) => hold('sqlite3', [db], "SELECT 'ready';\n");

const receipts = (db: string): number => {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare('SELECT count(*) FROM receipts').pluck().get() as number;
  } finally {
    d.close();
  }
};

function addReceipts(db: string, n: number): void {
  const d = new Database(db);
  d.pragma('busy_timeout = 5000');
  for (let i = 0; i < n; i++) addDemoReceipt(d, new Date(Date.UTC(2026, 10, 22, 9, i)));
  d.close();
}

// The receipts added after the backup leave the fiscal chain: each restore
// here confirms that (the fiscal tests check the refusal without it).
const rewind = { confirmFiscalRewind: () => true };

describe('a restore refuses to run under the app (issue 11)', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const db = path.join(home, 'demo-register', 'register.db');
  let center: BackupCenter;
  let backupId: string;
  before(async () => {
    await BackupCenter.createDemo(home, { profile: 'pos', images: 3, receipts: 20 });
    center = await BackupCenter.open(home);
    backupId = (await center.backup()).id;
  });
  after(() => {
    center.close();
    removeDir(dir);
  });

  it('refuses while another process has a WAL database open, naming it; nothing changes', async () => {
    addReceipts(db, 3);
    const before = receipts(db);
    const backupsBefore = (await center.list()).backups.length;
    const holder = await holdWithNode(db);
    try {
      await assert.rejects(
        center.restore(backupId, rewind),
        (err) =>
          isCoffreError(err, 'APP_RUNNING') &&
          err.message.includes(`process ${holder.child.pid} (`) &&
          err.message.includes('db-holder.js') &&
          (err.details.holders as { pid: number }[])[0].pid === holder.child.pid,
      );
      assert.equal(receipts(db), before);
      // Refused before anything was staged or backed up.
      assert.deepEqual(
        fs.readdirSync(path.dirname(db)).filter((n) => n.startsWith('.coffre-restore-')),
        [],
      );
      assert.equal((await center.list()).backups.length, backupsBefore, 'no safety backup taken');
    } finally {
      await holder.stop();
    }
    // Closed: the restore goes ahead.
    const r = await center.restore(backupId, rewind);
    assert.equal(r.applied, true);
    assert.deepEqual(r.warnings, []);
    assert.equal(receipts(db), before - 3);
  });

  it('refuses while the sqlite3 program has a rollback-journal database open (idle, no lock held)', async () => {
    const mode = (m: string) => {
      const d = new Database(db);
      d.pragma(`journal_mode = ${m}`);
      d.close();
    };
    mode('DELETE');
    const holder = await holdWithSqlite3(db);
    try {
      await assert.rejects(
        center.restore(backupId, rewind),
        (err) =>
          isCoffreError(err, 'APP_RUNNING') &&
          err.message.includes(`process ${holder.child.pid} (sqlite3 `) &&
          (err.details.holders as { seenBy: string[] }[])[0].seenBy.includes('open-file'),
      );
    } finally {
      await holder.stop();
      mode('WAL');
    }
  });

  it('goes ahead when the before-restore hook stops the app; the check runs after the hook', async () => {
    addReceipts(db, 2);
    const holder = await holdWithNode(db);
    const pid = holder.child.pid!;
    const marker = path.join(dir, 'after-hook');
    // Like `systemctl stop`: returns once the app has let go of its files.
    await center['config'].update((c) => ({
      ...c,
      hooks: {
        beforeRestore: `kill ${pid}; for i in $(seq 200); do [ -z "$(ls /proc/${pid}/fd 2>/dev/null)" ] && exit 0; sleep 0.05; done; exit 1`,
        afterRestore: `echo "$COFFRE_RESTORE_RESULT" > '${marker}'`,
      },
    }));
    try {
      const r = await center.restore(backupId, rewind);
      assert.equal(r.applied, true);
      assert.deepEqual(r.warnings, []);
      assert.equal(fs.readFileSync(marker, 'utf8').trim(), 'restored');
    } finally {
      await holder.stop();
      await center['config'].update((c) => ({
        ...c,
        hooks: { beforeRestore: null, afterRestore: null },
      }));
    }
  });

  it('a hook that does not stop the app: refused after it, and the after-restore hook says failed', async () => {
    const holder = await holdWithNode(db);
    const marker = path.join(dir, 'after-hook-2');
    await center['config'].update((c) => ({
      ...c,
      hooks: { beforeRestore: 'true', afterRestore: `echo "$COFFRE_RESTORE_RESULT" > '${marker}'` },
    }));
    try {
      await assert.rejects(
        center.restore(backupId, rewind),
        (err) =>
          isCoffreError(err, 'APP_RUNNING') &&
          err.details.stopped === true &&
          /asked to stop/.test(err.message),
      );
      assert.equal(fs.readFileSync(marker, 'utf8').trim(), 'failed');
    } finally {
      await holder.stop();
      await center['config'].update((c) => ({
        ...c,
        hooks: { beforeRestore: null, afterRestore: null },
      }));
    }
  });

  it('force: true goes ahead with an APP_STILL_RUNNING warning naming the process', async () => {
    addReceipts(db, 2);
    const holder = await holdWithNode(db);
    try {
      const r = await center.restore(backupId, { ...rewind, force: true });
      assert.equal(r.applied, true);
      assert.equal(r.warnings.length, 1);
      assert.equal(r.warnings[0].code, 'APP_STILL_RUNNING');
      assert.match(r.warnings[0].message, new RegExp(`process ${holder.child.pid} \\(`));
      assert.equal((r.warnings[0].data.holders as { pid: number }[])[0].pid, holder.child.pid);
    } finally {
      await holder.stop();
    }
  });

  it("a host app's own connection in this process counts; its beforeRestore step closes it", async () => {
    addReceipts(db, 1);
    let host: Database.Database | null = new Database(db);
    host.prepare('SELECT count(*) FROM receipts').get();
    try {
      await assert.rejects(
        center.restore(backupId, rewind),
        (err) =>
          isCoffreError(err, 'APP_RUNNING') &&
          (err.details.holders as { self: boolean }[])[0].self === true &&
          /this process/.test(err.message),
      );
      const seen: string[] = [];
      const r = await center.restore(backupId, {
        ...rewind,
        beforeRestore: () => {
          host!.close();
          host = null;
          seen.push('before');
        },
        afterRestore: (result) => {
          seen.push(result);
          host = new Database(db);
        },
      });
      assert.equal(r.applied, true);
      assert.deepEqual(seen, ['before', 'restored']);
    } finally {
      host?.close();
    }
  });

  it('undo is checked too', async () => {
    const holder = await holdWithNode(db);
    try {
      await assert.rejects(center.undoLastRestore(), (err) => isCoffreError(err, 'APP_RUNNING'));
    } finally {
      await holder.stop();
    }
    assert.equal((await center.undoLastRestore()).applied, true);
  });
});

describe('finding who holds a database', () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  function makeDb(name: string, mode: 'wal' | 'delete'): string {
    const file = path.join(dir, name);
    const d = new Database(file);
    d.pragma(`journal_mode = ${mode}`);
    d.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
    d.close();
    return file;
  }

  it('the SQLite lock probe sees another connection to a WAL database, and none once it closed', async () => {
    const file = makeDb('wal.db', 'wal');
    assert.equal(await sqliteLockBusy(file, null), false);
    const holder = await holdWithNode(file);
    try {
      assert.equal(await sqliteLockBusy(file, null), true);
      // The kernel's lock list names it too, whoever owns it.
      const { holders } = await findDatabaseHolders(file, null);
      assert.equal(holders.length, 1);
      assert.deepEqual(holders[0].seenBy.sort(), ['file-lock', 'open-file']);
      assert.ok(holders[0].files.includes('wal.db-shm'));
    } finally {
      await holder.stop();
    }
    assert.equal(await sqliteLockBusy(file, null), false);
    assert.deepEqual((await findDatabaseHolders(file, null)).holders, []);
  });

  it('in rollback-journal mode, the probe sees a transaction; an idle connection shows only as an open file', async () => {
    const file = makeDb('rollback.db', 'delete');
    const idle = await holdWithNode(file, 'idle');
    try {
      assert.equal(await sqliteLockBusy(file, null), false);
      const { holders } = await findDatabaseHolders(file, null);
      assert.deepEqual(
        holders.map((h) => [h.pid, h.seenBy]),
        [[idle.child.pid, ['open-file']]],
      );
    } finally {
      await idle.stop();
    }
    const reading = await holdWithNode(file, 'read');
    try {
      assert.equal(await sqliteLockBusy(file, null), true);
    } finally {
      await reading.stop();
    }
  });

  it('parses /proc/locks, skipping locks without an owner', () => {
    const text = [
      '1: POSIX  ADVISORY  READ 10535 fe:00:5662987 128 128',
      '2: OFDLCK ADVISORY  READ -1 fe:00:77 0 EOF',
      '3: POSIX  ADVISORY  WRITE 11861 08:01:2148083 1073741825 1073741825',
      'garbage',
    ].join('\n');
    assert.deepEqual(parseProcLocks(text), [
      { pid: 10535, major: 254, minor: 0, inode: 5662987 },
      { pid: 11861, major: 8, minor: 1, inode: 2148083 },
    ]);
  });
});
