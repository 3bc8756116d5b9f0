// Whose archive is it? A register trusts only archives signed by a key it
// already trusts; adoption is for a fresh installation only, shows the key,
// carries the encryption over, and stays undoable.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { BackupCenter } from '../../src/center.js';
import { isCoffreError } from '../../src/core/errors.js';
import { keyFingerprint } from '../../src/state/identity.js';
import { removeDir, run, tempDir } from '../helpers.js';

const count = (db: string, sql: string): number => {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare(sql).pluck().get() as number;
  } finally {
    d.close();
  }
};

/**
 * What an attacker holding B's home does: unpack B's archive with standard
 * tools, change a price, write A's register id (and A's key fingerprint) into
 * the header, fix SHA256SUMS, sign it again with B's key, pack it again.
 */
function forge(
  archive: string,
  work: string,
  bHome: string,
  a: { id: string; fp: string },
): string {
  const dir = path.join(work, 'unpacked');
  fs.mkdirSync(dir, { recursive: true });
  const names = run('sh', ['-c', `zstd -q -d -c "${archive}" | tar -t`])
    .trim()
    .split('\n');
  run('sh', ['-c', `zstd -q -d -c "${archive}" | tar -x -C "${dir}"`]);
  const header = JSON.parse(fs.readFileSync(path.join(dir, 'coffre/header.json'), 'utf8'));
  const dbEntry = path.join(dir, header.database.entry);
  run('sqlite3', [dbEntry, 'UPDATE products SET price_cents = 1 WHERE id = 1']);
  header.register.id = a.id;
  header.register.keyFingerprint = a.fp;
  fs.writeFileSync(path.join(dir, 'coffre/header.json'), JSON.stringify(header, null, 2));
  const listed = names.filter(
    (n) => !n.endsWith('/') && n !== 'coffre/SHA256SUMS' && n !== 'coffre/SHA256SUMS.sig',
  );
  const sums = run('sha256sum', ['--', ...listed], { cwd: dir });
  fs.writeFileSync(path.join(dir, 'coffre/SHA256SUMS'), sums);
  const key = path.join(work, 'b-key.pem');
  const identity = JSON.parse(fs.readFileSync(path.join(bHome, 'identity.json'), 'utf8'));
  fs.writeFileSync(key, identity.privateKeyPem, { mode: 0o600 });
  run('openssl', [
    'pkeyutl',
    '-sign',
    '-rawin',
    '-inkey',
    key,
    '-in',
    path.join(dir, 'coffre/SHA256SUMS'),
    '-out',
    path.join(dir, 'coffre/SHA256SUMS.sig'),
  ]);
  const out = path.join(work, path.basename(archive));
  fs.writeFileSync(path.join(work, 'names'), names.join('\n') + '\n');
  run('sh', ['-c', `tar -c --no-recursion -C "${dir}" -T "${work}/names" | zstd -q -o "${out}"`]);
  return out;
}

/** A new machine: the app installed, its database empty, a home on it. */
async function freshInstall(dir: string, name: string): Promise<{ home: string; db: string }> {
  const app = path.join(dir, `${name}-app`);
  fs.mkdirSync(path.join(app, 'images'), { recursive: true });
  const db = path.join(app, 'register.db');
  run('sqlite3', [db, 'PRAGMA user_version = 0; VACUUM;']);
  fs.writeFileSync(path.join(app, 'settings.json'), '{}\n');
  const home = path.join(dir, `${name}-home`);
  const c = await BackupCenter.init({
    home,
    name,
    profile: 'pos',
    database: db,
    files: path.join(app, 'images'),
    settings: path.join(app, 'settings.json'),
  });
  c.close();
  return { home, db };
}

describe('restore: trust and adoption', () => {
  const dir = tempDir();
  const aHome = path.join(dir, 'a');
  const bHome = path.join(dir, 'b');
  const aDb = path.join(aHome, 'demo-register', 'register.db');
  let a: BackupCenter;
  let b: BackupCenter;
  before(async () => {
    await BackupCenter.createDemo(aHome, { profile: 'pos', images: 3, receipts: 20 });
    await BackupCenter.createDemo(bHome, { profile: 'pos', images: 3, receipts: 20, seed: 7 });
    a = await BackupCenter.open(aHome);
    b = await BackupCenter.open(bHome);
  });
  after(() => {
    a.close();
    b.close();
    removeDir(dir);
  });

  it('refuses a forged archive that names this register but is signed by another key (item 1)', async () => {
    const theirs = await b.backup();
    const forged = forge(
      path.join(bHome, 'backups', theirs.archive),
      path.join(dir, 'forge'),
      bHome,
      { id: a.identity.id, fp: a.identity.publicKey && keyFingerprint(a.identity.publicKey) },
    );
    const identityBefore = JSON.stringify(a.identity);
    const price = 'SELECT price_cents FROM products WHERE id = 1';
    const priceBefore = count(aDb, price);
    for (const adopt of [false, true]) {
      await assert.rejects(
        a.restore(forged, { adopt, confirm: () => true }),
        (err) =>
          isCoffreError(err, 'FOREIGN_REGISTER') &&
          err.message.includes(keyFingerprint(b.identity.publicKey)),
      );
    }
    // Nothing changed, and no key was added to the register's trust.
    assert.equal(count(aDb, price), priceBefore);
    assert.equal(JSON.stringify(a.identity), identityBefore);
    assert.equal(
      fs.readFileSync(path.join(aHome, 'identity.json'), 'utf8').includes(b.identity.publicKey),
      false,
    );

    // A fresh installation may adopt it, and is shown the key that really
    // signed it, not the fingerprint the header claims.
    const fresh = await freshInstall(dir, 'fresh');
    const c = await BackupCenter.open(fresh.home);
    try {
      const declined = await c.restore(forged, { adopt: true, confirm: () => false });
      assert.equal(declined.plan.adopt?.keyFingerprint, keyFingerprint(b.identity.publicKey));
      assert.match(
        declined.plan.notes.join(' '),
        new RegExp(keyFingerprint(b.identity.publicKey).replace(/[+/]/g, '.')),
      );
      // Without being asked to adopt, it is refused.
      await assert.rejects(c.restore(forged), (err) => isCoffreError(err, 'FOREIGN_REGISTER'));
    } finally {
      c.close();
    }
  });

  it('keeps an adoption undoable: its safety backup is listed and --undo brings back the empty install (item 7)', async () => {
    const theirs = await b.backup({ note: 'to move' });
    const fresh = await freshInstall(dir, 'undo');
    const c = await BackupCenter.open(fresh.home);
    try {
      const applied = await c.restore(path.join(bHome, 'backups', theirs.archive), {
        adopt: true,
      });
      assert.equal(applied.applied, true);
      assert.ok(applied.safetyBackupId);
      assert.equal(c.identity.id, b.identity.id);
      const receipts = 'SELECT count(*) FROM receipts';
      assert.ok(count(fresh.db, receipts) > 0);
      // The safety backup the restore named is one of this register's backups now.
      const listed = (await c.list()).backups.map((x) => x.id);
      assert.ok(listed.includes(applied.safetyBackupId), listed.join(', '));
      const undo = await c.undoLastRestore();
      assert.equal(undo.plan.backupId, applied.safetyBackupId);
      assert.equal(undo.plan.adopt, null);
      const tables = count(fresh.db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'");
      assert.equal(tables, 0);
    } finally {
      c.close();
    }
  });

  it('carries the encryption over on adoption, and says so (item 16)', async () => {
    const keyFile = path.join(dir, 'b-age-key.txt');
    const key = await b.newEncryptionKey(keyFile);
    const theirs = await b.backup({ note: 'encrypted, to move' });
    assert.equal(theirs.encrypted, true);
    const archive = path.join(bHome, 'backups', theirs.archive);
    const identities = [key.identity];

    const fresh = await freshInstall(dir, 'enc');
    const c = await BackupCenter.open(fresh.home);
    try {
      const r = await c.restore(archive, { adopt: true, identities });
      assert.equal(r.applied, true);
      assert.deepEqual(r.adopted?.encryption, {
        archive: { method: 'age-x25519', recipients: [key.recipient] },
        after: 'kept-recipients',
        recipients: [key.recipient],
      });
      assert.match(r.plan.notes.join(' '), /encrypted to the same 1 age recipient/);
      // New backups stay encrypted to the same recipients: the old key opens them.
      assert.deepEqual(c.configuration.encryption.recipients, [key.recipient]);
      const next = await c.backup();
      assert.equal(next.encrypted, true);
      await c.verify(next.id, { identities });
    } finally {
      c.close();
    }

    // Declined: the plan and the result say that new backups will not be encrypted.
    const other = await freshInstall(dir, 'enc-declined');
    const d = await BackupCenter.open(other.home);
    try {
      const r = await d.restore(archive, { adopt: true, identities, keepEncryption: false });
      assert.equal(r.adopted?.encryption.after, 'unencrypted');
      assert.match(r.plan.notes.join(' '), /will not be/);
      assert.deepEqual(d.configuration.encryption.recipients, []);
    } finally {
      d.close();
    }
  });
});
