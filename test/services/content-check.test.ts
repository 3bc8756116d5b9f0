// Issue 10 item 15, the real path for a register without its secret key: the
// content is checked while the archive is written (read back before
// encryption, every entry against SHA256SUMS, integrity_check of the
// snapshot), the result is signed into the sidecar, and verify without the
// key reports "checked-at-write" once the fingerprint shows the bytes are the
// same. Where nothing was checked, it stays "not-done".

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { BackupCenter } from '../../src/center.js';
import { isCoffreError } from '../../src/core/errors.js';
import { readIdentityFiles } from '../../src/state/secrets.js';
import { coffre, removeDir, tempDir } from '../helpers.js';

describe('content checked at write time (issue 10 item 15)', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const keyFile = path.join(dir, 'key.txt');
  // Each backup a minute after the last: ids are made from the time.
  let now = Date.parse('2026-11-20T09:00:00Z');
  let center: BackupCenter;
  let checked: string;
  let unchecked: string;

  const sidecarOf = (id: string) => {
    const name = fs.readdirSync(path.join(home, 'backups')).find((f) => f.startsWith(id))!;
    return path.join(home, 'backups', name.replace(/\.coffre\.json$/, '') + '.coffre.json');
  };

  before(async () => {
    await BackupCenter.createDemo(home, { profile: 'pos', images: 3, receipts: 20 });
    center = await BackupCenter.open(home, { clock: () => new Date((now += 60_000)) });
    await center.newEncryptionKey(keyFile);
    await center.setEncryption({
      ...center.configuration.encryption,
      checkAtWrite: true,
    });
    const made = await center.backup();
    checked = made.id;
    assert.ok(made.contentCheck, 'no content check in the result');
    assert.equal(made.contentCheck.integrity, 'ok');
    unchecked = (await center.backup({ checkContent: false })).id;
  });
  after(() => {
    center.close();
    removeDir(dir);
  });

  it('records the check, signed, in the sidecar; none when it was not made', () => {
    const s = JSON.parse(fs.readFileSync(sidecarOf(checked), 'utf8'));
    assert.equal(s.contentCheck.integrity, 'ok');
    assert.ok(s.contentCheck.entries >= 3 + 5, `${s.contentCheck.entries} entries`);
    assert.match(s.contentCheck.signature, /^[A-Za-z0-9+/]+=*$/);
    assert.equal(JSON.parse(fs.readFileSync(sidecarOf(unchecked), 'utf8')).contentCheck, undefined);
  });

  it('verify without the key reports checked-at-write, kept as ok but not as a test restore', async () => {
    const report = await center.verify(checked, { deep: true });
    assert.equal(report.status, 'checked-at-write');
    assert.equal(report.level, 'fingerprint');
    assert.ok(report.checks.some((c) => c.name === 'content at write'));
    assert.match(report.notChecked ?? '', /checked while it was written/);
    const job = center.history(1)[0];
    assert.equal(job.result, 'ok');
    assert.equal((await center.status()).lastTestRestore, null);
    // With the key, the same backup passes the full check: the record was true.
    const full = await center.verify(checked, {
      identities: readIdentityFiles([keyFile]),
    });
    assert.equal(full.status, 'passed');
    assert.equal(full.level, 'full');
  });

  it('a backup made without the check stays not-done', async () => {
    const report = await center.verify(unchecked);
    assert.equal(report.status, 'not-done');
  });

  it('a full restore takes the check made at write as its proof, and checks again where none was made', async () => {
    const identities = readIdentityFiles([keyFile]);
    const proven = await center.restore(checked, { identities });
    assert.equal(proven.applied, true);
    assert.equal(proven.integrity, 'at-write');
    assert.ok(!proven.phases?.some((p) => p.phase === 'checks'), 'no wait for a check');
    const again = await center.restore(unchecked, { identities });
    assert.equal(again.applied, true);
    assert.equal(again.integrity, 'staged');
    // A section restore copies rows, and checks inside its transaction.
    const section = await center.restore(checked, { identities, sections: ['catalog'] });
    assert.equal(section.integrity, 'in-transaction');
  });

  it('a restore stops at an altered record (BAD_SIGNATURE), having changed nothing', async () => {
    const file = sidecarOf(checked);
    const original = fs.readFileSync(file, 'utf8');
    const db = center.configuration.source.database;
    const before = fs.readFileSync(db);
    try {
      const s = JSON.parse(original);
      s.contentCheck.at = '2026-01-01T00:00:00.000Z';
      fs.writeFileSync(file, JSON.stringify(s));
      await assert.rejects(
        center.restore(checked, { identities: readIdentityFiles([keyFile]) }),
        (err) => isCoffreError(err, 'BAD_SIGNATURE'),
      );
      assert.ok(fs.readFileSync(db).equals(before), 'the database is unchanged');
    } finally {
      fs.writeFileSync(file, original);
    }
  });

  it('an altered record is a bad signature; altered bytes are a corrupt archive', async () => {
    const file = sidecarOf(checked);
    const original = fs.readFileSync(file, 'utf8');
    try {
      const s = JSON.parse(original);
      s.contentCheck.entries += 1;
      fs.writeFileSync(file, JSON.stringify(s));
      await assert.rejects(center.verify(checked), (err) => isCoffreError(err, 'BAD_SIGNATURE'));
      // A record copied from another backup does not fit this one.
      const other = JSON.parse(fs.readFileSync(sidecarOf(unchecked), 'utf8'));
      other.contentCheck = JSON.parse(original).contentCheck;
      const otherFile = sidecarOf(unchecked);
      const otherOriginal = fs.readFileSync(otherFile, 'utf8');
      fs.writeFileSync(otherFile, JSON.stringify(other));
      await assert.rejects(center.verify(unchecked), (err) => isCoffreError(err, 'BAD_SIGNATURE'));
      fs.writeFileSync(otherFile, otherOriginal);
    } finally {
      fs.writeFileSync(file, original);
    }
    const archive = file.replace(/\.coffre\.json$/, '');
    const bytes = fs.readFileSync(archive);
    try {
      const damaged = Buffer.from(bytes);
      damaged[damaged.length - 200] ^= 0x01;
      fs.writeFileSync(archive, damaged);
      await assert.rejects(center.verify(checked), (err) => isCoffreError(err, 'CORRUPT_ARCHIVE'));
    } finally {
      fs.writeFileSync(archive, bytes);
    }
    assert.equal((await center.verify(checked)).status, 'checked-at-write');
  });

  it('a snapshot that fails integrity_check is backed up with a warning and no record', async () => {
    const db = new Database(center.configuration.source.database);
    try {
      db.exec('CREATE TABLE odd (x INTEGER CHECK (x > 0))');
      db.pragma('ignore_check_constraints = ON');
      db.exec('INSERT INTO odd VALUES (-1)');
    } finally {
      db.close();
    }
    try {
      const made = await center.backup({ checkContent: true });
      assert.equal(made.contentCheck, null);
      assert.deepEqual(
        made.warnings.map((w) => w.code),
        ['CONTENT_CHECK_FAILED'],
      );
      assert.equal((await center.verify(made.id)).status, 'not-done');
    } finally {
      const fix = new Database(center.configuration.source.database);
      fix.exec('DROP TABLE odd');
      fix.close();
    }
  });

  it('the command line: encryption set --check-at-write, backup, verify says so and exits 0', () => {
    const recipient = center.configuration.encryption.recipients[0];
    const set = coffre([
      'encryption',
      'set',
      '--recipient',
      recipient,
      '--check-at-write',
      'off',
      '--home',
      home,
      '--json',
    ]);
    assert.equal(set.status, 0, set.stderr);
    assert.equal(set.json().checkAtWrite, false);
    const made = coffre(['backup', '--check-content', '--home', home, '--json']);
    assert.equal(made.status, 0, made.stderr);
    assert.equal(made.json().contentCheck.integrity, 'ok');
    const text = coffre(['verify', made.json().id, '--home', home]);
    assert.equal(text.status, 0, text.stdout + text.stderr);
    assert.match(text.stdout, /CHECKED AT WRITE/);
    assert.match(text.stdout, /content checked at write time on \S+: \d+ entries/);
    const json = coffre(['verify', made.json().id, '--home', home, '--json']);
    assert.equal(json.json().status, 'checked-at-write');
    const bad = coffre([
      'encryption',
      'set',
      '--recipient',
      recipient,
      '--check-at-write',
      'x',
      '--home',
      home,
    ]);
    assert.equal(bad.status, 2, bad.stderr);
  });
});
