// Issue 12, the CLI contract of `coffre user` and `coffre serve`: users
// added, listed, changed and removed with --json and exit codes; the server
// started on a free loopback port answers, and refuses a public address
// without TLS unless told.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, coffre, removeDir, tempDir } from '../helpers.js';

describe('coffre user and coffre serve (issue 12)', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const pw = path.join(dir, 'pw');

  before(() => {
    assert.equal(coffre(['demo', '--home', home, '--json']).status, 0);
    fs.writeFileSync(pw, 'a long enough password\n', { mode: 0o600 });
  });
  after(() => removeDir(dir));

  it('adds, lists, changes and removes users, with --json and exit codes', () => {
    const add = coffre([
      'user',
      'add',
      'alice',
      '--rights',
      'admin',
      '--password-file',
      pw,
      '--home',
      home,
      '--json',
    ]);
    assert.equal(add.status, 0, add.stderr);
    assert.deepEqual(add.json().rights, ['export', 'settings']);
    const again = coffre(['user', 'add', 'alice', '--password-file', pw, '--home', home, '--json']);
    assert.equal(again.status, 2);
    assert.equal(again.json().error.code, 'USAGE');
    // No terminal and no password file: nothing to read the password from.
    const noPassword = coffre(['user', 'add', 'bob', '--home', home]);
    assert.equal(noPassword.status, 2);
    assert.match(noPassword.stderr, /--password-file/);
    const badRight = coffre([
      'user',
      'add',
      'bob',
      '--rights',
      'root',
      '--password-file',
      pw,
      '--home',
      home,
    ]);
    assert.equal(badRight.status, 2);
    assert.equal(
      coffre(['user', 'add', 'bob', '--rights', 'export', '--password-file', pw, '--home', home])
        .status,
      0,
    );
    const rights = coffre(['user', 'rights', 'bob', '--rights', 'none', '--home', home, '--json']);
    assert.equal(rights.status, 0, rights.stderr);
    assert.deepEqual(rights.json().rights, []);
    assert.equal(
      coffre(['user', 'passwd', 'bob', '--password-file', pw, '--home', home, '--json']).status,
      0,
    );
    const list = coffre(['user', 'list', '--home', home, '--json']);
    assert.deepEqual(
      list.json().map((u: { name: string; rights: string[] }) => [u.name, u.rights]),
      [
        ['alice', ['export', 'settings']],
        ['bob', []],
      ],
    );
    assert.equal(coffre(['user', 'remove', 'bob', '--home', home, '--json']).status, 0);
    const gone = coffre(['user', 'remove', 'bob', '--home', home, '--json']);
    assert.equal(gone.status, 2);
    const text = coffre(['user', 'list', '--home', home]);
    assert.match(text.stdout, /alice\s+Export data, Manage settings/);
    assert.doesNotMatch(fs.readFileSync(path.join(home, 'journal.jsonl'), 'utf8'), /long enough/);
  });

  it('serves the page on a loopback port and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [CLI, 'serve', '--listen', '127.0.0.1:0', '--home', home, '--json'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const ready = await new Promise<{ url: string }>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const line = out.split('\n').find((l) => l.includes('"ready"'));
          if (line) resolve(JSON.parse(line));
        });
        child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      });
      assert.match(ready.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetch(ready.url);
      assert.equal(page.status, 200);
      assert.match(String(page.headers.get('content-type')), /text\/html/);
      const api = await fetch(new URL('/api/status', ready.url));
      assert.equal(api.status, 401);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
  });

  it('refuses plain HTTP on a non-loopback address unless told', () => {
    const r = coffre(['serve', '--listen', '0.0.0.0:0', '--home', home, '--json']);
    assert.equal(r.status, 2);
    assert.match(r.json().error.message, /TLS/);
    const half = coffre(['serve', '--tls-cert', pw, '--home', home]);
    assert.equal(half.status, 2);
  });

  it('start (npm start) makes the demo, shows a first admin password once, and serves the page', async () => {
    const fresh = path.join(dir, 'fresh');
    const started = () =>
      spawn(process.execPath, [CLI, 'start', '--home', fresh, '--listen', '127.0.0.1:0'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const untilServing = (child: ReturnType<typeof started>) =>
      new Promise<{ out: string; url: string }>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const url = /Backup center of .* at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
          if (url) resolve({ out, url });
        });
        child.on('exit', (code) => reject(new Error(`start exited with ${code}: ${out}`)));
      });
    const first = started();
    let password: string;
    try {
      const { out, url } = await untilServing(first);
      assert.match(out, /Backup .* done/);
      password = /First sign-in: user "admin", password (\S+)/.exec(out)?.[1] ?? '';
      assert.ok(password.length >= 16, out);
      const login = await fetch(new URL('/api/auth/login', url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: new URL(url).origin },
        body: JSON.stringify({ name: 'admin', password }),
      });
      assert.equal(login.status, 200, await login.clone().text());
      assert.deepEqual((await login.json()).rights, ['export', 'settings']);
    } finally {
      first.kill('SIGTERM');
    }
    assert.equal(await new Promise((resolve) => first.on('exit', resolve)), 0);
    // Shown once: the next start serves without a new password, and no file holds it.
    const second = started();
    try {
      const { out } = await untilServing(second);
      assert.doesNotMatch(out, /First sign-in/);
    } finally {
      second.kill('SIGTERM');
    }
    await new Promise((resolve) => second.on('exit', resolve));
    const files = fs.readdirSync(fresh, { recursive: true, withFileTypes: true });
    for (const f of files.filter((e) => e.isFile() && !/\.(db|jpg|png|coffre|zst)$/.test(e.name)))
      assert.ok(
        !fs.readFileSync(path.join(f.parentPath, f.name)).includes(password),
        `${f.name} holds the password`,
      );
  });
});
