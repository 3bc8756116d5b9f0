import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  backupId,
  formatSums,
  isBackupId,
  parseArchiveName,
  parseSums,
  slugify,
  checkHeader,
} from '../../src/core/manifest.js';
import { summarizeSections, OTHER_SECTION } from '../../src/core/sections.js';
import { PROFILES } from '../../src/core/builtin-profiles.js';
import { isCoffreError } from '../../src/core/errors.js';

describe('manifest', () => {
  it('makes sortable, file-system safe backup ids', () => {
    const id = backupId(
      'Boulangerie Martin — Caisse 1',
      'c0ffee12-3456-7890-abcd-ef0123456789',
      new Date('2026-11-22T14:05:09.042Z'),
    );
    assert.equal(id, 'boulangerie-martin-caisse-1_20261122-140509-042_c0ffee12');
    assert.ok(isBackupId(id));
    const later = backupId(
      'Boulangerie Martin — Caisse 1',
      'c0ffee12',
      new Date('2026-11-22T14:05:09.043Z'),
    );
    assert.ok(later > id);
  });

  for (const [name, slug] of [
    ['Café de la Gare', 'cafe-de-la-gare'],
    ['***', 'register'],
    ['ÉPICERIE   Fine', 'epicerie-fine'],
  ] as const) {
    it(`slugifies ${JSON.stringify(name)}`, () => assert.equal(slugify(name), slug));
  }

  it('reads archive names back, and only its own names', () => {
    assert.deepEqual(parseArchiveName('shop_20261122-140509-042_c0ffee12.tar.zst.age'), {
      id: 'shop_20261122-140509-042_c0ffee12',
      encrypted: true,
    });
    assert.deepEqual(
      parseArchiveName('shop_20261122-140509-042_c0ffee12.tar.zst')?.encrypted,
      false,
    );
    for (const bad of [
      '../etc/passwd',
      'shop.tar.zst',
      '.partial-1-shop_20261122-140509-042_c0ffee12.tar.zst',
      'a/b_20261122-140509-042_c0ffee12.tar.zst',
    ]) {
      assert.equal(parseArchiveName(bad), null, bad);
    }
  });

  it('writes and parses sha256sum lists', () => {
    const sums = [
      { name: 'files/a b.png', sha256: 'a'.repeat(64) },
      { name: 'database/register.db', sha256: 'b'.repeat(64) },
    ];
    const text = formatSums(sums);
    assert.equal(
      text,
      `${'a'.repeat(64)}  files/a b.png\n${'b'.repeat(64)}  database/register.db\n`,
    );
    assert.deepEqual(
      [...parseSums(text)],
      sums.map((s) => [s.name, s.sha256]),
    );
    assert.throws(
      () => parseSums('nothex  file\n'),
      (err) => isCoffreError(err, 'CORRUPT_ARCHIVE'),
    );
  });

  it('escapes names with a backslash, newline or carriage return as GNU sha256sum does', () => {
    const h = 'c'.repeat(64);
    const cases: [string, string][] = [
      ['files/new\nline', `\\${h}  files/new\\nline\n`],
      ['files/back\\slash', `\\${h}  files/back\\\\slash\n`],
      ['files/cr\r', `\\${h}  files/cr\\r\n`],
      ['files/line\u2028separator', `${h}  files/line\u2028separator\n`],
      ['files/\\n literally', `\\${h}  files/\\\\n literally\n`],
    ];
    for (const [name, line] of cases) {
      assert.equal(formatSums([{ name, sha256: h }]), line, JSON.stringify(name));
      assert.deepEqual([...parseSums(line)], [[name, h]], JSON.stringify(name));
    }
    for (const bad of [`\\${h}  files/bad\\escape\n`, `\\${h}  files/ends\\\n`]) {
      assert.throws(
        () => parseSums(bad),
        (err) => isCoffreError(err, 'CORRUPT_ARCHIVE'),
        JSON.stringify(bad),
      );
    }
  });

  it('refuses headers from a newer format', () => {
    assert.throws(
      () => checkHeader({ format: 'coffre-archive', formatVersion: 99 }),
      (err) => isCoffreError(err, 'UNSUPPORTED_FORMAT'),
    );
    assert.throws(
      () => checkHeader({ format: 'other' }),
      (err) => isCoffreError(err, 'CORRUPT_ARCHIVE'),
    );
  });
});

describe('sections', () => {
  it('maps pos tables to sections and keeps unnamed tables in "other"', () => {
    const tables = {
      products: 10,
      categories: 3,
      receipts: 255,
      receipt_lines: 700,
      payments: 260,
      custom_loyalty: 4,
    };
    const sections = summarizeSections(PROFILES.pos, tables, 244, true);
    const byName = Object.fromEntries(sections.map((s) => [s.name, s]));
    assert.deepEqual(byName.catalog?.tables, { categories: 3, products: 10 });
    assert.equal(byName.catalog?.files, 244);
    assert.deepEqual(byName.sales?.tables, { receipts: 255, receipt_lines: 700, payments: 260 });
    assert.equal(byName.settings?.settings, true);
    assert.deepEqual(byName[OTHER_SECTION]?.tables, { custom_loyalty: 4 });
    const all = sections.flatMap((s) => Object.keys(s.tables)).sort();
    assert.deepEqual(all, Object.keys(tables).sort());
  });

  it("puts every table in the generic profile's single section", () => {
    const sections = summarizeSections(PROFILES.generic, { a: 1, b: 2 }, null, false);
    assert.equal(sections.length, 1);
    assert.deepEqual(sections[0]?.tables, { a: 1, b: 2 });
  });
});
