// Issue 10, items 4, 5, 11, 14, 15, 20, 21, 22: rules of the settings,
// destinations, schedule, backup and verify services, in-process on real
// demo homes with an injected clock.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { BackupCenter } from '../../src/center.js';
import { isCoffreError } from '../../src/core/errors.js';
import { spawn } from 'node:child_process';
import { formatSize, parseSize } from '../../src/core/quota.js';
import { readSecretFile } from '../../src/state/secrets.js';
import { CLI, coffre, removeDir, tempDir } from '../helpers.js';

describe('issue 10 item 4: encryption settings are refused when they would fail every backup', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const now = new Date('2026-11-20T09:00:00Z');
  let center: BackupCenter;

  before(async () => {
    await BackupCenter.createDemo(home, { profile: 'pos', images: 1, receipts: 5 });
    center = await BackupCenter.open(home, { clock: () => now });
  });
  after(() => {
    center.close();
    removeDir(dir);
  });

  it('refuses an empty passphrase file, or one others can read, and keeps the setting as it was', async () => {
    const before = JSON.stringify(center.configuration.encryption);
    const empty = path.join(dir, 'empty.pass');
    fs.writeFileSync(empty, '\n', { mode: 0o600 });
    await assert.rejects(
      center.setEncryption({ recipients: [], passphraseFile: empty }),
      (err) => isCoffreError(err, 'USAGE') && /empty/.test((err as Error).message),
    );
    const loose = path.join(dir, 'loose.pass');
    fs.writeFileSync(loose, 'a good passphrase\n');
    fs.chmodSync(loose, 0o644);
    await assert.rejects(
      center.setEncryption({ recipients: [], passphraseFile: loose }),
      (err) => isCoffreError(err, 'SECRET_FILE_UNSAFE') && /chmod 600/.test((err as Error).message),
    );
    // `backup --passphrase-file` reads its file through the same check.
    assert.throws(
      () => readSecretFile(loose),
      (err) => isCoffreError(err, 'SECRET_FILE_UNSAFE'),
    );
    assert.equal(JSON.stringify(center.configuration.encryption), before);
    fs.chmodSync(loose, 0o600);
    await center.setEncryption({ recipients: [], passphraseFile: loose });
    assert.equal(center.configuration.encryption.passphraseFile, loose);
  });

  it('refuses to stop encrypting the backups of a SQLCipher database', async () => {
    const appDir = path.join(dir, 'cipher-app');
    fs.mkdirSync(appDir);
    const file = path.join(appDir, 'books.db');
    const keyFile = path.join(appDir, 'db.key');
    fs.writeFileSync(keyFile, 'k3y\n', { mode: 0o600 });
    const db = new Database(file);
    db.pragma(`cipher = 'sqlcipher'`);
    db.pragma('legacy = 4');
    db.pragma(`key = 'k3y'`);
    db.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER)');
    db.close();
    const cipher = await BackupCenter.init({
      home: path.join(dir, 'cipher-home'),
      name: 'Cipher',
      profile: 'generic',
      database: file,
      databaseKeyFile: keyFile,
      now,
    });
    try {
      await cipher.newEncryptionKey(null);
      await assert.rejects(cipher.setEncryption({ recipients: [], passphraseFile: null }), (err) =>
        isCoffreError(err, 'ENCRYPTION_REQUIRED'),
      );
      assert.equal(cipher.configuration.encryption.recipients.length, 1);
      // Its backups still work.
      assert.ok((await cipher.backup()).encrypted);
    } finally {
      cipher.close();
    }
  });
});

describe('issue 10 item 5: two destinations on the same place are refused at add', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  let center: BackupCenter;

  before(async () => {
    await BackupCenter.createDemo(home, { profile: 'pos', images: 1, receipts: 5 });
    center = await BackupCenter.open(home, { clock: () => new Date('2026-11-20T09:00:00Z') });
  });
  after(() => {
    center.close();
    removeDir(dir);
  });

  const samePlace = (err: unknown) =>
    isCoffreError(err, 'USAGE') && /already writes to that place/.test((err as Error).message);

  it('refuses a folder that is, contains or lies inside the home backups/ or another destination, through symlinks', async () => {
    const backups = path.join(home, 'backups');
    const link = path.join(dir, 'link-to-backups');
    fs.symlinkSync(backups, link);
    await assert.rejects(center.addDestination('usb', { kind: 'external', path: link }), samePlace);
    await assert.rejects(
      center.addDestination('usb', { kind: 'external', path: path.join(link, 'inner') }),
      samePlace,
    );
    await assert.rejects(center.addDestination('usb', { kind: 'external', path: home }), samePlace);
    const usb = path.join(dir, 'usb');
    fs.mkdirSync(usb);
    await center.addDestination('usb', { kind: 'external', path: usb });
    const usbLink = path.join(dir, 'usb-link');
    fs.symlinkSync(usb, usbLink);
    await assert.rejects(
      center.addDestination('usb2', { kind: 'external', path: path.join(usbLink, 'sub') }),
      samePlace,
    );
    assert.deepEqual(Object.keys(center.configuration.destinations), ['usb']);
  });

  it('sees localhost, 127.0.0.1 and [::1], default ports, case and a trailing slash as one endpoint', async () => {
    const s3 = { kind: 's3', bucket: 'shop', prefix: 'reg' };
    await center.addDestination('cloud', { ...s3, endpoint: 'http://localhost:80' });
    for (const endpoint of ['http://127.0.0.1', 'HTTP://LocalHost/', 'http://[::1]:80/']) {
      await assert.rejects(center.addDestination('cloud2', { ...s3, endpoint }), samePlace);
    }
    await assert.rejects(
      center.addDestination('cloud2', { ...s3, endpoint: 'http://127.0.0.1', prefix: 'reg/' }),
      samePlace,
    );
    // Another port, bucket or prefix is another place.
    await center.addDestination('other', { ...s3, endpoint: 'http://127.0.0.1:9000' });
    await center.addDestination('other2', { ...s3, endpoint: 'http://127.0.0.1', prefix: 'b' });
  });
});

describe('issue 10 item 11: a failed scheduled backup is retried, and staleness follows the schedule', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  let now = new Date('2026-11-19T12:00:00Z');
  const clock = () => now;
  let center: BackupCenter;

  before(async () => {
    await BackupCenter.createDemo(home, { profile: 'pos', images: 1, receipts: 5 });
    center = await BackupCenter.open(home, { clock });
    await center.setSchedule({ backup: { every: 'day', at: '02:00' }, timeZone: 'UTC' });
  });
  after(() => {
    center.close();
    removeDir(dir);
  });

  it('runs the slot again once the cause is fixed, after a restart, with a growing backoff', async () => {
    const dbFile = path.resolve(home, center.configuration.source.database);
    fs.renameSync(dbFile, dbFile + '.away');
    now = new Date('2026-11-20T02:00:30Z');
    assert.deepEqual(center.dueJobs(now), ['backup']);
    await assert.rejects(center.runScheduled('backup', now), (err) =>
      isCoffreError(err, 'SOURCE_UNAVAILABLE'),
    );
    // Not every minute: the first retry waits a few minutes.
    assert.deepEqual(center.dueJobs(new Date('2026-11-20T02:01:30Z')), []);
    now = new Date('2026-11-20T02:06:00Z');
    assert.deepEqual(center.dueJobs(now), ['backup']);
    await assert.rejects(center.runScheduled('backup', now));
    // The second failure waits longer than the first.
    assert.deepEqual(center.dueJobs(new Date('2026-11-20T02:12:00Z')), []);
    // The cause is fixed and the daemon restarts: the slot runs again.
    fs.renameSync(dbFile + '.away', dbFile);
    center.close();
    now = new Date('2026-11-20T02:20:00Z');
    center = await BackupCenter.open(home, { clock });
    assert.deepEqual(center.dueJobs(now), ['backup']);
    const ran = await center.runScheduled('backup', now);
    assert.equal(ran?.kind, 'backup');
    // Once it succeeded, the slot is done until the next one.
    assert.deepEqual(center.dueJobs(new Date('2026-11-20T23:00:00Z')), []);
    assert.deepEqual(center.dueJobs(new Date('2026-11-21T02:00:10Z')), ['backup']);
  });

  it('derives the stale threshold from the schedule unless one was set', async () => {
    await center.setSchedule({ backup: { every: 'week', day: 'fri', at: '02:00' } });
    // Six days after the last backup (2026-11-20 02:20): not stale on a weekly schedule.
    now = new Date('2026-11-26T02:20:00Z');
    assert.equal(center.staleness(now).stale, null);
    let status = await center.status(now);
    assert.equal(
      status.warnings.find((w) => w.code === 'BACKUP_STALE'),
      undefined,
    );
    // A week and a few hours: stale.
    now = new Date('2026-11-27T06:00:00Z');
    assert.notEqual(center.staleness(now).stale, null);
    status = await center.status(now);
    const stale = status.warnings.find((w) => w.code === 'BACKUP_STALE');
    assert.equal(stale?.data.staleAfterHours, 170);
    // A threshold the user set wins.
    await center.setAlerts({ staleAfterHours: 30 });
    assert.notEqual(center.staleness(new Date('2026-11-22T02:20:00Z')).stale, null);
  });
});

describe('issue 10 item 14: a backup some destinations missed is "partial", even after a SIGKILL', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const usb = path.join(dir, 'usb');
  let now = new Date('2026-11-20T09:00:00Z');
  let center: BackupCenter;

  before(async () => {
    await BackupCenter.createDemo(home, { profile: 'pos', images: 2, receipts: 5 });
    fs.mkdirSync(usb);
    center = await BackupCenter.open(home, { clock: () => now });
    await center.addDestination('usb', { kind: 'external', path: usb });
  });
  after(() => {
    center.close();
    removeDir(dir);
  });

  it('records "partial" with the destinations missed, and status warns about it', async () => {
    fs.renameSync(usb, usb + '-unplugged');
    const result = await center.backup({ to: ['local', 'usb'] });
    fs.renameSync(usb + '-unplugged', usb);
    assert.deepEqual(
      result.failed.map((f) => f.destination),
      ['usb'],
    );
    const job = center.history(1)[0];
    assert.equal(job.result, 'partial');
    assert.equal(job.backupId, result.id);
    const status = await center.status();
    const partial = status.warnings.find((w) => w.code === 'BACKUP_PARTIAL');
    assert.ok(partial, JSON.stringify(status.warnings));
    assert.deepEqual(partial.data.missing, ['usb']);
    assert.equal(partial.data.backupId, result.id);
    // A complete backup afterwards clears it.
    now = new Date('2026-11-20T10:00:00Z');
    await center.backup({ to: ['local', 'usb'] });
    assert.equal(center.history(1)[0].result, 'ok');
    assert.equal(
      (await center.status()).warnings.find((w) => w.code === 'BACKUP_PARTIAL'),
      undefined,
    );
  });

  it('closes a job killed between the local and the usb copy as partial, with its backup id', async () => {
    center.close();
    let killedId: string | null = null;
    // The kill must land after the local copy committed and before the usb
    // copy did; the window is short, so a few tries may be needed (more on a
    // loaded machine, where the polling below is slower).
    for (let attempt = 0; attempt < 40 && killedId === null; attempt++) {
      const child = spawn(
        process.execPath,
        [CLI, 'backup', '--home', home, '--to', 'local', '--to', 'usb'],
        {
          stdio: 'ignore',
        },
      );
      const closed = new Promise((resolve) => child.once('close', resolve));
      let exited = false;
      void closed.then(() => (exited = true));
      while (!exited && killedId === null) {
        let row: { backup_id: string } | undefined;
        try {
          const db = new Database(path.join(home, 'state.db'), {
            readonly: true,
            fileMustExist: true,
          });
          try {
            row = db
              .prepare(
                "SELECT backup_id FROM jobs WHERE kind = 'backup' AND result = 'running' AND backup_id IS NOT NULL",
              )
              .get() as { backup_id: string } | undefined;
          } finally {
            db.close();
          }
        } catch {
          row = undefined;
        }
        if (row) {
          child.kill('SIGSTOP');
          const onUsb = fs
            .readdirSync(usb)
            .some((f) => f.startsWith(row.backup_id) && f.endsWith('.json'));
          if (!onUsb) killedId = row.backup_id;
          child.kill('SIGKILL');
          break;
        }
        await new Promise((r) => setTimeout(r, 1));
      }
      if (!exited) child.kill('SIGKILL');
      await closed;
    }
    assert.ok(killedId, 'never caught the backup between its two commits');
    now = new Date('2026-11-20T12:00:00Z');
    center = await BackupCenter.open(home, { clock: () => now });
    // The local copy is complete and listed...
    const listed = await center.list();
    assert.ok(listed.backups.some((b) => b.id === killedId && b.destination === 'local'));
    // ...and the next job that closes abandoned ones records it as partial.
    await center.backup({ to: ['local'] });
    const job = center.history(10).find((j) => j.backupId === killedId);
    assert.equal(job?.result, 'partial');
    assert.match(job.errorMessage ?? '', /interrupted/);
  });
});

describe('issue 10 item 22: the user chooses the local destination folder', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  let now = new Date('2026-11-20T09:00:00Z');
  let center: BackupCenter;

  before(async () => {
    await BackupCenter.createDemo(home, { profile: 'pos', images: 1, receipts: 5 });
    center = await BackupCenter.open(home, { clock: () => now });
  });
  after(() => {
    center.close();
    removeDir(dir);
  });

  it('refuses a folder that is missing, a file, or inside the app files folder', async () => {
    const usage = (re: RegExp) => (err: unknown) =>
      isCoffreError(err, 'USAGE') && re.test((err as Error).message);
    await assert.rejects(
      center.updateDestination('local', { path: path.join(dir, 'nowhere') }),
      usage(/does not exist/),
    );
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'x');
    await assert.rejects(center.updateDestination('local', { path: file }), usage(/not a folder/));
    const files = path.resolve(home, center.configuration.source.files!);
    const inside = path.join(files, 'backups');
    fs.mkdirSync(inside);
    await assert.rejects(
      center.updateDestination('local', { path: inside }),
      usage(/app's files folder/),
    );
    fs.rmdirSync(inside);
    assert.equal(center.configuration.localPath, null);
  });

  it('writes new backups to the chosen folder, and says how many stay behind in the old one', async () => {
    const first = await center.backup();
    const chosen = path.join(dir, 'chosen');
    fs.mkdirSync(chosen);
    const info = await center.updateDestination('local', { path: chosen });
    assert.equal(info.location, chosen);
    assert.deepEqual(info.leftBehind, { folder: path.join(home, 'backups'), backups: 1 });
    now = new Date('2026-11-20T10:00:00Z');
    const second = await center.backup();
    assert.ok(fs.readdirSync(chosen).some((f) => f.startsWith(second.id)));
    // Nothing was moved silently: the first backup is still where it was.
    assert.ok(fs.readdirSync(path.join(home, 'backups')).some((f) => f.startsWith(first.id)));
    assert.deepEqual(
      (await center.list()).backups.map((b) => b.id),
      [second.id],
    );
    // Another destination may not take the chosen folder.
    await assert.rejects(center.addDestination('usb', { kind: 'external', path: chosen }), (err) =>
      isCoffreError(err, 'USAGE'),
    );
    const back = await center.updateDestination('local', { path: null });
    assert.equal(back.location, path.join(home, 'backups'));
    assert.deepEqual(back.leftBehind, { folder: chosen, backups: 1 });
  });
});

describe('issue 10 item 15: a check that could not be done is reported as not done', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const now = new Date('2026-11-20T09:00:00Z');
  let center: BackupCenter;
  let id: string;

  before(async () => {
    await BackupCenter.createDemo(home, { profile: 'pos', images: 1, receipts: 5 });
    center = await BackupCenter.open(home, { clock: () => now });
    await center.newEncryptionKey(null);
    id = (await center.backup()).id;
  });
  after(() => {
    center.close();
    removeDir(dir);
  });

  it('a deep verification without the key is "not-done", recorded so, and no test restore counts', async () => {
    const report = await center.verify(id, { deep: true });
    assert.equal(report.status, 'not-done');
    assert.equal(report.level, 'fingerprint');
    assert.equal(report.requested, 'deep');
    assert.equal(center.history(1)[0].result, 'partial');
    assert.equal((await center.status()).lastTestRestore, null);
    // The CLI says so with its own exit code.
    const cli = coffre(['verify', id, '--deep', '--home', home]);
    assert.equal(cli.status, 21, cli.stdout + cli.stderr);
    assert.match(cli.stdout, /NOT VERIFIED/);
    assert.doesNotMatch(cli.stdout, /\bOK\b/);
  });

  it('a loose encrypted archive without its sidecar, damaged, is not called verified', async () => {
    const archive = fs.readdirSync(path.join(home, 'backups')).find((f) => f.endsWith('.age'))!;
    const loose = path.join(dir, archive);
    const bytes = fs.readFileSync(path.join(home, 'backups', archive));
    bytes[bytes.length - 100] ^= 0xff;
    fs.writeFileSync(loose, bytes);
    const report = await center.verify(loose);
    assert.equal(report.status, 'not-done');
    assert.equal(report.level, 'none');
  });
});

describe('issue 10 item 20: display details', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const other = path.join(dir, 'other');
  const shared = path.join(dir, 'shared');
  let now = new Date('2026-11-20T09:00:00Z');
  let center: BackupCenter;

  before(async () => {
    await BackupCenter.createDemo(home, { profile: 'pos', images: 1, receipts: 5 });
    await BackupCenter.createDemo(other, { profile: 'pos', images: 1, receipts: 5 });
    fs.mkdirSync(shared);
    center = await BackupCenter.open(home, { clock: () => now });
  });
  after(() => {
    center.close();
    removeDir(dir);
  });

  it('formats a quota in the units it was given', () => {
    assert.equal(formatSize(parseSize('30MB')), '30 MB (28.6 MiB)');
    assert.equal(formatSize(parseSize('1.5TB')), '1.5 TB (1.4 TiB)');
    assert.equal(formatSize(parseSize('10GiB')), '10 GiB');
    assert.equal(formatSize(512), '512 B');
  });

  it('counts only this register backups in a shared destination', async () => {
    const them = await BackupCenter.open(other);
    await them.addDestination('shared', { kind: 'external', path: shared });
    await them.backup({ to: ['shared'] });
    them.close();
    await center.addDestination('shared', { kind: 'external', path: shared });
    await center.backup({ to: ['shared'] });
    const info = (await center.destinations()).find((d) => d.name === 'shared');
    assert.equal(info?.usage?.backups, 1);
  });

  it('gives the next run in the schedule time zone, and failure times not as raw ISO', async () => {
    await center.setSchedule({ backup: { every: 'day', at: '02:00' }, timeZone: 'Asia/Tokyo' });
    const info = center.scheduleInfo(now);
    assert.equal(info.backup?.nextLocal, '2026-11-21 02:00');
    const db = path.resolve(home, center.configuration.source.database);
    fs.renameSync(db, db + '.away');
    now = new Date('2026-11-20T10:00:00Z');
    await assert.rejects(center.backup());
    fs.renameSync(db + '.away', db);
    const failed = (await center.status(now)).warnings.find((w) => w.code === 'LAST_BACKUP_FAILED');
    assert.match(failed?.message ?? '', /\(2026-11-20 19:00 Asia\/Tokyo\)/);
    assert.doesNotMatch(failed?.message ?? '', /T10:00:00/);
  });

  it('lists backups and plans a prune in the same order, oldest first', async () => {
    for (const h of [11, 12, 13]) {
      now = new Date(`2026-11-20T${h}:00:00Z`);
      await center.backup({ origin: 'automatic', applyRetention: false });
    }
    const listed = (await center.list()).backups.filter((b) => b.destination === 'local');
    const plan = await center.retentionPlan(now, ['local']);
    assert.deepEqual(
      plan.entries.map((e) => e.id),
      listed.map((b) => b.id),
    );
    assert.ok(listed[0].createdAt < listed[listed.length - 1].createdAt);
  });
});
