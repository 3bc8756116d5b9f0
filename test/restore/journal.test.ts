// The restore journal's states, on real files and real SQLite databases: a
// journal left by a crash is rolled back or forward as its state says.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import {
  finishRestore,
  readJournal,
  recoverRestore,
  rollBackRestore,
  swapIn,
  writeJournal,
  type RestoreJournal,
} from '../../src/restore/journal.js';
import { removeDir, tempDir } from '../helpers.js';

let dir: string;
let file: string;

function makeDb(p: string, amounts: number[]): void {
  const db = new Database(p);
  db.exec('CREATE TABLE sales (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL)');
  const add = db.prepare('INSERT INTO sales (amount) VALUES (?)');
  for (const a of amounts) add.run(a);
  db.close();
}

function amounts(p: string): number[] {
  const db = new Database(p, { readonly: true });
  try {
    return db.prepare('SELECT amount FROM sales ORDER BY id').pluck().all() as number[];
  } finally {
    db.close();
  }
}

/** A live files folder, a staged one and the journal of a restore in `state`. */
function scene(state: RestoreJournal['state']): RestoreJournal {
  const live = path.join(dir, 'images');
  const staged = path.join(dir, '.coffre-restore-x', 'images');
  fs.mkdirSync(live);
  fs.writeFileSync(path.join(live, 'now.png'), 'now');
  fs.mkdirSync(staged, { recursive: true });
  fs.writeFileSync(path.join(staged, 'backup.png'), 'backup');
  makeDb(path.join(dir, 'live.db'), [1, 2, 3]);
  makeDb(path.join(dir, '.coffre-restore-x', 'staged.db'), [1, 2]);
  return {
    version: 1,
    backupId: 'shop_20261120-180000-000_c0ffee12',
    startedAt: '2026-11-21T09:00:00.000Z',
    safetyBackupId: null,
    scratch: [path.join(dir, '.coffre-restore-x')],
    database: {
      live: path.join(dir, 'live.db'),
      staged: path.join(dir, '.coffre-restore-x', 'staged.db'),
      tables: ['sales'],
      full: true,
    },
    files: { live, staged, old: path.join(dir, '.coffre-old-images') },
    settings: null,
    state,
  };
}

const liveFiles = () => fs.readdirSync(path.join(dir, 'images'));

beforeEach(() => {
  dir = tempDir('coffre-journal-');
  file = path.join(dir, 'restore-journal.json');
});
afterEach(() => removeDir(dir));

describe('restore journal', () => {
  it('finds nothing to do without a journal', async () => {
    assert.equal(readJournal(file), null);
    assert.equal(await recoverRestore(file, null), null);
  });

  it('round-trips through its file, readable by its owner only', async () => {
    const journal = scene('preparing');
    await writeJournal(file, journal);
    assert.deepEqual(readJournal(file), journal);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  });

  it('preparing: rolls back, the live data untouched, the scratch removed', async () => {
    const journal = scene('preparing');
    await writeJournal(file, journal);
    const result = await recoverRestore(file, null);
    assert.equal(result?.outcome, 'rolled-back');
    assert.deepEqual(liveFiles(), ['now.png']);
    assert.deepEqual(amounts(journal.database!.live), [1, 2, 3]);
    assert.equal(fs.existsSync(journal.scratch[0]), false);
    assert.equal(fs.existsSync(file), false);
  });

  it('swapping, the database not committed: swaps the folders back', async () => {
    const journal = scene('swapping');
    await swapIn(journal.files!);
    assert.deepEqual(liveFiles(), ['backup.png']);
    await writeJournal(file, journal);
    const result = await recoverRestore(file, null);
    assert.equal(result?.outcome, 'rolled-back');
    assert.deepEqual(liveFiles(), ['now.png']);
    assert.equal(fs.existsSync(journal.files!.old), false);
  });

  it('swapping, the live tables hold the staged data: rolls forward', async () => {
    const journal = scene('swapping');
    fs.copyFileSync(journal.database!.staged, journal.database!.live);
    await writeJournal(file, journal);
    let adopted: RestoreJournal | null = null;
    const result = await recoverRestore(file, null, (j) => {
      adopted = j;
      return Promise.resolve();
    });
    assert.equal(result?.outcome, 'rolled-forward');
    assert.deepEqual(liveFiles(), ['backup.png'], 'the folder swap is finished');
    assert.equal(adopted!.backupId, journal.backupId);
    assert.equal(fs.existsSync(journal.files!.old), false);
    assert.equal(fs.existsSync(file), false);
  });

  it('swapping, the staged copy gone: rolls back rather than guess', async () => {
    const journal = scene('swapping');
    fs.copyFileSync(journal.database!.staged, journal.database!.live);
    fs.rmSync(journal.database!.staged);
    await writeJournal(file, journal);
    assert.equal((await recoverRestore(file, null))?.outcome, 'rolled-back');
  });

  it('committed: rolls forward whatever the database says', async () => {
    const journal = scene('committed');
    await writeJournal(file, journal);
    assert.equal((await recoverRestore(file, null))?.outcome, 'rolled-forward');
    assert.deepEqual(liveFiles(), ['backup.png']);
  });

  it('a swap and a roll-back are safe to repeat', async () => {
    const journal = scene('swapping');
    await swapIn(journal.files!);
    await swapIn(journal.files!);
    assert.deepEqual(liveFiles(), ['backup.png']);
    await writeJournal(file, journal);
    await rollBackRestore(file, journal);
    await rollBackRestore(file, journal);
    assert.deepEqual(liveFiles(), ['now.png']);
  });

  it('finishRestore removes the journal and what the restore no longer needs', async () => {
    const journal = scene('swapping');
    await swapIn(journal.files!);
    await writeJournal(file, journal);
    await finishRestore(file, journal);
    assert.equal(fs.existsSync(file), false);
    assert.equal(fs.existsSync(journal.files!.old), false);
    assert.equal(fs.existsSync(journal.scratch[0]), false);
    assert.deepEqual(liveFiles(), ['backup.png']);
  });
});
