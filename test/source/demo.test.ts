// The demo data is what every other test and the benchmarks back up, so it
// must be real: valid PNG files, a consistent SQLite database that the stock
// sqlite3 tool opens, a receipt chain that detects tampering, and the same
// bytes for the same seed.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { crc32, inflateSync } from 'node:zlib';
import Database from 'better-sqlite3-multiple-ciphers';
import { isCoffreError } from '../../src/core/errors.js';
import { PROFILES, getProfile } from '../../src/core/builtin-profiles.js';
import {
  addDemoReceipt,
  createDemoData,
  verifyReceiptChain,
  type DemoData,
} from '../../src/source/demo.js';
import { generateImage } from '../../src/source/images.js';

const HAS_SQLITE3_CLI = (() => {
  try {
    execFileSync('sqlite3', ['-version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();

let root: string;
let pos: DemoData;
let posTwin: DemoData;
let books: DemoData;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'coffre-demo-'));
  pos = await createDemoData({ dir: join(root, 'pos'), profile: 'pos', seed: 42 });
  posTwin = await createDemoData({ dir: join(root, 'pos-twin'), profile: 'pos', seed: 42 });
  books = await createDemoData({ dir: join(root, 'books'), profile: 'accounting' });
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Relative paths of every file under dir, sorted. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** Parses a PNG fully; throws on any structural or checksum error. */
function checkPng(data: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.ok(data.subarray(0, 8).equals(signature), 'PNG signature');
  let at = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  const types: string[] = [];
  while (at < data.length) {
    const length = data.readUInt32BE(at);
    const type = data.toString('latin1', at + 4, at + 8);
    const body = data.subarray(at + 8, at + 8 + length);
    const crc = data.readUInt32BE(at + 8 + length);
    assert.equal(crc32(data.subarray(at + 4, at + 8 + length)), crc, `CRC of ${type}`);
    types.push(type);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      assert.equal(body[8], 8, 'bit depth');
      channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[body[9]] ?? 0;
      assert.ok(channels > 0, 'colour type');
    } else if (type === 'IDAT') {
      idat.push(body);
    }
    at += 12 + length;
  }
  assert.equal(at, data.length, 'no trailing bytes');
  assert.equal(types[0], 'IHDR');
  assert.equal(types.at(-1), 'IEND');
  assert.ok(width > 0 && height > 0);
  const raw = inflateSync(Buffer.concat(idat));
  assert.equal(raw.length, width * height * channels + height, 'inflated size');
  return { width, height };
}

function withDb<T>(file: string, fn: (db: Database.Database) => T): T {
  const db = new Database(file);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function tablesOf(db: Database.Database): string[] {
  return db
    .prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .pluck()
    .all() as string[];
}

describe('pos demo', () => {
  test('has 255 receipts and 244 product images by default', async () => {
    assert.equal(pos.counts.receipts, 255);
    assert.equal(pos.counts.files, 244);
    assert.equal(pos.counts.products, 244);
    const files = await listFiles(pos.filesDir);
    assert.equal(files.length, 244);
    assert.ok(
      files.some((f) => f.includes('/')),
      'images are spread over sub-folders',
    );
    const images = withDb(
      pos.dbPath,
      (db) =>
        db
          .prepare('SELECT image FROM products WHERE image IS NOT NULL ORDER BY image')
          .pluck()
          .all() as string[],
    );
    assert.deepEqual(images, files, 'products reference exactly the image files');
  });

  test('every image is a valid PNG', async () => {
    for (const file of await listFiles(pos.filesDir)) {
      assert.ok(file.endsWith('.png'));
      const data = await readFile(join(pos.filesDir, file));
      assert.ok(data.length >= 3_000 && data.length <= 50_000, `${file}: ${data.length} bytes`);
      checkPng(data);
    }
  });

  test('database is in WAL mode, consistent and has its settings file', async () => {
    withDb(pos.dbPath, (db) => {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.deepEqual(db.pragma('foreign_key_check'), []);
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      const fks = db.prepare("SELECT count(*) FROM pragma_foreign_key_list('receipt_lines')");
      assert.ok((fks.pluck().get() as number) >= 2, 'foreign keys are declared');
    });
    const settings = JSON.parse(await readFile(pos.settingsPath, 'utf8')) as { app: string };
    assert.equal(settings.app, 'demo-pos');
  });

  test('the receipt chain verifies and totals add up', () => {
    withDb(pos.dbPath, (db) => {
      assert.deepEqual(verifyReceiptChain(db), { ok: true, count: 255 });
      const mismatched = db
        .prepare(
          `SELECT count(*) FROM receipts r
           WHERE total_cents <> (SELECT sum(total_cents) FROM receipt_lines WHERE receipt_id = r.id)
              OR total_cents <> (SELECT sum(amount_cents) FROM payments WHERE receipt_id = r.id)`,
        )
        .pluck()
        .get();
      assert.equal(mismatched, 0);
      const first = db.prepare('SELECT previous_hash FROM receipts ORDER BY id LIMIT 1').pluck();
      assert.equal(first.get(), '0'.repeat(64));
    });
  });

  test('tampering with a receipt is detected at that receipt', async () => {
    const copy = join(root, 'tampered.db');
    await copyFile(pos.dbPath, copy);
    withDb(copy, (db) => {
      db.prepare('UPDATE receipts SET total_cents = total_cents + 100 WHERE id = 120').run();
      assert.deepEqual(verifyReceiptChain(db), { ok: false, count: 255, firstBrokenId: 120 });
    });
    await copyFile(pos.dbPath, copy);
    withDb(copy, (db) => {
      db.prepare('UPDATE receipt_lines SET quantity = quantity + 1 WHERE receipt_id = 7').run();
      assert.equal(verifyReceiptChain(db).firstBrokenId, 7);
    });
    await copyFile(pos.dbPath, copy);
    withDb(copy, (db) => {
      db.pragma('foreign_keys = OFF');
      db.prepare('DELETE FROM receipts WHERE id = 200').run();
      assert.equal(verifyReceiptChain(db).firstBrokenId, 201, 'a deletion breaks the next link');
    });
  });

  test('addDemoReceipt appends correctly chained receipts', async () => {
    const copy = join(root, 'appended.db');
    await copyFile(pos.dbPath, copy);
    withDb(copy, (db) => {
      db.pragma('foreign_keys = ON');
      const ids = [0, 1, 2].map((k) => addDemoReceipt(db, new Date(Date.UTC(2026, 10, 20, 9, k))));
      assert.deepEqual(ids, [256, 257, 258]);
      assert.deepEqual(verifyReceiptChain(db), { ok: true, count: 258 });
      assert.deepEqual(db.pragma('foreign_key_check'), []);
      const last = db.prepare('SELECT number, created_at FROM receipts WHERE id = 258').get();
      assert.deepEqual(last, { number: 258, created_at: '2026-11-20T09:02:00Z' });
    });
  });

  test('the stock sqlite3 tool opens the database', { skip: !HAS_SQLITE3_CLI }, () => {
    const out = execFileSync('sqlite3', [pos.dbPath, 'select count(*) from receipts'], {
      encoding: 'utf8',
    });
    assert.equal(out.trim(), '255');
  });

  test('the same seed gives the same images and the same .dump', async () => {
    const files = await listFiles(pos.filesDir);
    assert.deepEqual(await listFiles(posTwin.filesDir), files);
    for (const file of files) {
      const [a, b] = await Promise.all([
        readFile(join(pos.filesDir, file)),
        readFile(join(posTwin.filesDir, file)),
      ]);
      assert.ok(a.equals(b), `${file} differs`);
    }
    assert.equal(
      await readFile(posTwin.settingsPath, 'utf8'),
      await readFile(pos.settingsPath, 'utf8'),
    );
    const dump = (file: string): string =>
      HAS_SQLITE3_CLI
        ? execFileSync('sqlite3', [file, '.dump'], { encoding: 'utf8', maxBuffer: 1 << 28 })
        : withDb(file, (db) =>
            JSON.stringify(tablesOf(db).map((t) => db.prepare(`SELECT * FROM "${t}"`).raw().all())),
          );
    const [a, b] = [dump(pos.dbPath), dump(posTwin.dbPath)];
    assert.ok(a.includes('INSERT INTO receipts') || !HAS_SQLITE3_CLI);
    assert.equal(
      createHash('sha256').update(a).digest('hex'),
      createHash('sha256').update(b).digest('hex'),
    );
  });

  test('another seed gives other data', async () => {
    const other = await createDemoData({
      dir: join(root, 'pos-other'),
      profile: 'pos',
      seed: 43,
      receipts: 5,
      images: 3,
    });
    assert.equal(other.counts.receipts, 5);
    assert.equal(other.counts.files, 3);
    const [file] = await listFiles(other.filesDir);
    assert.ok(file !== undefined);
    const [a, b] = await Promise.all([
      readFile(join(other.filesDir, file)),
      readFile(join(pos.filesDir, file)),
    ]);
    assert.ok(!a.equals(b));
  });
});

describe('accounting demo', () => {
  test('is consistent and its ledger balances', () => {
    assert.equal(books.counts.invoices, 120);
    assert.equal(books.counts.files, 60);
    withDb(books.dbPath, (db) => {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.deepEqual(db.pragma('foreign_key_check'), []);
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      const totals = db
        .prepare(
          'SELECT sum(debit_cents) AS debit, sum(credit_cents) AS credit FROM ledger_entries',
        )
        .get() as { debit: number; credit: number };
      assert.ok(totals.debit > 0);
      assert.equal(totals.debit, totals.credit);
      const unbalanced = db
        .prepare(
          `SELECT entry_no FROM ledger_entries GROUP BY entry_no
           HAVING sum(debit_cents) <> sum(credit_cents)`,
        )
        .all();
      assert.deepEqual(unbalanced, [], 'every entry balances on its own');
      const receivable = db
        .prepare(
          `SELECT (SELECT coalesce(sum(debit_cents - credit_cents), 0) FROM ledger_entries WHERE account = '411')
                - (SELECT coalesce(sum(total_ttc_cents), 0) FROM invoices WHERE status <> 'paid')`,
        )
        .pluck()
        .get();
      assert.equal(receivable, 0, 'customer account = unpaid invoices');
    });
  });

  test('attachments are valid PNGs whose size and digest the database records', async () => {
    const files = await listFiles(books.filesDir);
    assert.equal(files.length, 60);
    const rows = withDb(
      books.dbPath,
      (db) =>
        db.prepare('SELECT path, size_bytes, sha256 FROM attachments ORDER BY path').all() as {
          path: string;
          size_bytes: number;
          sha256: string;
        }[],
    );
    assert.deepEqual(
      rows.map((r) => r.path),
      files,
    );
    for (const row of rows) {
      const data = await readFile(join(books.filesDir, row.path));
      checkPng(data);
      assert.equal(data.length, row.size_bytes);
      assert.equal(createHash('sha256').update(data).digest('hex'), row.sha256);
    }
  });
});

describe('profiles', () => {
  test('name exactly the tables of the demo schemas', () => {
    for (const [profile, data] of [
      ['pos', pos],
      ['accounting', books],
    ] as const) {
      const named = PROFILES[profile].sections.flatMap((s) => (s.tables === '*' ? [] : s.tables));
      const actual = withDb(data.dbPath, tablesOf);
      for (const t of named) assert.ok(actual.includes(t), `${profile}: ${t} missing from schema`);
      for (const t of actual) assert.ok(named.includes(t), `${profile}: ${t} in no section`);
      assert.equal(new Set(named).size, named.length, `${profile}: a table in two sections`);
      const sections = PROFILES[profile].sections;
      assert.equal(sections.filter((s) => s.files === true).length, 1);
      assert.equal(sections.filter((s) => s.settings === true).length, 1);
      const headline = PROFILES[profile].headline;
      assert.ok(headline !== undefined && actual.includes(headline.table));
    }
    const generic = getProfile('generic');
    assert.deepEqual(
      generic.sections.map((s) => s.tables),
      ['*'],
    );
  });

  test('an unknown profile is a usage error naming the valid ones', () => {
    for (const name of ['shop', 'constructor', '']) {
      assert.throws(
        () => getProfile(name),
        (err: unknown) =>
          isCoffreError(err, 'USAGE') && /pos, accounting, generic, actual/.test(err.message),
      );
    }
    assert.equal(getProfile('accounting').filesLabel, 'attachments');
  });
});

describe('createDemoData', () => {
  test('refuses a folder that already holds data', async () => {
    const dir = join(root, 'busy');
    await mkdir(dir);
    await writeFile(join(dir, 'notes.txt'), 'keep me');
    await assert.rejects(createDemoData({ dir, profile: 'pos' }), (err: unknown) =>
      isCoffreError(err, 'USAGE'),
    );
    assert.deepEqual(await readdir(dir), ['notes.txt']);
    await assert.rejects(
      createDemoData({ dir: join(root, 'pos'), profile: 'pos' }),
      (err: unknown) => isCoffreError(err, 'USAGE'),
    );
  });
});

describe('generateImage', () => {
  test('lands within 25 % of the target size, from 5 KiB to 400 KiB', () => {
    for (const kind of ['product', 'receipt'] as const) {
      for (const target of [5 * 1024, 20_000, 120_000, 400 * 1024]) {
        for (const seed of [1, 2, 3]) {
          const image = generateImage({ targetBytes: target, seed, kind });
          const ratio = image.png.length / target;
          assert.ok(ratio > 0.75 && ratio < 1.25, `${kind} ${target}: ${image.png.length} bytes`);
          assert.deepEqual(checkPng(image.png), { width: image.width, height: image.height });
        }
      }
    }
  });
});
