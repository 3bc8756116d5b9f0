// Backups of the demo register through the real CLI, opened again with the
// real age, zstd, tar, sha256sum, openssl and sqlite3 programs.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkUnpackedByHand, coffre, removeDir, run, tempDir } from '../helpers.js';

function sidecarOf(archive: string): {
  sha256: string;
  size: number;
  header: { database: { tables: Record<string, number>; entry: string }; files: { count: number } };
} {
  return JSON.parse(fs.readFileSync(archive + '.coffre.json', 'utf8'));
}

/** Opens an archive exactly as docs/FORMAT.md tells a person to. */
function openByHand(archive: string, work: string, keyFile?: string): string {
  fs.mkdirSync(work, { recursive: true });
  const sha = run('sha256sum', [archive]).split(' ')[0];
  assert.equal(
    sha,
    sidecarOf(archive).sha256,
    'sha256sum of the file equals the sidecar fingerprint',
  );
  let zst = archive;
  if (keyFile) {
    zst = path.join(work, 'archive.tar.zst');
    run('age', ['-d', '-i', keyFile, '-o', zst, archive]);
  }
  const tar = path.join(work, 'archive.tar');
  run('zstd', ['-q', '-d', zst, '-o', tar]);
  const out = path.join(work, 'out');
  fs.mkdirSync(out);
  run('tar', ['-xf', tar, '-C', out]);
  checkUnpackedByHand(out);
  return out;
}

describe('coffre backup', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  after(() => removeDir(dir));

  before(() => {
    const r = coffre(['demo', '--home', home, '--json']);
    assert.equal(r.status, 0, r.stderr);
  });

  it('writes a plain archive that standard tools open, with the right counts and files', () => {
    const r = coffre(['backup', '--home', home, '--json', '--note', 'first']);
    assert.equal(r.status, 0, r.stderr);
    const result = r.json();
    assert.equal(result.encrypted, false);
    assert.deepEqual(result.destination, ['local']);
    assert.match(result.sha256, /^[0-9a-f]{64}$/);
    assert.equal(result.counts.tables.receipts, 255);
    assert.equal(result.counts.files, 244);
    const archive = path.join(home, 'backups', result.name);
    assert.equal(fs.statSync(archive).size, result.size);
    const out = openByHand(archive, path.join(dir, 'plain'));
    const header = JSON.parse(fs.readFileSync(path.join(out, 'coffre/header.json'), 'utf8'));
    assert.equal(header.origin, 'manual');
    assert.equal(header.note, 'first');
    assert.equal(header.files.count, 244);
    const db = path.join(out, header.database.entry);
    assert.equal(run('sqlite3', [db, 'PRAGMA integrity_check']).trim(), 'ok');
    for (const [table, rows] of Object.entries(header.database.tables as Record<string, number>)) {
      assert.equal(
        Number(run('sqlite3', [db, `SELECT count(*) FROM "${table}"`]).trim()),
        rows,
        table,
      );
    }
    assert.equal(Number(run('sqlite3', [db, 'SELECT count(*) FROM receipts']).trim()), 255);
    // Every image is in the archive, byte for byte.
    const images = path.join(home, 'demo-register', 'images');
    const names = fs
      .readdirSync(images, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile());
    assert.equal(names.length, 244);
    for (const e of names) {
      const rel = path.relative(images, path.join(e.parentPath ?? e.path, e.name));
      assert.deepEqual(
        fs.readFileSync(path.join(out, 'files', rel)),
        fs.readFileSync(path.join(images, rel)),
      );
    }
    const sections = header.sections.map((s: { name: string }) => s.name);
    for (const s of ['catalog', 'employees', 'settings', 'layouts', 'sales'])
      assert.ok(sections.includes(s), s);
  });

  it('encrypts to an age-keygen key so that the real age opens it', () => {
    const key = path.join(dir, 'key.txt');
    run('age-keygen', ['-o', key]);
    const recipient = run('age-keygen', ['-y', key]).trim();
    const r = coffre(['backup', '--home', home, '--json', '--recipient', recipient]);
    assert.equal(r.status, 0, r.stderr);
    const result = r.json();
    assert.equal(result.encrypted, true);
    assert.ok(result.name.endsWith('.tar.zst.age'));
    const archive = path.join(home, 'backups', result.name);
    assert.equal(fs.readFileSync(archive).subarray(0, 21).toString(), 'age-encryption.org/v1');
    const out = openByHand(archive, path.join(dir, 'enc'), key);
    const header = JSON.parse(fs.readFileSync(path.join(out, 'coffre/header.json'), 'utf8'));
    assert.deepEqual(header.encryption, {
      encrypted: true,
      method: 'age-x25519',
      recipients: [recipient],
    });
    assert.equal(
      run('sqlite3', [path.join(out, header.database.entry), 'PRAGMA integrity_check']).trim(),
      'ok',
    );
  });

  it('lists every backup with its metadata, and shows the status', () => {
    const list = coffre(['list', '--home', home, '--json']);
    assert.equal(list.status, 0, list.stderr);
    const { backups } = list.json();
    assert.equal(backups.length, 2);
    assert.deepEqual(
      backups.map((b: { encrypted: boolean }) => b.encrypted),
      [false, true],
    );
    assert.equal(backups[0].note, 'first');
    assert.equal(backups[0].origin, 'manual');
    assert.equal(backups[0].appVersion, 'demo-pos 4.8.1');
    const text = coffre(['list', '--home', home]);
    assert.match(text.stdout, /first/);
    const status = coffre(['status', '--home', home, '--json']).json();
    assert.equal(status.source.headline.count, 255);
    assert.equal(status.source.files.count, 244);
    assert.equal(status.lastBackup.id, backups[1].id);
    assert.equal(status.destinations[0].backups, 2);
    // Successful jobs carry no error, and nothing is left marked running.
    const history = coffre(['history', '--home', home, '--json']).json();
    for (const job of history) {
      assert.equal(job.result, 'ok');
      assert.equal(job.errorCode, null);
    }
    const human = coffre(['status', '--home', home]);
    assert.match(human.stdout, /255 receipts · 244 images/);
  });

  it('writes the same backup to an external folder and refuses one that is missing', () => {
    const usb = path.join(dir, 'usb');
    fs.mkdirSync(usb);
    assert.equal(
      coffre(['destination', 'add', 'usb', 'external', '--path', usb, '--home', home]).status,
      0,
    );
    const r = coffre(['backup', '--home', home, '--to', 'local', '--to', 'usb', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const result = r.json();
    const a = fs.readFileSync(path.join(home, 'backups', result.name));
    const b = fs.readFileSync(path.join(usb, result.name));
    assert.ok(a.equals(b));
    assert.equal(fs.readdirSync(usb).length, 2);

    fs.renameSync(usb, usb + '-unplugged');
    const missing = coffre(['backup', '--home', home, '--to', 'usb']);
    assert.equal(missing.status, 12, missing.stderr);
    assert.match(missing.stderr, /DESTINATION_UNAVAILABLE/);
    assert.match(missing.stderr, /Plug in/);
    const json = coffre(['backup', '--home', home, '--to', 'usb', '--json']);
    assert.equal(json.json().error.code, 'DESTINATION_UNAVAILABLE');
    const listed = coffre(['destination', 'list', '--home', home, '--json']).json();
    assert.equal(
      listed.find((d: { name: string }) => d.name === 'usb').error.code,
      'DESTINATION_UNAVAILABLE',
    );
    fs.renameSync(usb + '-unplugged', usb);
    assert.equal(coffre(['destination', 'remove', 'usb', '--home', home]).status, 0);
    // A name that is not a destination is a typo to fix, not a drive to plug in.
    const unknown = coffre(['backup', '--home', home, '--to', 'usb']);
    assert.equal(unknown.status, 2, unknown.stderr);
    assert.match(unknown.stderr, /no destination named "usb" \(known: local\)/);
    assert.match(unknown.stderr, /coffre destination list/);
    assert.doesNotMatch(unknown.stderr, /Plug in/);
  });

  it('refuses a read-only or full external folder and leaves nothing behind', (t) => {
    const mnt = path.join(dir, 'small');
    fs.mkdirSync(mnt);
    try {
      run('mount', ['-t', 'tmpfs', '-o', 'size=128k', 'tmpfs', mnt]);
    } catch {
      t.skip('mounting a small tmpfs needs root');
      return;
    }
    try {
      assert.equal(
        coffre(['destination', 'add', 'tiny', 'external', '--path', mnt, '--home', home]).status,
        0,
      );
      const full = coffre(['backup', '--home', home, '--to', 'tiny']);
      assert.equal(full.status, 13, full.stderr);
      assert.match(full.stderr, /DISK_FULL/);
      assert.deepEqual(fs.readdirSync(mnt), []);
      run('mount', ['-o', 'remount,ro', mnt]);
      const ro = coffre(['backup', '--home', home, '--to', 'tiny']);
      assert.equal(ro.status, 12, ro.stderr);
      assert.match(ro.stderr, /DESTINATION_READ_ONLY/);
    } finally {
      run('umount', [mnt]);
    }
    // The failed attempts are in the history, not in the list.
    const list = coffre(['list', '--home', home, '--json']).json();
    assert.ok(list.backups.every((b: { destination: string }) => b.destination !== 'tiny'));
  });

  it('backs up the accounting demo books by section, and a generic database', () => {
    const books = path.join(dir, 'books');
    assert.equal(coffre(['demo', '--profile', 'accounting', '--home', books]).status, 0);
    const r = coffre(['backup', '--home', books, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const sidecar = sidecarOf(path.join(books, 'backups', r.json().name));
    const sections = (
      sidecar.header as unknown as {
        sections: { name: string; tables: Record<string, number>; files?: number }[];
      }
    ).sections;
    assert.deepEqual(
      sections.map((s) => s.name),
      ['customers', 'suppliers', 'invoices', 'payments', 'ledger', 'settings', 'attachments'],
    );
    assert.ok(sections.find((s) => s.name === 'invoices')!.tables.invoices > 0);
    assert.equal(sections.find((s) => s.name === 'attachments')!.files, sidecar.header.files.count);
    assert.equal(coffre(['verify', 'latest', '--deep', '--home', books]).status, 0);

    const generic = path.join(dir, 'generic-app.db');
    run('sqlite3', [
      generic,
      "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('a'), ('b');",
    ]);
    const home2 = path.join(dir, 'generic-home');
    assert.equal(
      coffre(['init', '--home', home2, '--db', generic, '--profile', 'generic', '--name', 'Notes'])
        .status,
      0,
    );
    const g = coffre(['backup', '--home', home2, '--json']);
    assert.equal(g.status, 0, g.stderr);
    assert.deepEqual(g.json().counts.tables, { notes: 2 });
    assert.equal(g.json().counts.files, 0);
  });

  it('says what to do when the home or the database is missing', () => {
    const none = coffre(['status', '--home', path.join(dir, 'nowhere')]);
    assert.equal(none.status, 3);
    assert.match(none.stderr, /coffre init/);
    const bad = coffre([
      'init',
      '--home',
      path.join(dir, 'h3'),
      '--db',
      path.join(dir, 'missing.db'),
      '--profile',
      'pos',
      '--name',
      'X',
    ]);
    // The app may not have made its database yet: init says so, and a backup
    // then refuses with what to check.
    assert.equal(bad.status, 0, bad.stderr);
    assert.match(bad.stdout, /Not there yet: the database/);
    const early = coffre(['backup', '--home', path.join(dir, 'h3')]);
    assert.equal(early.status, 4);
    assert.match(early.stderr, /SOURCE_UNAVAILABLE[^]*does not exist[^]*readable/);
    const profile = coffre([
      'init',
      '--home',
      path.join(dir, 'h4'),
      '--db',
      path.join(dir, 'generic-app.db'),
      '--profile',
      'erp',
      '--name',
      'X',
    ]);
    assert.equal(profile.status, 2);
    assert.match(profile.stderr, /pos/);
    const again = coffre(['demo', '--home', home]);
    assert.equal(again.status, 3);
    assert.match(again.stderr, /ALREADY_INITIALIZED/);
  });

  it('refuses a second job while one runs', async () => {
    const { acquireJobLock } = await import('../../src/state/lock.js');
    const lock = acquireJobLock(
      path.join(home, 'job.lock'),
      path.join(home, 'job.json'),
      'test',
      new Date(),
    );
    try {
      const r = coffre(['backup', '--home', home]);
      assert.equal(r.status, 14);
      assert.match(r.stderr, /BUSY/);
      assert.match(r.stderr, new RegExp(`process ${process.pid}`));
    } finally {
      lock.release();
    }
  });
});
