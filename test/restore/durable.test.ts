// What a restore renames into place is on the disk before its database
// commits: a power cut right after the commit must not leave the restored
// files empty (the journal then rolls the restore forward, and the old files
// are gone once it finishes). A real restore runs under strace, which records
// every fdatasync, fsync and rename with its path: every staged file is
// synced, and the folders that received renames are synced, before the
// staged files folder takes the live one's place and before the database
// commits.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { BackupCenter } from '../../src/center.js';
import { CLI, removeDir, tempDir } from '../helpers.js';

const traced = spawnSync('strace', ['-f', '-o', '/dev/null', 'true']).status === 0;

/** Runs `coffre restore ID --yes` under strace; the lines it recorded. */
function traceRestore(dir: string, id: string, home: string, extra: string[]): string[] {
  const log = path.join(dir, `strace-${Date.now()}.log`);
  const r = spawnSync(
    'strace',
    [
      ...['-f', '-qq', '-y', '-e', 'trace=fdatasync,fsync,rename,pwrite64', '-o', log],
      ...[process.execPath, CLI, 'restore', id, '--home', home, '--yes', '--json', ...extra],
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return fs.readFileSync(log, 'utf8').split('\n');
}

/** The file a sync call was made on, as strace -y shows it (a call may span two lines). */
const synced = (line: string) => /\b(fdatasync|fsync)\(\d+<([^>]+)>/.exec(line)?.[2] ?? null;

describe('a restore makes what it renames into place durable first', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  let id: string;
  let images: string;
  let dbFile: string;

  before(async () => {
    await BackupCenter.createDemo(home, { profile: 'pos', images: 6, receipts: 50 });
    const center = await BackupCenter.open(home);
    try {
      id = (await center.backup()).id;
      images = center.configuration.source.files!;
      dbFile = center.configuration.source.database;
    } finally {
      center.close();
    }
    // Changed since: the restore has something to put back.
    for (const f of fs.readdirSync(images, { recursive: true }) as string[]) {
      const abs = path.join(images, f);
      if (fs.statSync(abs).isFile()) fs.writeFileSync(abs, 'changed since the backup');
    }
    const db = new Database(dbFile);
    db.exec('DELETE FROM payments');
    db.close();
  });
  after(() => removeDir(dir));

  it(
    'syncs every staged file and the renamed folders before the swap and the commit',
    {
      skip: traced ? false : 'strace cannot trace here (no ptrace permission)',
    },
    () => {
      const lines = traceRestore(dir, id, home, []);
      // None may fail.
      assert.deepEqual(
        lines.filter((l) => /(fdatasync|fsync).* = -1 /.test(l)),
        [],
      );
      // The rename that puts the staged folder in the live one's place.
      const swap = lines.findIndex((l) =>
        new RegExp(`rename\\("[^"]*\\.coffre-restore-[^"]*", "${images}"\\) = 0`).test(l),
      );
      assert.ok(swap > 0, 'the staged files folder was renamed into place');
      // The database commit: the sync of its WAL (or, in rollback mode, of the file).
      const commit = lines.findIndex(
        (l, i) => i > swap && /fsync|fdatasync/.test(l) && l.includes(path.basename(dbFile)),
      );
      assert.ok(commit > swap, 'the database committed after the swap');
      const before = lines
        .slice(0, swap)
        .map(synced)
        .filter((p): p is string => p !== null);
      const restored = (fs.readdirSync(images, { recursive: true }) as string[]).filter((f) =>
        fs.statSync(path.join(images, f)).isFile(),
      );
      assert.ok(restored.length >= 6);
      for (const f of restored) {
        assert.ok(
          before.some((p) => p.endsWith(`/files/${f}`)),
          `${f} was synced in the staging folder before the swap`,
        );
      }
      // The folder holding the swapped folders, after the swap and before the commit.
      const parent = path.dirname(images);
      assert.ok(
        lines.slice(swap, commit).map(synced).includes(parent),
        'the folder holding the swapped folders was synced after the swap',
      );
      for (const f of restored) {
        assert.notEqual(fs.readFileSync(path.join(images, f), 'utf8'), 'changed since the backup');
      }
    },
  );

  it(
    "syncs a section restore's committed rows before it says so, with another connection open",
    {
      skip: traced ? false : 'strace cannot trace here (no ptrace permission)',
    },
    () => {
      // A section restore copies rows in a transaction, which SQLite does not
      // sync at its commit in WAL mode (the driver's WAL default is
      // synchronous=NORMAL); a connection of an app forced to keep running
      // keeps the close from checkpointing. (A page copy syncs at its end:
      // the backup API does.)
      const other = new Database(dbFile);
      try {
        // Its open read transaction also keeps the commit's checkpoint (which
        // would sync the WAL first) from copying anything.
        other.exec('BEGIN');
        other.prepare('SELECT count(*) FROM receipts').get();
        const lines = traceRestore(dir, id, home, ['--force', '--sections', 'sales']);
        const journal = lines
          .map((l, i) => (/rename\("[^"]*", "[^"]*restore-journal\.json"\) = 0/.test(l) ? i : -1))
          .filter((i) => i >= 0);
        assert.equal(journal.length, 3, 'preparing, swapping, committed');
        // The last write to the WAL (the commit frame), then its sync, before
        // the journal says committed.
        const wal = `${dbFile}-wal`;
        const writes = lines
          .map((l, i) => (l.includes('pwrite64(') && l.includes(`<${wal}>`) ? i : -1))
          .filter((i) => i >= 0 && i < journal[2]);
        assert.ok(writes.length > 0, 'the restore wrote its rows to the WAL');
        const after = lines
          .slice(writes.at(-1)! + 1, journal[2])
          .map(synced)
          .filter((p): p is string => p !== null);
        assert.ok(
          after.includes(wal),
          `the WAL was synced after its last write, before the commit was recorded: ${after.join(', ')}`,
        );
      } finally {
        other.close();
      }
    },
  );
});
