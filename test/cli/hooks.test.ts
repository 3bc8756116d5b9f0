// The CLI contract of issue 11's restore hooks and running-app check:
// `coffre hooks set|show|clear` (validated, --json), and a restore refused
// with exit 22 while a real process holds the database, which a hook set by
// command then stops; --force goes ahead and warns.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { coffre, coffreAsync, removeDir, ROOT, tempDir } from '../helpers.js';

const HOLDER = path.join(ROOT, 'dist/test/fixtures/db-holder.js');

/** A node process holding the database open until it is killed. */
async function holder(db: string): Promise<{ pid: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [HOLDER, db], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  return {
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('coffre hooks, and restore under a running app (issue 11)', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const db = path.join(home, 'demo-register', 'register.db');
  let backupId: string;
  before(() => {
    assert.equal(coffre(['demo', '--home', home, '--images', '3']).status, 0);
    const r = coffre(['backup', '--home', home, '--json']);
    assert.equal(r.status, 0, r.stderr);
    backupId = r.json().id;
  });
  after(() => removeDir(dir));

  it('sets, shows and clears the hooks, with --json; bad names and empty commands are usage errors', () => {
    let r = coffre(['hooks', 'show', '--home', home, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.json(), { beforeRestore: null, afterRestore: null });
    r = coffre([
      'hooks',
      'set',
      'before-restore',
      'systemctl stop caisse',
      '--home',
      home,
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.json(), { beforeRestore: 'systemctl stop caisse', afterRestore: null });
    r = coffre(['hooks', 'set', 'after-restore', 'systemctl start caisse', '--home', home]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /after-restore: +systemctl start caisse/);
    // Stored in the config, as if edited by hand.
    const config = JSON.parse(fs.readFileSync(path.join(home, 'config.json'), 'utf8'));
    assert.deepEqual(config.hooks, {
      beforeRestore: 'systemctl stop caisse',
      afterRestore: 'systemctl start caisse',
    });
    r = coffre(['hooks', 'set', 'during-restore', 'x', '--home', home, '--json']);
    assert.equal(r.status, 2);
    assert.equal(r.json().error.code, 'USAGE');
    r = coffre(['hooks', 'set', 'before-restore', '   ', '--home', home, '--json']);
    assert.equal(r.status, 2);
    assert.equal(
      coffre(['hooks', 'show', '--home', home, '--json']).json().beforeRestore,
      'systemctl stop caisse',
    );
    r = coffre(['hooks', 'clear', 'after-restore', '--home', home, '--json']);
    assert.deepEqual(r.json(), { beforeRestore: 'systemctl stop caisse', afterRestore: null });
    r = coffre(['hooks', 'clear', '--home', home, '--json']);
    assert.deepEqual(r.json(), { beforeRestore: null, afterRestore: null });
  });

  it('restore: exit 22 naming the process; a hook set by command stops it; --force warns', async () => {
    const app = await holder(db);
    try {
      let r = await coffreAsync(['restore', backupId, '--home', home, '--yes', '--json']);
      assert.equal(r.status, 22, r.stdout + r.stderr);
      const error = r.json().error;
      assert.equal(error.code, 'APP_RUNNING');
      assert.match(error.message, new RegExp(`process ${app.pid} \\(`));
      assert.match(error.hint, /coffre hooks set before-restore/);
      assert.equal(error.details.holders[0].pid, app.pid);

      // --force: restored, and the warning names the process.
      r = await coffreAsync(['restore', backupId, '--home', home, '--yes', '--force']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`WARNING: .*process ${app.pid} \\(`));

      // A before-restore hook that stops the app (and waits for it to let go).
      const stop = `kill ${app.pid}; for i in $(seq 200); do [ -z "$(ls /proc/${app.pid}/fd 2>/dev/null)" ] && exit 0; sleep 0.05; done; exit 1`;
      assert.equal(coffre(['hooks', 'set', 'before-restore', stop, '--home', home]).status, 0);
      r = await coffreAsync(['restore', backupId, '--home', home, '--yes', '--json']);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.equal(r.json().applied, true);
      assert.deepEqual(r.json().warnings, []);
    } finally {
      await app.stop();
    }
  });
});
