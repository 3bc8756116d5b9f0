// The FEC of the accounting demo: written from its ledger, it passes the
// validator; each broken variant of it fails with the right problem.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { ACCOUNTING_FEC_RECIPE } from '../../src/core/fiscal/accounting.js';
import { isCoffreError } from '../../src/core/errors.js';
import {
  checkFec,
  decodeLatin9,
  encodeLatin9,
  FEC_COLUMNS,
  fecFileName,
} from '../../src/core/fiscal/fec.js';
import { checkFecFile, writeFec } from '../../src/fiscal/fec.js';
import { createDemoData } from '../../src/source/demo.js';
import { removeDir, run, tempDir } from '../helpers.js';

let dir: string;
let good: string;
let goodFile: string;

before(async () => {
  dir = tempDir('coffre-fec-');
  const books = await createDemoData({
    dir: path.join(dir, 'books'),
    profile: 'accounting',
    images: 2,
  });
  const db = new Database(books.dbPath, { readonly: true });
  try {
    const result = writeFec(db, ACCOUNTING_FEC_RECIPE, {
      year: '2026',
      siren: '853214796',
      separator: 'pipe',
      encoding: 'utf8',
      dir,
    });
    goodFile = result.file;
    assert.equal(result.ok, true, JSON.stringify(result.problems));
  } finally {
    db.close();
  }
  good = fs.readFileSync(goodFile, 'utf8');
});
after(() => removeDir(dir));

const lines = () => good.split('\r\n');
const edit = (f: (rows: string[][]) => void) => {
  const rows = lines().map((l) => l.split('|'));
  f(rows);
  return rows.map((r) => r.join('|')).join('\r\n');
};
const col = (name: (typeof FEC_COLUMNS)[number]) => FEC_COLUMNS.indexOf(name);

describe('FEC', () => {
  it('is named SIRENFECclosing-date.txt and has the 18 legal columns', () => {
    assert.equal(path.basename(goodFile), '853214796FEC20261231.txt');
    assert.equal(lines()[0], FEC_COLUMNS.join('|'));
    assert.equal(FEC_COLUMNS.length, 18);
    const first = lines()[1].split('|');
    assert.match(first[col('EcritureDate')], /^2026\d{4}$/);
    assert.match(first[col('Debit')], /^\d+,\d{2}$/);
    const result = checkFec(good, { year: '2026' });
    assert.ok(result.entries > 100);
    assert.equal(result.problems.length, 0);
  });

  it('refuses a SIREN that is not nine digits', () => {
    assert.throws(
      () => fecFileName('12345', '2026-12-31'),
      (err: unknown) => isCoffreError(err, 'USAGE'),
    );
  });

  const broken: [string, () => string, string][] = [
    ['a column renamed', () => good.replace('CompteLib', 'CompteLibelle'), 'columns'],
    ['two columns swapped', () => good.replace('Debit|Credit', 'Credit|Debit'), 'columns'],
    ['a line with a field too many', () => edit((r) => r[5].splice(10, 0, 'extra')), 'fields'],
    [
      'a separator left in a label',
      () => edit((r) => (r[3][col('EcritureLib')] = 'Repas | client')),
      'fields',
    ],
    ['a mandatory field empty', () => edit((r) => (r[2][col('CompteLib')] = '')), 'mandatory'],
    [
      'a date that does not exist',
      () => edit((r) => (r[2][col('PieceDate')] = '20260231')),
      'date',
    ],
    [
      'a date written with dashes',
      () => edit((r) => (r[2][col('ValidDate')] = '2026-01-05')),
      'date',
    ],
    [
      'an entry dated outside the year',
      () =>
        edit((r) =>
          r
            .slice(1)
            .forEach(
              (x) =>
                x.length > 1 &&
                x[col('EcritureNum')] === r[1][col('EcritureNum')] &&
                (x[col('EcritureDate')] = '20251231'),
            ),
        ),
      'year',
    ],
    [
      'an amount with a decimal point',
      () => edit((r) => (r[1][col('Debit')] = r[1][col('Debit')].replace(',', '.'))),
      'amount',
    ],
    ['an unbalanced entry', () => edit((r) => (r[1][col('Debit')] = '999999,99')), 'unbalanced'],
    [
      'entries out of date order',
      () => {
        const rows = lines();
        const last = rows.length - 2;
        [rows[1], rows[last]] = [rows[last], rows[1]];
        return rows.join('\r\n');
      },
      'order',
    ],
  ];
  for (const [name, make, code] of broken) {
    it(`fails ${name} (${code})`, () => {
      const result = checkFec(make(), { year: '2026' });
      assert.equal(result.ok, false);
      assert.ok(
        result.problems.some((p) => p.code === code),
        JSON.stringify(result.problems.slice(0, 3)),
      );
    });
  }

  it('writes ISO-8859-15 by default, which iconv reads back', () => {
    const out = path.join(dir, 'latin9');
    fs.mkdirSync(out);
    const books = path.join(dir, 'books', 'books.db');
    const db = new Database(books, { readonly: true });
    let file: string;
    try {
      file = writeFec(db, ACCOUNTING_FEC_RECIPE, {
        year: '2026',
        siren: '853214796',
        separator: 'tab',
        encoding: 'latin9',
        dir: out,
      }).file;
    } finally {
      db.close();
    }
    const bytes = fs.readFileSync(file);
    assert.ok(bytes.includes(Buffer.from([0xe9])), 'é is one byte');
    assert.equal(
      run('iconv', ['-f', 'ISO-8859-15', '-t', 'UTF-8', file]),
      good.replace(/\|/g, '\t'),
    );
    const checked = checkFecFile(file);
    assert.equal(checked.ok, true, JSON.stringify(checked.problems));
  });

  it('encodes the euro sign and the French ligatures as ISO-8859-15 does', () => {
    const text = 'Œuvre 12 € — ok';
    const bytes = encodeLatin9(text);
    assert.deepEqual([...bytes.subarray(0, 1)], [0xbc]);
    assert.equal(bytes[9], 0xa4);
    assert.equal(decodeLatin9(bytes), 'Œuvre 12 € ? ok', 'a character ISO-8859-15 lacks becomes ?');
  });
});
