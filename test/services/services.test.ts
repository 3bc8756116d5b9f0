// The facade's services in-process, on a real demo home: the one clock, the
// one config store, confirmation inside the job, structured warnings, ids
// that are validated, and a clean error for an unexpected failure.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BackupCenter } from '../../src/center.js';
import { withExports } from '../../src/core/shell.js';
import { isCoffreError } from '../../src/core/errors.js';
import { ConfigStore } from '../../src/state/config.js';
import { coffre, removeDir, tempDir } from '../helpers.js';

describe('services behind the facade', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  let now = new Date('2026-11-20T09:00:00Z');
  const clock = () => now;
  let center: BackupCenter;

  before(async () => {
    await BackupCenter.createDemo(home, { profile: 'pos', images: 3, receipts: 20 });
    center = await BackupCenter.open(home, { clock });
  });
  after(() => {
    center.close();
    removeDir(dir);
  });

  it('dates backups, the history and the status with the clock it was opened with', async () => {
    const first = await center.backup();
    assert.match(first.id, /20261120-0900/);
    now = new Date('2026-11-22T09:00:00Z');
    const status = await center.status();
    assert.equal(status.lastBackup?.ageMs, 48 * 3600 * 1000);
    // Stale by its code, with the facts as data.
    const stale = status.warnings.find((w) => w.code === 'BACKUP_STALE');
    assert.equal(stale?.data.hours, 48);
    assert.equal(center.history(1)[0].startedAt, '2026-11-20T09:00:00.000Z');
  });

  it('refuses an unknown key anywhere in the config, naming it and the valid ones', async () => {
    const file = path.join(home, 'config.json');
    const good = fs.readFileSync(file, 'utf8');
    const config = JSON.parse(good);
    config.schedule.bakup = { every: 'day', at: '02:00' };
    fs.writeFileSync(file, JSON.stringify(config));
    await assert.rejects(
      ConfigStore.load(file),
      (err: Error) =>
        isCoffreError(err, 'CONFIG_INVALID') &&
        /schedule: unknown key "bakup"; the valid keys here are: backup, onClose/.test(err.message),
    );
    fs.writeFileSync(file, good);
  });

  it('validates every change whole before writing it, and keeps the file as it was', async () => {
    const file = path.join(home, 'config.json');
    const before = fs.readFileSync(file, 'utf8');
    await assert.rejects(
      center.setSchedule({ timeZone: 'Mars/Olympus' }),
      (err: Error) => isCoffreError(err, 'USAGE') && /not a time zone/.test(err.message),
    );
    await assert.rejects(center.setRetention({ daily: 1.5 }), (err: Error) =>
      isCoffreError(err, 'USAGE'),
    );
    assert.equal(fs.readFileSync(file, 'utf8'), before);
    // A patch changes only what it names.
    const policy = await center.setRetention({ daily: 3 });
    assert.equal(policy.daily, 3);
    assert.equal(policy.weekly, 4);
    assert.equal(center.configuration.retention.daily, 3);
  });

  it('prunes exactly the plan it confirmed, and a "no" deletes nothing', async () => {
    for (let d = 1; d <= 5; d++) {
      now = new Date(`2026-11-2${d + 2}T09:00:00Z`);
      await center.backup({ origin: 'automatic', applyRetention: false });
    }
    const before = (await center.list()).backups.length;
    const declined = await center.prune({ confirm: () => false });
    assert.equal(declined.applied, false);
    assert.equal((await center.list()).backups.length, before);
    let confirmed: string[] = [];
    const result = await center.prune({
      confirm: (plan) => {
        confirmed = plan.entries.filter((e) => !e.keep).map((e) => e.id);
        return true;
      },
    });
    assert.ok(confirmed.length > 0);
    assert.equal(result.deleted, confirmed.length);
    const left = (await center.list()).backups.map((b) => b.id);
    for (const id of confirmed) assert.ok(!left.includes(id));
    assert.equal(left.length, before - confirmed.length);
  });

  it('deletes by id only: a path is refused, and a file outside the destinations stays', async () => {
    const { backups } = await center.list();
    const copy = path.join(dir, backups[0].archive);
    fs.copyFileSync(path.join(home, 'backups', backups[0].archive), copy);
    for (const ref of [copy, '/etc/passwd', '../../etc/passwd']) {
      await assert.rejects(
        center.deleteBackup(ref),
        (err: Error) => isCoffreError(err, 'USAGE') && /not a backup id/.test(err.message),
        ref,
      );
    }
    assert.ok(fs.existsSync(copy));
    assert.equal((await center.list()).backups.length, backups.length);
    let asked: string[] = [];
    const kept = await center.deleteBackup(backups[0].id, {
      confirm: (copies) => {
        asked = copies.map((c) => c.destination);
        return false;
      },
    });
    assert.deepEqual(asked, ['local']);
    assert.equal(kept.applied, false);
    assert.equal((await center.list()).backups.length, backups.length);
  });

  it('passes values to a user command quoted, so that no text in them runs', () => {
    const command = withExports('printf %s "$COFFRE_MESSAGE"', {
      COFFRE_MESSAGE: `it's $(touch pwned) "quoted"`,
    });
    const { execFileSync } = process.getBuiltinModule('node:child_process');
    const printed = execFileSync('sh', ['-c', command], { cwd: dir, encoding: 'utf8' });
    assert.equal(printed, `it's $(touch pwned) "quoted"`);
    assert.ok(!fs.existsSync(path.join(dir, 'pwned')));
  });
});

describe('the command line around the services', () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  it('logs an unexpected error under the id it prints', async () => {
    const home = path.join(dir, 'home');
    await BackupCenter.createDemo(home, { profile: 'pos', images: 2, receipts: 5 });
    // A state database that is not SQLite at all: nothing names that yet,
    // so its failure is unexpected, and must still be findable.
    fs.writeFileSync(path.join(home, 'state.db'), 'not a database at all, '.repeat(200));
    const r = coffre(['history', '--home', home]);
    assert.equal(r.status, 1, r.stderr);
    const id = /error id ([0-9a-f]{8})/.exec(r.stderr)?.[1];
    assert.ok(id, r.stderr);
    assert.match(r.stderr, /logs\/errors\.log/);
    const log = fs.readFileSync(path.join(home, 'logs', 'errors.log'), 'utf8');
    const record = log
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; error: { stack: string } })
      .find((l) => l.id === id);
    assert.ok(record?.error.stack, 'the full record is in the log');
    assert.ok(!r.stderr.includes('    at '), 'no stack trace on the terminal');
    const json = coffre(['history', '--home', home, '--json']);
    assert.equal(json.json().error.code, 'INTERNAL');
    assert.match(json.json().error.id, /^[0-9a-f]{8}$/);
  });
});
