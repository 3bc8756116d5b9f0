// Issue 10, items 17 and 13, the CLI contract: inputs that used to reach the
// user as "something unexpected happened" (a stack trace, no JSON under
// --json, or a hang) each get their own code, exit code and advice; a full
// home disk gives DISK_FULL for every command, even `status`.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EXIT_CODES } from '../../src/cli/messages.js';
import type { ErrorCode } from '../../src/core/errors.js';
import { CLI, coffre, removeDir, run, tempDir, type CliResult } from '../helpers.js';

/** The command failed cleanly: this code, its exit code, a hint, JSON, no stack trace. */
function refused(r: CliResult, code: ErrorCode, what: string): Record<string, any> {
  assert.doesNotMatch(r.stderr, /\n\s+at |unexpected/, `${what}: ${r.stderr}`);
  let out: any;
  try {
    out = r.json();
  } catch {
    assert.fail(`${what}: no JSON on stdout (${r.status}): ${r.stdout}${r.stderr}`);
  }
  assert.equal(out.error?.code, code, `${what}: ${r.stdout}`);
  assert.equal(r.status, EXIT_CODES[code], `${what}: exit ${r.status}`);
  assert.ok(typeof out.error.hint === 'string' && out.error.hint.length > 20, `${what}: a hint`);
  return out.error;
}

describe('bad inputs get their own code (issue 10, item 17)', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  after(() => removeDir(dir));
  before(() => {
    assert.equal(coffre(['demo', '--home', home, '--images', '2']).status, 0);
  });

  /** A copy of the demo home, changed by `change`. */
  function homeCopy(name: string, change: (h: string) => void): string {
    const h = path.join(dir, name);
    fs.cpSync(home, h, { recursive: true });
    // The config names the app's files by absolute path: point it at the copy's.
    const config = path.join(h, 'config.json');
    fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replaceAll(home + '/', h + '/'));
    change(h);
    return h;
  }

  it('an identity.json cut short', () => {
    const h = homeCopy('cut-identity', (h) => {
      const file = path.join(h, 'identity.json');
      fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 100));
    });
    const e = refused(coffre(['status', '--home', h, '--json']), 'IDENTITY_INVALID', 'status');
    assert.match(e.message, /identity\.json/);
  });

  it('a home that is a file', () => {
    const file = path.join(dir, 'home-file');
    fs.writeFileSync(file, 'not a folder');
    for (const args of [['status'], ['backup'], ['list']]) {
      const e = refused(coffre([...args, '--home', file, '--json']), 'HOME_UNAVAILABLE', args[0]);
      assert.match(e.message, /not a folder/);
    }
  });

  it('a home the user cannot read', (t) => {
    const h = homeCopy('private-home', (h) => fs.chmodSync(h, 0o700));
    const asRoot = process.getuid?.() === 0;
    if (!asRoot && process.getuid?.() === fs.statSync(h).uid) {
      // As its owner: take the rights away instead.
      fs.chmodSync(h, 0o000);
    }
    // Root reads every folder: run the command as nobody, as another user would.
    const args = [CLI, 'status', '--home', h, '--json'];
    const r = asRoot
      ? spawnSync(
          'setpriv',
          ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args],
          {
            encoding: 'utf8',
          },
        )
      : spawnSync(process.execPath, args, { encoding: 'utf8' });
    if (r.error) {
      t.skip(`cannot run as another user: ${r.error.message}`);
      return;
    }
    fs.chmodSync(h, 0o700);
    const e = refused(
      {
        status: r.status ?? -1,
        stdout: r.stdout,
        stderr: r.stderr,
        json: () => JSON.parse(r.stdout),
      },
      'HOME_UNAVAILABLE',
      'status as another user',
    );
    assert.match(e.message, /cannot be read|permission/i);
  });

  it('a database path that is a folder', () => {
    const folder = path.join(dir, 'db-folder');
    fs.mkdirSync(folder);
    const init = coffre([
      'init',
      '--home',
      path.join(dir, 'home-db-folder'),
      '--db',
      folder,
      '--profile',
      'generic',
      '--name',
      'Folder',
      '--json',
    ]);
    refused(init, 'NOT_A_DATABASE', 'init');
    // A config that names a folder (the database was replaced by one).
    const h = homeCopy('db-became-folder', (h) => {
      const db = path.join(h, 'demo-register', 'register.db');
      fs.rmSync(db);
      fs.mkdirSync(db);
    });
    for (const args of [['backup'], ['status']]) {
      const e = refused(coffre([...args, '--home', h, '--json']), 'NOT_A_DATABASE', args[0]);
      assert.match(e.message, /folder/);
    }
  });

  it('a database file that is not SQLite at all is not called encrypted', () => {
    const h = homeCopy('db-not-sqlite', (h) => {
      const db = path.join(h, 'demo-register', 'register.db');
      fs.writeFileSync(db, 'id,name,price\n1,baguette,1.10\n'.repeat(200));
    });
    const e = refused(coffre(['backup', '--home', h, '--json']), 'NOT_A_DATABASE', 'backup');
    assert.doesNotMatch(e.message, /is encrypted|no key|databaseKeyFile/);
    assert.doesNotMatch(e.hint, /key/);
    const init = coffre([
      'init',
      '--home',
      path.join(dir, 'home-not-sqlite'),
      '--db',
      path.join(h, 'demo-register', 'register.db'),
      '--profile',
      'generic',
      '--name',
      'Csv',
      '--json',
    ]);
    refused(init, 'NOT_A_DATABASE', 'init');
  });

  it('verify of a folder path, and of a FIFO (which used to hang)', () => {
    const folder = path.join(dir, 'not-an-archive');
    fs.mkdirSync(folder);
    const e = refused(coffre(['verify', folder, '--home', home, '--json']), 'USAGE', 'folder');
    assert.match(e.message, /folder/);
    const fifo = path.join(dir, 'pipe.tar.zst');
    run('mkfifo', [fifo]);
    const r = spawnSync(process.execPath, [CLI, 'verify', fifo, '--home', home, '--json'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(r.signal, null, 'verify of a FIFO must not hang');
    refused(
      {
        status: r.status ?? -1,
        stdout: r.stdout,
        stderr: r.stderr,
        json: () => JSON.parse(r.stdout),
      },
      'USAGE',
      'fifo',
    );
  });

  it('history --limit -1, 0 and abc are usage errors', () => {
    for (const bad of ['-1', '0', 'abc', '2.5']) {
      refused(coffre(['history', '--home', home, '--limit', bad, '--json']), 'USAGE', bad);
    }
    const ok = coffre(['history', '--home', home, '--limit', '1', '--json']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.json().length, 1);
  });
});

describe('a full home disk (issue 10, item 13)', () => {
  const dir = tempDir();
  const mnt = path.join(dir, 'small');
  let mounted = false;
  after(() => {
    if (mounted) run('umount', [mnt]);
    removeDir(dir);
  });

  it('every command says DISK_FULL with advice, even status', (t) => {
    fs.mkdirSync(mnt);
    try {
      run('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
      mounted = true;
    } catch {
      t.skip('mounting a small tmpfs needs root');
      return;
    }
    const data = path.join(dir, 'data');
    assert.equal(coffre(['demo', '--home', data, '--images', '2']).status, 0);
    const h = path.join(mnt, 'home');
    const init = coffre([
      'init',
      '--home',
      h,
      '--db',
      path.join(data, 'demo-register', 'register.db'),
      '--profile',
      'pos',
      '--name',
      'Full disk',
    ]);
    assert.equal(init.status, 0, init.stderr);
    // Fill the disk to the last block.
    try {
      run('dd', ['if=/dev/zero', `of=${path.join(mnt, 'filler')}`, 'bs=4k']);
    } catch {
      // dd stops with "No space left on device": that is the point.
    }
    assert.equal(fs.statfsSync(mnt).bavail, 0);
    for (const args of [
      ['status'],
      ['list'],
      ['history'],
      ['backup'],
      ['destination', 'list'],
      ['schedule', 'show'],
      ['schedule', 'set', '--daily', '22:00'],
    ]) {
      const e = refused(coffre([...args, '--home', h, '--json']), 'DISK_FULL', args.join(' '));
      assert.match(e.hint, /home/, args.join(' '));
    }
    // Room again: everything works, and no half-written file was left in the home.
    fs.rmSync(path.join(mnt, 'filler'));
    const status = coffre(['status', '--home', h, '--json']);
    assert.equal(status.status, 0, status.stderr);
    const backup = coffre(['backup', '--home', h, '--json']);
    assert.equal(backup.status, 0, backup.stderr);
    assert.deepEqual(
      fs.readdirSync(h).filter((n) => n.endsWith('.tmp')),
      [],
    );
  });
});
