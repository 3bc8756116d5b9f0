// The integrity check of a staged database, shared by two workers: quick_check
// of the whole file and integrity_check of each table. Each kind of damage
// that only one of the parts can see is found, as integrity_check whole finds
// it: an index entry that no longer matches its row (only a table's part sees
// it), and pages that no b-tree and no freelist holds (only quick_check's
// page accounting sees them).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { checkParts, checkStaged } from '../../src/restore/pages.js';
import { removeDir, tempDir } from '../helpers.js';

/** A database of a large table with two indexes and a small one with one; rollback journal. */
function makeDatabase(file: string): void {
  const db = new Database(file);
  db.exec(`
    CREATE TABLE lines (id INTEGER PRIMARY KEY, receipt INTEGER, product TEXT);
    CREATE INDEX lines_receipt ON lines(receipt);
    CREATE INDEX lines_product ON lines(product);
    CREATE TABLE small (a INTEGER, b INTEGER);
    CREATE INDEX small_a ON small(a);
    CREATE TABLE scratch (blob BLOB);
  `);
  const line = db.prepare('INSERT INTO lines (receipt, product) VALUES (?, ?)');
  const small = db.prepare('INSERT INTO small VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < 20_000; i++) line.run(i >> 2, `p${i % 97}`);
    for (let i = 0; i < 200; i++) small.run(0x55aa0000 + i, i);
    for (let i = 0; i < 50; i++)
      db.prepare('INSERT INTO scratch VALUES (?)').run(Buffer.alloc(8000));
  })();
  db.close();
}

/**
 * The file's bytes with one entry of index small_a no longer matching its
 * row (only integrity_check of `small` sees it), and its page size.
 */
function withDamagedIndex(file: string): { bytes: Buffer; pageSize: number } {
  const db = new Database(file, { readonly: true });
  const root = db
    .prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'small_a'")
    .pluck()
    .get() as number;
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const bytes = fs.readFileSync(file);
  const page = bytes.subarray((root - 1) * pageSize, root * pageSize);
  const at = page.indexOf(Buffer.from([0x55, 0xaa, 0x00, 0x05]));
  assert.ok(at >= 0, 'the index entry was found');
  page[at + 3] = 0xf5;
  return { bytes, pageSize };
}

function wholeCheck(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('PRAGMA integrity_check').pluck().all() as string[]).join('; ');
  } finally {
    db.close();
  }
}

describe('the integrity check shared by workers', () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  it('puts the largest table first and quick_check second, and passes a sound database', async () => {
    const file = path.join(dir, 'sound.db');
    makeDatabase(file);
    const db = new Database(file, { readonly: true });
    try {
      const parts = checkParts(db);
      assert.deepEqual(parts.slice(0, 2), ['lines', null]);
      assert.deepEqual([...parts.slice(2)].sort(), ['scratch', 'small', 'sqlite_schema']);
    } finally {
      db.close();
    }
    for (const workers of [1, 2, 3]) {
      assert.deepEqual(await checkStaged(file, null, false, workers).result, { integrity: 'ok' });
    }
  });

  it('finds an index entry that no longer matches its row, in a table that is not the largest', async () => {
    const file = path.join(dir, 'index.db');
    makeDatabase(file);
    fs.writeFileSync(file, withDamagedIndex(file).bytes);
    assert.match(wholeCheck(file), /small_a/);
    // quick_check alone does not see it: the table's part must.
    const quick = new Database(file, { readonly: true });
    assert.equal(quick.pragma('quick_check', { simple: true }), 'ok');
    quick.close();
    const { integrity } = await checkStaged(file, null, false, 2).result;
    assert.match(integrity, /small_a/);
  });

  it('checks a table whose schema row spells its type otherwise, as SQLite reads it', async () => {
    const file = path.join(dir, 'spelling.db');
    makeDatabase(file);
    const { bytes, pageSize } = withDamagedIndex(file);
    // The schema row of `small` on page 1: its type becomes 'Table'.
    const row = bytes.subarray(0, pageSize).indexOf(Buffer.from('tablesmallsmall'));
    assert.ok(row >= 0, 'the schema row was found');
    bytes[row] = 'T'.charCodeAt(0);
    fs.writeFileSync(file, bytes);
    assert.match(wholeCheck(file), /small_a/);
    const { integrity } = await checkStaged(file, null, false, 2).result;
    assert.match(integrity, /small_a/);
  });

  it('finds pages that nothing holds, which no table part sees', async () => {
    const file = path.join(dir, 'orphans.db');
    makeDatabase(file);
    const db = new Database(file);
    db.exec('DELETE FROM scratch');
    const free = db.pragma('freelist_count', { simple: true }) as number;
    db.close();
    assert.ok(free > 10, 'the deleted rows left free pages');
    // Forget the freelist (header bytes 32-39: first trunk page, count).
    const bytes = fs.readFileSync(file);
    bytes.fill(0, 32, 40);
    fs.writeFileSync(file, bytes);
    assert.match(wholeCheck(file), /never used/);
    const partial = new Database(file, { readonly: true });
    for (const table of ['lines', 'small', 'scratch']) {
      assert.equal(
        (partial.prepare(`PRAGMA integrity_check(${table})`).pluck().all() as string[]).join(),
        'ok',
      );
    }
    partial.close();
    const { integrity } = await checkStaged(file, null, false, 2).result;
    assert.match(integrity, /never used/);
  });

  it('reports pages that are not b-tree pages as damage', async () => {
    const file = path.join(dir, 'garbage.db');
    makeDatabase(file);
    const bytes = fs.readFileSync(file);
    bytes.fill(7, 4096, 4096 * 40);
    fs.writeFileSync(file, bytes);
    assert.notEqual(wholeCheck(file), 'ok');
    const { integrity } = await checkStaged(file, null, false, 2).result;
    assert.notEqual(integrity, 'ok');
  });
});
