// The fiscal commands through the real CLI, and a fiscal archive opened by
// hand with the real age, zstd, tar, sha256sum and openssl, as FISCAL.md
// tells an inspector to.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { checkUnpackedByHand, coffre, removeDir, run, tempDir } from '../helpers.js';

let dir: string;
let home: string;
let key: string;

before(() => {
  dir = tempDir('coffre-fiscal-cli-');
  home = path.join(dir, 'home');
  const demo = coffre([
    'demo',
    '--home',
    home,
    '--images',
    '3',
    '--receipts',
    '700',
    '--days',
    '75',
  ]);
  assert.equal(demo.status, 0, demo.stderr);
  key = path.join(dir, 'key.txt');
  run('age-keygen', ['-o', key]);
  const recipient = run('age-keygen', ['-y', key]).trim();
  const enc = coffre(['encryption', 'set', '--home', home, '--recipient', recipient]);
  assert.equal(enc.status, 0, enc.stderr);
});
after(() => removeDir(dir));

describe('coffre fiscal', () => {
  let archive: string;
  let out: string;

  it('exports a month, encrypted, to the fiscal area and to a file', () => {
    out = path.join(dir, 'october.tar.zst.age');
    const r = coffre([
      'fiscal',
      'export',
      '--home',
      home,
      '--period',
      '2026-10',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const result = r.json();
    archive = result.archive;
    assert.equal(result.encrypted, true);
    assert.deepEqual(result.period, { from: '2026-10-01', to: '2026-10-31', label: '2026-10' });
    assert.ok(fs.existsSync(path.join(home, 'backups', 'fiscal', archive)));
    assert.equal(run('sha256sum', [out]).split(' ')[0], result.sha256);
    const list = coffre(['fiscal', 'list', '--home', home, '--json']).json();
    assert.deepEqual(
      list.archives.map((a: { archive: string }) => a.archive),
      [archive],
    );
    assert.deepEqual(coffre(['list', '--home', home, '--json']).json().backups, [], 'not a backup');
  });

  it('opens with age, zstd and tar; sha256sum and openssl check it', () => {
    const work = path.join(dir, 'by-hand');
    fs.mkdirSync(work);
    run('age', ['-d', '-i', key, '-o', path.join(work, 'a.tar.zst'), out]);
    run('zstd', ['-q', '-d', path.join(work, 'a.tar.zst'), '-o', path.join(work, 'a.tar')]);
    const unpacked = path.join(work, 'out');
    fs.mkdirSync(unpacked);
    run('tar', ['-xf', path.join(work, 'a.tar'), '-C', unpacked]);
    checkUnpackedByHand(unpacked);
    const readme = fs.readFileSync(path.join(unpacked, 'README.txt'), 'utf8');
    assert.match(readme, /Period: 2026-10-01 to 2026-10-31/);
    assert.match(readme, /data\/receipts\.csv/);
    const csv = fs.readFileSync(path.join(unpacked, 'data', 'receipts.csv'), 'utf8').split('\r\n');
    assert.equal(
      csv[0],
      '"id","number","created_at","employee_id","item_count","total_cents","vat_cents","previous_hash","hash"',
    );
    const header = JSON.parse(
      fs.readFileSync(path.join(unpacked, 'coffre', 'header.json'), 'utf8'),
    );
    assert.equal(csv.filter((l) => l !== '').length - 1, header.chains.records.count);
    const audit = JSON.parse(fs.readFileSync(path.join(unpacked, 'audit.json'), 'utf8'));
    assert.equal(typeof audit.ok, 'boolean');
  });

  it('verifies the file with no home, and says what is wrong with a tampered one', () => {
    const ok = coffre(['fiscal', 'verify', out, '--identity', key, '--json'], {
      COFFRE_HOME: path.join(dir, 'nowhere'),
    });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.equal(ok.json().ok, true);
    assert.equal(fs.existsSync(path.join(dir, 'nowhere')), false, 'no home was made');
    const noKey = coffre(['fiscal', 'verify', out]);
    assert.equal(noKey.status, 6, noKey.stderr);
    const damaged = path.join(dir, 'damaged.tar.zst.age');
    const bytes = fs.readFileSync(out);
    bytes[bytes.length - 100] ^= 1;
    fs.writeFileSync(damaged, bytes);
    const bad = coffre(['fiscal', 'verify', damaged, '--identity', key]);
    assert.notEqual(bad.status, 0);
  });

  it('refuses to remove it within its hold without a reason, and logs an override', () => {
    const refused = coffre(['fiscal', 'delete', archive, '--from', 'local', '--home', home]);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /6-year hold/);
    assert.ok(fs.existsSync(path.join(home, 'backups', 'fiscal', archive)));
  });

  it('audits the live data, a backup, and shows the audit in status', () => {
    const backup = coffre(['backup', '--home', home, '--json']);
    assert.equal(backup.status, 0, backup.stderr);
    const live = coffre(['fiscal', 'audit', '--home', home, '--json']);
    const audit = live.json();
    assert.equal(audit.records.ok, true);
    assert.equal(audit.records.count, 700);
    // The demo's data stop on 2026-11-19: a later clock finds November (and later) unclosed, nothing else.
    assert.ok(
      audit.findings.every((f: string) => /closing|archive/.test(f)),
      audit.findings.join('\n'),
    );
    assert.equal(live.status, audit.ok ? 0 : 8);
    const inBackup = coffre([
      'fiscal',
      'audit',
      backup.json().id,
      '--home',
      home,
      '--identity',
      key,
      '--json',
    ]);
    assert.equal(inBackup.json().source, backup.json().id);
    assert.equal(inBackup.json().records.count, 700);
    const status = coffre(['status', '--home', home, '--json']).json();
    assert.equal(status.fiscal.records, 700);
    assert.equal(
      status.fiscal.lastArchive,
      coffre(['fiscal', 'list', '--home', home, '--json']).json().archives[0].createdAt,
    );
    assert.match(coffre(['status', '--home', home]).stdout, /Fiscal audit: /);
  });

  it('finds an altered receipt in the live database (exit 8)', () => {
    const db = new Database(path.join(home, 'demo-register', 'register.db'));
    db.prepare('UPDATE receipts SET total_cents = total_cents + 1 WHERE number = 650').run();
    db.close();
    const r = coffre(['fiscal', 'audit', '--home', home]);
    assert.equal(r.status, 8);
    assert.match(r.stdout, /broken at #650 \(altered\)/);
  });

  it('keeps a chained journal of what Coffre did, and catches an edited line', () => {
    const log = coffre(['log', '--home', home, '--verify', '--json']);
    assert.equal(log.status, 0, log.stderr);
    const { entries, verify } = log.json();
    assert.equal(verify.ok, true);
    assert.deepEqual(
      entries.map((e: { action: string }) => e.action),
      // The encryption set up before the tests is a settings change: journaled too.
      ['encryption-set', 'fiscal-export', 'backup'],
    );
    const file = path.join(home, 'journal.jsonl');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"2026-10"', '"2026-09"'));
    const broken = coffre(['log', '--home', home, '--verify']);
    assert.equal(broken.status, 8);
    assert.match(broken.stdout, /Journal BROKEN at #2 \(altered\)/);
  });
});

describe('coffre fiscal fec', () => {
  it('writes the FEC of the accounting demo, checks it, and fails a broken one', () => {
    const books = path.join(dir, 'books');
    assert.equal(
      coffre(['demo', '--home', books, '--profile', 'accounting', '--images', '2']).status,
      0,
    );
    const out = path.join(dir, 'fec');
    fs.mkdirSync(out);
    const r = coffre([
      'fiscal',
      'fec',
      '--home',
      books,
      '--year',
      '2026',
      '--siren',
      '853214796',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json().file, path.join(out, '853214796FEC20261231.txt'));
    const check = coffre(['fiscal', 'fec', '--check', r.json().file]);
    assert.equal(check.status, 0, check.stdout);
    assert.match(check.stdout, /valid/);
    const broken = path.join(out, '853214796FEC20251231.txt');
    fs.writeFileSync(broken, fs.readFileSync(r.json().file));
    const wrongYear = coffre(['fiscal', 'fec', '--check', broken]);
    assert.equal(wrongYear.status, 8);
    assert.match(wrongYear.stdout, /outside the year 2025/);
    const pos = coffre([
      'fiscal',
      'fec',
      '--home',
      home,
      '--year',
      '2026',
      '--siren',
      '853214796',
      '--out',
      out,
    ]);
    assert.equal(pos.status, 2);
    assert.match(pos.stderr, /declares no ledger/);
  });
});
