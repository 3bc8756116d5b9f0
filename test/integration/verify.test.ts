// coffre verify: every failure has its own error code and exit code.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { coffre, removeDir, run, tempDir } from '../helpers.js';

describe('coffre verify', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const key = path.join(dir, 'key.txt');
  const otherKey = path.join(dir, 'other.txt');
  const pass = path.join(dir, 'pass.txt');
  const wrongPass = path.join(dir, 'wrong-pass.txt');
  let plain: { id: string; name: string };
  let encrypted: { id: string; name: string };
  let withPassphrase: { id: string; name: string };
  after(() => removeDir(dir));

  before(() => {
    assert.equal(coffre(['demo', '--home', home]).status, 0);
    run('age-keygen', ['-o', key]);
    run('age-keygen', ['-o', otherKey]);
    // Secret files are private (mode 0600), or Coffre refuses them.
    fs.writeFileSync(pass, 'correct horse battery staple\n', { mode: 0o600 });
    fs.writeFileSync(wrongPass, 'incorrect horse\n', { mode: 0o600 });
    plain = coffre(['backup', '--home', home, '--json']).json();
    const recipient = run('age-keygen', ['-y', key]).trim();
    encrypted = coffre(['backup', '--home', home, '--json', '--recipient', recipient]).json();
    withPassphrase = coffre(['backup', '--home', home, '--json', '--passphrase-file', pass]).json();
  });

  it('checks every entry of a plain backup, and test-restores it with --deep', () => {
    const r = coffre(['verify', plain.id, '--home', home, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json().level, 'full');
    const d = coffre(['verify', plain.id.slice(0, -5), '--home', home, '--deep', '--json']);
    assert.equal(d.status, 0, d.stderr);
    const report = d.json();
    assert.equal(report.level, 'deep');
    assert.ok(
      report.checks.some(
        (c: { name: string; detail: string }) => c.name === 'integrity_check' && c.detail === 'ok',
      ),
    );
    const human = coffre(['verify', plain.id, '--home', home, '--deep']);
    assert.match(human.stdout, /OK \(deep check/);
  });

  it('checks an encrypted backup fully with its key, and only its fingerprint without', () => {
    const noKey = coffre(['verify', encrypted.id, '--home', home, '--json']);
    // Not a pass: a distinct status and exit code (issue 10 item 15).
    assert.equal(noKey.status, 21, noKey.stderr);
    assert.equal(noKey.json().level, 'fingerprint');
    assert.equal(noKey.json().status, 'not-done');
    assert.equal(noKey.json().ok, false);
    // The library says what was not checked; the command line says which flags give the key.
    assert.match(noKey.json().notChecked, /not its entries/);
    assert.doesNotMatch(noKey.json().notChecked, /--/);
    const noKeyText = coffre(['verify', encrypted.id, '--home', home]);
    assert.match(noKeyText.stdout, /--identity FILE or --passphrase-file FILE/);
    const withKey = coffre([
      'verify',
      encrypted.id,
      '--home',
      home,
      '--identity',
      key,
      '--deep',
      '--json',
    ]);
    assert.equal(withKey.status, 0, withKey.stderr);
    assert.equal(withKey.json().level, 'deep');
    const wrong = coffre([
      'verify',
      encrypted.id,
      '--home',
      home,
      '--identity',
      otherKey,
      '--json',
    ]);
    assert.equal(wrong.status, 7);
    assert.equal(wrong.json().error.code, 'WRONG_KEY');
  });

  it('opens a passphrase backup only with the right passphrase', () => {
    assert.equal(
      coffre([
        'verify',
        withPassphrase.id,
        '--home',
        home,
        '--passphrase-file',
        pass,
        '--json',
      ]).json().level,
      'full',
    );
    const wrong = coffre([
      'verify',
      withPassphrase.id,
      '--home',
      home,
      '--passphrase-file',
      wrongPass,
    ]);
    assert.equal(wrong.status, 7, wrong.stderr);
    assert.match(wrong.stderr, /WRONG_KEY/);
    const copy = path.join(dir, withPassphrase.name);
    fs.copyFileSync(path.join(home, 'backups', withPassphrase.name), copy);
    const keyless = coffre(['verify', copy, '--home', home, '--identity', key]);
    assert.equal(keyless.status, 6, keyless.stderr);
    assert.match(keyless.stderr, /KEY_REQUIRED/);
  });

  it('refuses archives with flipped bytes anywhere, and truncated ones', () => {
    for (const backup of [plain, encrypted]) {
      const original = fs.readFileSync(path.join(home, 'backups', backup.name));
      const keyArgs = backup === encrypted ? ['--identity', key] : [];
      const offsets = [
        0,
        10,
        40,
        100,
        200,
        600,
        4096,
        70_000,
        original.length >> 2,
        original.length >> 1,
        original.length - 2000,
        original.length - 300,
        original.length - 40,
        original.length - 1,
      ];
      for (const offset of offsets) {
        // Through the catalog (sidecar present) and as a loose file (no sidecar).
        const inPlace = path.join(home, 'backups', backup.name);
        const damaged = Buffer.from(original);
        damaged[offset] = damaged[offset] ^ 0x5a;
        fs.writeFileSync(inPlace, damaged);
        const r = coffre(['verify', backup.id, '--home', home, '--json', ...keyArgs]);
        assert.equal(r.status, 8, `offset ${offset}: ${r.stdout}${r.stderr}`);
        assert.equal(r.json().error.code, 'CORRUPT_ARCHIVE', `offset ${offset}`);
        const loose = path.join(dir, 'loose-' + backup.name);
        fs.writeFileSync(loose, damaged);
        const l = coffre(['verify', loose, '--home', home, '--json', ...keyArgs]);
        assert.notEqual(l.status, 0, `loose, offset ${offset}`);
        assert.ok(
          ['CORRUPT_ARCHIVE', 'BAD_SIGNATURE', 'WRONG_KEY'].includes(l.json().error.code),
          `loose, offset ${offset}: ${l.stdout}`,
        );
      }
      for (const length of [0, 30, 1000, original.length >> 1, original.length - 1]) {
        fs.writeFileSync(path.join(home, 'backups', backup.name), original.subarray(0, length));
        const r = coffre(['verify', backup.id, '--home', home, '--json', ...keyArgs]);
        assert.equal(
          r.json().error?.code,
          'CORRUPT_ARCHIVE',
          `truncated to ${length}: ${r.stdout}`,
        );
      }
      fs.writeFileSync(path.join(home, 'backups', backup.name), original);
      assert.equal(coffre(['verify', backup.id, '--home', home, ...keyArgs]).status, 0);
    }
  });

  it('refuses a backup of another register', () => {
    const otherHome = path.join(dir, 'other-home');
    assert.equal(coffre(['demo', '--home', otherHome]).status, 0);
    const theirs = coffre(['backup', '--home', otherHome, '--json']).json();
    const archive = path.join(otherHome, 'backups', theirs.name);
    const r = coffre(['verify', archive, '--home', home]);
    assert.equal(r.status, 10, r.stderr);
    assert.match(r.stderr, /FOREIGN_REGISTER/);
    assert.match(r.stderr, /another register/);
    // Copied into this register's folder with its sidecar, it is not even listed as ours.
    fs.copyFileSync(archive, path.join(home, 'backups', theirs.name));
    fs.copyFileSync(
      archive + '.coffre.json',
      path.join(home, 'backups', theirs.name + '.coffre.json'),
    );
    const list = coffre(['list', '--home', home, '--json']).json();
    assert.ok(list.backups.every((b: { id: string }) => b.id !== theirs.id));
  });

  it('backs up an encrypted (SQLCipher) database only encrypted, and keeps it encrypted inside', () => {
    const appDir = path.join(dir, 'cipher-app');
    fs.mkdirSync(appDir);
    const dbFile = path.join(appDir, 'books.db');
    const keyFile = path.join(appDir, 'db.key');
    fs.writeFileSync(keyFile, "s3cret'key\n", { mode: 0o600 });
    const db = new Database(dbFile);
    db.pragma(`cipher = 'sqlcipher'`);
    db.pragma('legacy = 4');
    db.pragma(`key = 's3cret''key'`);
    db.pragma('journal_mode = WAL');
    db.exec(
      'CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER); INSERT INTO invoices (total) VALUES (100), (250), (990);',
    );
    db.close();
    const cipherHome = path.join(dir, 'cipher-home');
    const init = coffre([
      'init',
      '--home',
      cipherHome,
      '--db',
      dbFile,
      '--db-key-file',
      keyFile,
      '--profile',
      'generic',
      '--name',
      'Cabinet Secret',
    ]);
    assert.equal(init.status, 0, init.stderr);
    const refused = coffre(['backup', '--home', cipherHome]);
    assert.equal(refused.status, 5, refused.stderr);
    assert.match(refused.stderr, /ENCRYPTION_REQUIRED/);
    assert.match(refused.stderr, /coffre encryption new-key/);
    assert.deepEqual(fs.readdirSync(path.join(cipherHome, 'backups')), []);
    const newKey = coffre([
      'encryption',
      'new-key',
      '--out',
      path.join(dir, 'cipher-key.txt'),
      '--home',
      cipherHome,
    ]);
    assert.equal(newKey.status, 0, newKey.stderr);
    assert.match(newKey.stdout, /lost key means lost backups/);
    const b = coffre(['backup', '--home', cipherHome, '--json']);
    assert.equal(b.status, 0, b.stderr);
    const backup = b.json();
    assert.equal(backup.encrypted, true);
    assert.equal(backup.counts.tables.invoices, 3);
    const v = coffre([
      'verify',
      backup.id,
      '--home',
      cipherHome,
      '--deep',
      '--identity',
      path.join(dir, 'cipher-key.txt'),
      '--json',
    ]);
    assert.equal(v.status, 0, v.stderr);
    // Inside, the database is still SQLCipher-encrypted: plain sqlite3 cannot read it.
    const work = path.join(dir, 'cipher-open');
    fs.mkdirSync(work);
    const zst = path.join(work, 'a.tar.zst');
    run('age', [
      '-d',
      '-i',
      path.join(dir, 'cipher-key.txt'),
      '-o',
      zst,
      path.join(cipherHome, 'backups', backup.name),
    ]);
    run('sh', ['-c', `zstd -q -d -c "${zst}" | tar -x -C "${work}"`]);
    const snapshot = fs.readFileSync(path.join(work, 'database', 'books.db'));
    assert.notEqual(snapshot.subarray(0, 15).toString('latin1'), 'SQLite format 3');
  });
});
