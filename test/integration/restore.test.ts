// coffre restore through the real CLI: round trips, section restores, every
// refusal before the live data is touched, and a register moved to a new machine.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { addDemoReceipt, verifyReceiptChain } from '../../src/source/demo.js';
import { coffre, removeDir, run, tempDir } from '../helpers.js';

function dump(db: string): string {
  return run('sqlite3', [db, '.dump']);
}

function filesOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const abs = path.join(e.parentPath ?? e.path, e.name);
    out[path.relative(dir, abs)] = crypto
      .createHash('sha256')
      .update(fs.readFileSync(abs))
      .digest('hex');
  }
  return out;
}

interface State {
  dump: string;
  images: Record<string, string>;
  settings: string;
}

describe('coffre restore', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const app = path.join(home, 'demo-register');
  const db = path.join(app, 'register.db');
  const images = path.join(app, 'images');
  const settingsFile = path.join(app, 'settings.json');
  const state = (): State => ({
    dump: dump(db),
    images: filesOf(images),
    settings: fs.readFileSync(settingsFile, 'utf8'),
  });
  after(() => removeDir(dir));

  before(() => {
    assert.equal(coffre(['demo', '--home', home, '--images', '40']).status, 0);
  });

  /** New receipts, a deleted product, changed settings, new and removed images. */
  function changeEverything(): void {
    const live = new Database(db);
    live.pragma('foreign_keys = ON');
    for (let i = 0; i < 12; i++) addDemoReceipt(live, new Date(Date.UTC(2026, 10, 21, 9, i)));
    const unused = live
      .prepare(
        'SELECT id FROM products WHERE id NOT IN (SELECT product_id FROM receipt_lines) AND id NOT IN (SELECT product_id FROM layout_buttons) LIMIT 1',
      )
      .pluck()
      .get() as number;
    live.prepare('DELETE FROM products WHERE id = ?').run(unused);
    live.prepare("UPDATE settings SET value = 'changed' WHERE rowid = 1").run();
    live.close();
    fs.writeFileSync(settingsFile, '{"changed": true}\n');
    const some = Object.keys(filesOf(images));
    fs.rmSync(path.join(images, some[0]));
    fs.writeFileSync(path.join(images, some[1]), 'overwritten');
    fs.writeFileSync(path.join(images, 'new-photo.png'), 'a new image');
  }

  it('brings back exactly the backed-up state: database dump, images and settings', () => {
    const a = state();
    const backup = coffre(['backup', '--home', home, '--json']).json();
    changeEverything();
    const changed = state();
    assert.notEqual(changed.dump, a.dump);
    const r = coffre([
      'restore',
      backup.id,
      '--home',
      home,
      '--yes',
      '--accept-fiscal-rewind',
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const result = r.json();
    assert.equal(result.applied, true);
    assert.equal(result.restartApp, true);
    assert.equal(result.plan.losses[0].rows, 12);
    assert.equal(result.plan.losses[0].label, 'receipts');
    assert.deepEqual(state(), a);
    const live = new Database(db, { readonly: true });
    assert.ok(verifyReceiptChain(live).ok);
    live.close();
    // Undo brings back the changed state exactly.
    const undo = coffre(['restore', '--undo', '--home', home, '--yes', '--json']);
    assert.equal(undo.status, 0, undo.stderr);
    assert.equal(undo.json().plan.backupId, result.safetyBackupId);
    assert.deepEqual(state(), changed);
    // And the restore again, for the next tests.
    assert.equal(
      coffre(['restore', backup.id, '--home', home, '--yes', '--accept-fiscal-rewind']).status,
      0,
    );
    assert.deepEqual(state(), a);
  });

  it('shows the plan and what will be lost, and changes nothing without confirmation', () => {
    const backup = coffre(['backup', '--home', home, '--json']).json();
    const live = new Database(db);
    for (let i = 0; i < 3; i++) addDemoReceipt(live, new Date(Date.UTC(2026, 10, 22, 18, i)));
    live.close();
    const before = state();
    const r = coffre(['restore', backup.id, '--home', home]);
    assert.equal(r.status, 2);
    assert.match(
      r.stdout,
      /WARNING: 3 receipts recorded after this backup \(2026-11-22 18:00 to 2026-11-22 18:02\) will no longer exist\./,
    );
    assert.match(r.stdout, /ROWS NOW/);
    assert.match(r.stderr, /Nothing was changed/);
    const plan = coffre(['restore', backup.id, '--home', home, '--json']);
    assert.equal(plan.status, 0);
    assert.equal(plan.json().applied, false);
    assert.deepEqual(state(), before);
    assert.equal(
      coffre(['restore', backup.id, '--home', home, '--yes', '--accept-fiscal-rewind']).status,
      0,
    );
  });

  it('restores one section and leaves the others exactly as they were', () => {
    const backup = coffre(['backup', '--home', home, '--json']).json();
    const live = new Database(db);
    live.prepare("UPDATE employees SET last_name = last_name || ' (left)'").run();
    live.prepare('UPDATE products SET price_cents = price_cents + 10').run();
    addDemoReceipt(live, new Date(Date.UTC(2026, 10, 23, 10, 0)));
    live.close();
    const tableDump = (table: string) =>
      run('sqlite3', [db, `SELECT * FROM ${table} ORDER BY rowid`]);
    const productsBefore = tableDump('products');
    const receiptsBefore = tableDump('receipts');
    const imagesBefore = filesOf(images);
    const r = coffre([
      'restore',
      backup.id,
      '--home',
      home,
      '--yes',
      '--sections',
      'employees',
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json().plan.full, false);
    assert.doesNotMatch(tableDump('employees'), /\(left\)/);
    assert.equal(tableDump('products'), productsBefore);
    assert.equal(tableDump('receipts'), receiptsBefore);
    assert.deepEqual(filesOf(images), imagesBefore);
    const bad = coffre([
      'restore',
      backup.id,
      '--home',
      home,
      '--yes',
      '--accept-fiscal-rewind',
      '--sections',
      'employes',
    ]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /its sections are: catalog, employees/);
  });

  it('refuses a section restore that would break references, and changes nothing', () => {
    const backup = coffre(['backup', '--home', home, '--json']).json();
    // A product added after the backup, then sold.
    const live = new Database(db);
    const product = live
      .prepare(
        "INSERT INTO products (category_id, name, barcode, price_cents, vat_rate_bp, active, created_at) SELECT category_id, 'Galette des rois', '9999999999999', 2400, 550, 1, '2026-11-23T08:00:00Z' FROM products LIMIT 1",
      )
      .run().lastInsertRowid;
    live.prepare('UPDATE products SET active = 0 WHERE id != ?').run(product);
    addDemoReceipt(live, new Date(Date.UTC(2026, 10, 23, 11, 0)));
    live.prepare('UPDATE products SET active = 1').run();
    live.close();
    fs.writeFileSync(path.join(images, 'galette.png'), 'photo');
    const before = state();
    const r = coffre([
      'restore',
      backup.id,
      '--home',
      home,
      '--yes',
      '--accept-fiscal-rewind',
      '--sections',
      'catalog',
    ]);
    assert.equal(r.status, 16, r.stderr);
    assert.match(r.stderr, /RESTORE_CONFLICT/);
    assert.match(r.stderr, /receipt_lines would point to products rows that would no longer exist/);
    assert.deepEqual(state(), before);
    assert.ok(!fs.existsSync(path.join(home, 'restore-journal.json')));
    assert.deepEqual(
      fs.readdirSync(app).filter((n) => n.includes('coffre')),
      [],
      'no staging or old copies are left next to the data',
    );
    // Restoring catalog and sales together is consistent.
    assert.equal(
      coffre([
        'restore',
        backup.id,
        '--home',
        home,
        '--yes',
        '--accept-fiscal-rewind',
        '--sections',
        'catalog,sales',
      ]).status,
      0,
    );
  });

  it('restores onto a lost disk (no database, no images, no settings), and past dangling rows the app already had', () => {
    const backup = coffre(['backup', '--home', home, '--json']).json();
    const a = state();
    for (const name of fs.readdirSync(app))
      fs.rmSync(path.join(app, name), { recursive: true, force: true });
    const r = coffre(['restore', backup.id, '--home', home, '--yes', '--accept-fiscal-rewind']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(state(), a);
    assert.deepEqual(
      fs.readdirSync(app).filter((n) => n.includes('coffre')),
      [],
    );
    // The images folder and settings file alone are missing: the safety backup does without them.
    fs.rmSync(images, { recursive: true });
    fs.rmSync(settingsFile);
    assert.equal(
      coffre(['restore', backup.id, '--home', home, '--yes', '--accept-fiscal-rewind']).status,
      0,
    );
    assert.deepEqual(state(), a);
    // An app that runs without foreign keys may have dangling rows already:
    // a section restore that adds none of its own is not refused for them.
    const live = new Database(db);
    live.pragma('foreign_keys = OFF');
    live.prepare('UPDATE payments SET receipt_id = 999999 WHERE rowid = 1').run();
    live.prepare("UPDATE employees SET last_name = 'Changed'").run();
    live.close();
    fs.writeFileSync(path.join(images, 'added-after.png'), 'new');
    const section = coffre([
      'restore',
      backup.id,
      '--home',
      home,
      '--yes',
      '--sections',
      'employees',
    ]);
    assert.equal(section.status, 0, section.stderr);
    assert.ok(
      fs.existsSync(path.join(images, 'added-after.png')),
      'a section without files keeps the folder',
    );
    assert.equal(
      coffre(['restore', backup.id, '--home', home, '--yes', '--accept-fiscal-rewind']).status,
      0,
    );
    assert.deepEqual(state(), a);
  });

  it('refuses, before touching anything, a wrong key, a damaged archive, another register and a newer schema', () => {
    const key = path.join(dir, 'key.txt');
    const other = path.join(dir, 'other.txt');
    run('age-keygen', ['-o', key]);
    run('age-keygen', ['-o', other]);
    const recipient = run('age-keygen', ['-y', key]).trim();
    const encrypted = coffre(['backup', '--home', home, '--json', '--recipient', recipient]).json();
    const plain = coffre(['backup', '--home', home, '--json']).json();
    const live = new Database(db);
    addDemoReceipt(live, new Date(Date.UTC(2026, 10, 24, 9, 0)));
    live.close();
    const before = state();
    const backupsBefore = coffre(['list', '--home', home, '--json']).json().backups.length;
    const refuse = (args: string[], code: string) => {
      const r = coffre([
        'restore',
        ...args,
        '--home',
        home,
        '--yes',
        '--accept-fiscal-rewind',
        '--json',
      ]);
      assert.equal(r.json().error?.code, code, `${args.join(' ')}: ${r.stdout}`);
      assert.deepEqual(state(), before);
      assert.ok(!fs.existsSync(path.join(home, 'restore-journal.json')));
      assert.deepEqual(
        fs.readdirSync(app).filter((n) => n.includes('coffre')),
        [],
      );
    };
    refuse([encrypted.id, '--identity', other], 'WRONG_KEY');
    refuse([encrypted.id], 'KEY_REQUIRED');
    const archive = path.join(home, 'backups', plain.name);
    const original = fs.readFileSync(archive);
    const damaged = Buffer.from(original);
    damaged[Math.floor(damaged.length / 2)] ^= 0x40;
    fs.writeFileSync(archive, damaged);
    refuse([plain.id], 'CORRUPT_ARCHIVE');
    fs.writeFileSync(archive, original);
    const otherHome = path.join(dir, 'other-home');
    assert.equal(coffre(['demo', '--home', otherHome, '--images', '5']).status, 0);
    const theirs = coffre(['backup', '--home', otherHome, '--json']).json();
    refuse([path.join(otherHome, 'backups', theirs.name)], 'FOREIGN_REGISTER');
    // An installation with data of its own may not adopt another register.
    refuse([path.join(otherHome, 'backups', theirs.name), '--adopt'], 'FOREIGN_REGISTER');
    // A backup made by a newer version of the app's schema.
    run('sqlite3', [db, 'PRAGMA user_version = 7']);
    const newer = coffre(['backup', '--home', home, '--json']).json();
    run('sqlite3', [db, 'PRAGMA user_version = 6']);
    const beforeNewer = state();
    const r = coffre(['restore', newer.id, '--home', home, '--yes', '--accept-fiscal-rewind']);
    assert.equal(r.status, 15, r.stderr);
    assert.match(r.stderr, /schema is version 7, newer than the app's \(version 6\)/);
    assert.deepEqual(state(), beforeNewer);
    // No safety backup was taken for any refused restore.
    assert.equal(
      coffre(['list', '--home', home, '--json']).json().backups.length,
      backupsBefore + 1,
    );
    // An older schema is accepted, with a note.
    run('sqlite3', [db, 'PRAGMA user_version = 8']);
    const older = coffre([
      'restore',
      newer.id,
      '--home',
      home,
      '--yes',
      '--accept-fiscal-rewind',
      '--json',
    ]);
    assert.equal(older.status, 0, older.stderr);
    assert.match(older.json().plan.notes.join(' '), /may need to migrate/);
  });

  it('refuses when the disk fills up while staging, leaving the live data as it was', (t) => {
    const small = path.join(dir, 'small');
    fs.mkdirSync(small);
    const size = Object.values(filesOf(images)).length * 0 + 12 * 1024 * 1024;
    try {
      run('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', small]);
    } catch {
      t.skip('mounting a small tmpfs needs root');
      return;
    }
    try {
      fs.cpSync(app, path.join(small, 'app'), { recursive: true });
      const smallHome = path.join(dir, 'small-home');
      const init = coffre([
        'init',
        '--home',
        smallHome,
        '--db',
        path.join(small, 'app', 'register.db'),
        '--files',
        path.join(small, 'app', 'images'),
        '--settings',
        path.join(small, 'app', 'settings.json'),
        '--profile',
        'pos',
        '--name',
        'Small disk',
      ]);
      assert.equal(init.status, 0, init.stderr);
      const backup = coffre(['backup', '--home', smallHome, '--json']).json();
      // Fill the disk so that the archive cannot be staged next to the data.
      const free = fs.statfsSync(small).bavail * fs.statfsSync(small).bsize;
      fs.writeFileSync(path.join(small, 'filler'), Buffer.alloc(Math.max(0, free - 256 * 1024)));
      const beforeDump = dump(path.join(small, 'app', 'register.db'));
      const r = coffre([
        'restore',
        backup.id,
        '--home',
        smallHome,
        '--yes',
        '--accept-fiscal-rewind',
      ]);
      assert.equal(r.status, 13, r.stderr);
      assert.match(r.stderr, /DISK_FULL/);
      assert.equal(dump(path.join(small, 'app', 'register.db')), beforeDump);
      assert.deepEqual(
        fs.readdirSync(path.join(small, 'app')).filter((n) => n.includes('coffre')),
        [],
      );
    } finally {
      run('umount', [small]);
    }
  });

  it('moves a register to a new machine: empty install, restore --adopt, then verify and status', () => {
    const usb = path.join(dir, 'usb');
    fs.mkdirSync(usb);
    assert.equal(
      coffre(['destination', 'add', 'usb', 'external', '--path', usb, '--home', home]).status,
      0,
    );
    const backup = coffre(['backup', '--home', home, '--to', 'usb', '--json']).json();
    const original = coffre(['status', '--home', home, '--json']).json();
    // The new machine: the app installed, no data yet.
    const newApp = path.join(dir, 'new-app');
    fs.mkdirSync(path.join(newApp, 'images'), { recursive: true });
    run('sqlite3', [path.join(newApp, 'register.db'), 'PRAGMA user_version = 0; VACUUM;']);
    fs.writeFileSync(path.join(newApp, 'settings.json'), '{}\n');
    const newHome = path.join(dir, 'new-home');
    assert.equal(
      coffre([
        'init',
        '--home',
        newHome,
        '--db',
        path.join(newApp, 'register.db'),
        '--files',
        path.join(newApp, 'images'),
        '--settings',
        path.join(newApp, 'settings.json'),
        '--profile',
        'pos',
        '--name',
        'New register',
      ]).status,
      0,
    );
    assert.equal(
      coffre(['destination', 'add', 'usb', 'external', '--path', usb, '--home', newHome]).status,
      0,
    );
    const refused = coffre([
      'restore',
      backup.id,
      '--from',
      'usb',
      '--home',
      newHome,
      '--yes',
      '--accept-fiscal-rewind',
    ]);
    assert.equal(refused.status, 11, refused.stderr);
    const plan = coffre([
      'restore',
      backup.id,
      '--from',
      'usb',
      '--adopt',
      '--home',
      newHome,
      '--json',
    ]).json();
    assert.match(
      plan.plan.notes.join(' '),
      new RegExp(`key fingerprint is ${original.register.keyFingerprint.replace(/[+/]/g, '.')}`),
    );
    const r = coffre([
      'restore',
      backup.id,
      '--from',
      'usb',
      '--adopt',
      '--home',
      newHome,
      '--yes',
    ]);
    assert.equal(r.status, 0, r.stderr);
    // The CLI says what the adoption did: the register taken over and its key.
    assert.ok(r.stdout.includes(`it trusts the key ${original.register.keyFingerprint}`), r.stdout);
    const status = coffre(['status', '--home', newHome, '--json']).json();
    assert.equal(status.register.id, original.register.id);
    assert.equal(status.register.name, original.register.name);
    assert.equal(status.source.headline.count, original.source.headline.count);
    assert.equal(status.source.files.count, original.source.files.count);
    assert.equal(dump(path.join(newApp, 'register.db')), dump(db));
    const verify = coffre(['verify', backup.id, '--from', 'usb', '--home', newHome, '--deep']);
    assert.equal(verify.status, 0, verify.stderr);
    // Its own new backups are its register's too.
    assert.equal(coffre(['backup', '--home', newHome]).status, 0);
    assert.equal(coffre(['verify', 'latest', '--home', newHome]).status, 0);
  });

  it('a crash after an --adopt restore committed: the next start adopts the identity too', () => {
    const theirs = JSON.parse(fs.readFileSync(path.join(home, 'identity.json'), 'utf8')) as {
      id: string;
      name: string;
      publicKey: string;
    };
    const app = path.join(dir, 'adopt-crash-app');
    fs.mkdirSync(app);
    const appDb = path.join(app, 'register.db');
    run('sqlite3', [appDb, 'PRAGMA user_version = 0; VACUUM;']);
    const newHome = path.join(dir, 'adopt-crash-home');
    assert.equal(
      coffre(['init', '--home', newHome, '--db', appDb, '--profile', 'pos', '--name', 'Spare'])
        .status,
      0,
    );
    // What a restore leaves when it is killed right after its commit.
    fs.writeFileSync(
      path.join(newHome, 'restore-journal.json'),
      JSON.stringify({
        version: 1,
        backupId: 'spare_20261120-100000-000_00000000',
        startedAt: '2026-11-20T10:00:00.000Z',
        safetyBackupId: null,
        scratch: [],
        database: null,
        files: null,
        settings: null,
        state: 'committed',
        adopt: { id: theirs.id, name: theirs.name, publicKey: theirs.publicKey },
      }),
    );
    const status = coffre(['status', '--home', newHome, '--json']);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stderr, /interrupted after its commit; it has now been finished/);
    assert.equal(status.json().register.id, theirs.id);
    assert.equal(status.json().register.name, theirs.name);
    assert.equal(fs.existsSync(path.join(newHome, 'restore-journal.json')), false);
  });

  it('restores a SQLCipher database in place, still encrypted, and runs the restore hooks', () => {
    const appDir = path.join(dir, 'cipher-app');
    fs.mkdirSync(appDir);
    const file = path.join(appDir, 'books.db');
    const keyFile = path.join(appDir, 'db.key');
    fs.writeFileSync(keyFile, 'k3y\n', { mode: 0o600 });
    const open = () => {
      const db = new Database(file);
      db.pragma(`cipher = 'sqlcipher'`);
      db.pragma('legacy = 4');
      db.pragma(`key = 'k3y'`);
      return db;
    };
    const db = open();
    db.pragma('journal_mode = WAL');
    db.exec(
      'CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER); INSERT INTO invoices (total) VALUES (100), (250);',
    );
    db.close();
    const cipherHome = path.join(dir, 'cipher-home');
    assert.equal(
      coffre([
        'init',
        '--home',
        cipherHome,
        '--db',
        file,
        '--db-key-file',
        keyFile,
        '--profile',
        'generic',
        '--name',
        'Cipher',
      ]).status,
      0,
    );
    const key = path.join(dir, 'cipher-age.txt');
    assert.equal(coffre(['encryption', 'new-key', '--out', key, '--home', cipherHome]).status, 0);
    const backup = coffre(['backup', '--home', cipherHome, '--json']).json();
    const changed = open();
    changed.exec('INSERT INTO invoices (total) VALUES (7)');
    changed.close();
    // Hooks: a failing before-restore command stops the restore before anything changes.
    const config = path.join(cipherHome, 'config.json');
    const log = path.join(dir, 'hooks.log');
    const json = JSON.parse(fs.readFileSync(config, 'utf8'));
    json.hooks = {
      beforeRestore: 'exit 4',
      afterRestore: `echo "after $COFFRE_RESTORE_RESULT $COFFRE_BACKUP_ID" >> '${log}'`,
    };
    fs.writeFileSync(config, JSON.stringify(json));
    const stopped = coffre([
      'restore',
      backup.id,
      '--home',
      cipherHome,
      '--identity',
      key,
      '--yes',
    ]);
    assert.equal(stopped.status, 16, stopped.stderr);
    assert.match(stopped.stderr, /before-restore command failed \(exit 4\)/);
    const count = () => {
      const d = open();
      const n = d.prepare('SELECT count(*) AS n FROM invoices').get() as { n: number };
      d.close();
      return n.n;
    };
    assert.equal(count(), 3);
    json.hooks.beforeRestore = `echo "before $COFFRE_BACKUP_ID" >> '${log}'`;
    fs.writeFileSync(config, JSON.stringify(json));
    const r = coffre([
      'restore',
      backup.id,
      '--home',
      cipherHome,
      '--identity',
      key,
      '--yes',
      '--accept-fiscal-rewind',
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(count(), 2);
    assert.notEqual(fs.readFileSync(file).subarray(0, 15).toString('latin1'), 'SQLite format 3');
    assert.equal(
      fs.readFileSync(log, 'utf8'),
      `before ${backup.id}\nafter restored ${backup.id}\n`,
    );
    // The app was stopped by the before-restore hook: when the restore then
    // fails (here its safety backup cannot be written), it is started again.
    const changedAgain = open();
    changedAgain.exec('INSERT INTO invoices (total) VALUES (8)');
    changedAgain.close();
    const backups = path.join(cipherHome, 'backups');
    const kept = path.join(dir, 'kept-backups');
    fs.renameSync(backups, kept);
    fs.writeFileSync(backups, 'not a folder');
    fs.writeFileSync(log, '');
    const archive = path.join(kept, `${backup.id}.tar.zst.age`);
    const blocked = coffre([
      'restore',
      archive,
      '--home',
      cipherHome,
      '--identity',
      key,
      '--yes',
      '--accept-fiscal-rewind',
    ]);
    assert.notEqual(blocked.status, 0, blocked.stdout);
    assert.equal(count(), 3);
    assert.equal(fs.readFileSync(log, 'utf8'), `before ${backup.id}\nafter failed ${backup.id}\n`);
    fs.rmSync(backups);
    fs.renameSync(kept, backups);
  });
});
