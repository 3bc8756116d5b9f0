// Issue 10 item 21: "each time you close the application" for any app:
// `coffre on-close` for its exit script, and `coffre run -- APP ARGS...`,
// which passes signals to the app, backs up when it exits (when on-close is
// enabled) and exits with the app's code. The CLI contract, spawned.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BackupCenter } from '../../src/center.js';
import { CLI, coffre, removeDir, tempDir } from '../helpers.js';

describe('coffre on-close and coffre run (issue 10 item 21)', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  before(async () => {
    await BackupCenter.createDemo(home, { profile: 'pos', images: 1, receipts: 5 });
  });
  after(() => removeDir(dir));

  const history = async () => {
    const c = await BackupCenter.open(home);
    try {
      return c.history(20);
    } finally {
      c.close();
    }
  };

  it('on-close does nothing while backing up on close is off, and backs up once it is on', async () => {
    const off = coffre(['on-close', '--home', home, '--json']);
    assert.equal(off.status, 0, off.stderr);
    assert.deepEqual(off.json(), { backup: null, skipped: 'ON_CLOSE_DISABLED' });
    assert.equal((await history()).length, 0);
    const c = await BackupCenter.open(home);
    await c.setSchedule({ onClose: true });
    c.close();
    const on = coffre(['on-close', '--home', home, '--json']);
    assert.equal(on.status, 0, on.stderr);
    assert.equal(on.json().skipped, null);
    const job = (await history())[0];
    assert.equal(job.backupId, on.json().backup.id);
    assert.equal(job.trigger, 'on-close');
  });

  it('run backs the app up when it exits and passes its exit code through', async () => {
    const r = coffre([
      'run',
      '--home',
      home,
      '--json',
      '--',
      process.execPath,
      '-e',
      'process.exit(3)',
    ]);
    assert.equal(r.status, 3, r.stderr);
    const out = r.json();
    assert.equal(out.app.exitCode, 3);
    const job = (await history())[0];
    assert.equal(job.trigger, 'run');
    assert.equal(job.backupId, out.backup.id);
  });

  it('run passes SIGTERM to the app, then backs up and exits with the app code', async () => {
    const script =
      "process.on('SIGTERM', () => { console.log('app got SIGTERM'); process.exit(7); }); console.log('ready'); setInterval(() => {}, 1000);";
    const child = spawn(
      process.execPath,
      [CLI, 'run', '--home', home, '--', process.execPath, '-e', script],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('ready')) resolve();
      }),
    );
    const before = (await history()).length;
    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child.once('close', resolve));
    assert.equal(code, 7, stderr);
    assert.match(stdout, /app got SIGTERM/);
    assert.match(stderr, /backup .* taken as the app closed/);
    assert.equal((await history()).length, before + 1);
  });
});
