// Issue 12, the HTTP server in-process on a real demo home: CSRF and origin
// checks, sign-in throttling on the center's clock, sessions ended by a user
// change and by their timeouts, errors as JSON with one status per code, the
// live feed of a backup, cancel, download and upload.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import {
  BackupCenter,
  CoffreError,
  ERROR_CODES,
  isCoffreError,
  type JobFeedEvent,
} from '../../src/index.js';
import { HTTP_STATUS, toHttpError } from '../../src/server/index.js';
import { removeDir, tempDir } from '../helpers.js';
import { call, demoCenter, ORIGIN, server, signIn } from './http.js';

const PASSWORD = 'a long enough password';

describe('the Backup center server (issue 12)', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  let now = new Date('2026-11-20T09:00:00Z');
  const clock = () => now;
  let center: BackupCenter;
  let app: FastifyInstance;

  before(async () => {
    center = await demoCenter(home, clock);
    app = await server(center, { pollMs: 20 });
    await center.users.add('admin', PASSWORD, ['export', 'settings']);
  });
  after(async () => {
    await app.close();
    center.close();
    removeDir(dir);
  });

  it('sends the security headers on every answer', async () => {
    for (const url of ['/', '/api/status', '/nowhere']) {
      const r = await app.inject({ url });
      assert.match(String(r.headers['content-security-policy']), /default-src 'self'/);
      assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'none'/);
      assert.doesNotMatch(String(r.headers['content-security-policy']), /unsafe-inline/);
      assert.equal(r.headers['x-frame-options'], 'DENY');
      // No referrer to other sites; same-origin, so that browsers' form posts keep their Origin.
      assert.equal(r.headers['referrer-policy'], 'same-origin');
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
    }
  });

  it('sets an HttpOnly, SameSite=Strict cookie, a new session id at each sign-in, only its hash stored', async () => {
    const r = await call(app, 'POST', '/api/auth/login', {
      payload: { name: 'admin', password: PASSWORD },
    });
    assert.equal(r.statusCode, 200);
    const cookie = String(r.headers['set-cookie']);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.doesNotMatch(cookie, /Secure/);
    const id = cookie.split(';')[0].split('=')[1];
    const again = await signIn(app, 'admin', PASSWORD);
    assert.notEqual(again.cookie.split('=')[1], id);
    const db = fs.readFileSync(path.join(home, 'state.db'));
    assert.equal(db.includes(Buffer.from(id)), false, 'the session id itself is not stored');
  });

  it('refuses a state-changing request without the CSRF token or from another origin', async () => {
    const s = await signIn(app, 'admin', PASSWORD);
    const noToken = await call(app, 'POST', '/api/alerts/test', {
      as: s,
      headers: { 'x-csrf-token': '' },
      payload: {},
    });
    assert.equal(noToken.statusCode, 403);
    assert.equal(noToken.json().error.code, 'FORBIDDEN');
    const wrongToken = await call(app, 'POST', '/api/alerts/test', {
      as: s,
      headers: { 'x-csrf-token': 'x'.repeat(43) },
      payload: {},
    });
    assert.equal(wrongToken.statusCode, 403);
    const evil = await call(app, 'POST', '/api/alerts/test', {
      as: s,
      headers: { origin: 'https://evil.example' },
      payload: {},
    });
    assert.equal(evil.statusCode, 403);
    const noOrigin = await app.inject({
      method: 'POST',
      url: '/api/alerts/test',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
      payload: {},
    });
    assert.equal(noOrigin.statusCode, 403);
    // A same-origin Referer stands in for a missing Origin; a form posts the token as _csrf.
    const form = await app.inject({
      method: 'POST',
      url: '/api/alerts/test',
      headers: {
        cookie: s.cookie,
        referer: `${ORIGIN}/auto`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: `_csrf=${encodeURIComponent(s.csrf)}`,
    });
    assert.equal(form.statusCode, 200, form.body);
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { origin: 'https://evil.example' },
      payload: { name: 'admin', password: PASSWORD },
    });
    assert.equal(login.statusCode, 403, 'a sign-in from another site is refused too');
  });

  it('slows sign-in down per user name and per address, with a growing delay and one message', async () => {
    await center.users.add('carol', PASSWORD, ['export']);
    const attempt = (name: string, password: string, remoteAddress = '10.0.0.1') =>
      call(app, 'POST', '/api/auth/login', { payload: { name, password }, remoteAddress });
    const wrongName = await attempt('nobody', PASSWORD, '10.0.0.9');
    const wrongPassword = await attempt('carol', 'not the password');
    assert.equal(wrongName.statusCode, 401);
    assert.equal(wrongPassword.statusCode, 401);
    assert.equal(wrongName.json().error.message, wrongPassword.json().error.message);
    await attempt('carol', 'not the password');
    await attempt('carol', 'not the password');
    // Three failures: the fourth attempt must wait a second, even with the right password.
    const held = await attempt('carol', PASSWORD);
    assert.equal(held.statusCode, 429);
    assert.equal(held.headers['retry-after'], '1');
    // From another address, the user name is still held.
    assert.equal((await attempt('carol', PASSWORD, '10.0.0.2')).statusCode, 429);
    now = new Date(now.getTime() + 1000);
    await attempt('carol', 'not the password');
    const longer = await attempt('carol', PASSWORD);
    assert.equal(longer.headers['retry-after'], '2');
    now = new Date(now.getTime() + 2000);
    const ok = await attempt('carol', PASSWORD);
    assert.equal(ok.statusCode, 200, ok.body);
    // Per address: failures for many names from one address hold that address.
    for (const n of ['a1', 'a2', 'a3']) await attempt(n, 'whatever', '10.0.0.3');
    assert.equal((await attempt('admin', PASSWORD, '10.0.0.3')).statusCode, 429);
    now = new Date(now.getTime() + 1000);
    assert.equal((await attempt('admin', PASSWORD, '10.0.0.3')).statusCode, 200);
    const journal = center.log().map((e) => e.action);
    assert.ok(journal.includes('login-failed') && journal.includes('login'));
  });

  it("ends a user's sessions when their rights or password change or they are removed", async () => {
    await center.users.add('dave', PASSWORD, ['export', 'settings']);
    const status = (s: { cookie: string; csrf: string }) =>
      call(app, 'GET', '/api/status', { as: s });
    let s = await signIn(app, 'dave', PASSWORD);
    assert.equal((await status(s)).statusCode, 200);
    center.users.setRights('dave', ['export']);
    assert.equal((await status(s)).statusCode, 401);
    s = await signIn(app, 'dave', PASSWORD);
    await center.users.setPassword('dave', 'another long password');
    assert.equal((await status(s)).statusCode, 401);
    s = await signIn(app, 'dave', 'another long password');
    center.users.remove('dave');
    assert.equal((await status(s)).statusCode, 401);
    const actions = center
      .log()
      .filter((e) => e.detail.user === 'dave')
      .map((e) => e.action);
    assert.deepEqual(
      actions.filter((a) => a.startsWith('user-')),
      ['user-added', 'user-changed', 'user-changed', 'user-removed'],
    );
  });

  it('ends a session after 30 idle minutes, and after 12 hours however used', async () => {
    const s = await signIn(app, 'admin', PASSWORD);
    now = new Date(now.getTime() + 29 * 60_000);
    assert.equal((await call(app, 'GET', '/api/status', { as: s })).statusCode, 200);
    now = new Date(now.getTime() + 30 * 60_000);
    assert.equal((await call(app, 'GET', '/api/status', { as: s })).statusCode, 401);
    const busy = await signIn(app, 'admin', PASSWORD);
    for (let i = 0; i < 36; i++) {
      now = new Date(now.getTime() + 20 * 60_000);
      const r = await call(app, 'GET', '/api/auth/me', { as: busy });
      if (i < 35) assert.equal(r.json().user, 'admin', `still signed in after ${(i + 1) * 20} min`);
      else assert.equal(r.json().user, null, 'signed out after 12 hours');
    }
  });

  it('maps every error code to one HTTP status, with the words and no stack', async () => {
    for (const code of ERROR_CODES) {
      const { status, body } = toHttpError(new CoffreError(code, `message of ${code}`), 'id1');
      assert.equal(status, HTTP_STATUS[code]);
      assert.ok(status >= 400 && status < 600, code);
      assert.equal(body.error.code, code);
      if (code !== 'INTERNAL') assert.equal(body.error.message, `message of ${code}`);
    }
    const internal = toHttpError(new Error('secret path /x/y at line 3'), 'abcd');
    assert.equal(internal.status, 500);
    assert.doesNotMatch(JSON.stringify(internal.body), /secret path|at line/);
    assert.match(internal.body.error.message, /abcd/);
    // Through the server: bad input, an unknown backup, signed out.
    const s = await signIn(app, 'admin', PASSWORD);
    const bad = await call(app, 'PUT', '/api/retention', { as: s, payload: { daily: -1 } });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'USAGE');
    const missing = await call(app, 'GET', '/api/backups/nosuch/download', { as: s });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'BACKUP_NOT_FOUND');
    assert.doesNotMatch(missing.body, /--|stack/);
  });

  it('streams the live progress of a backup over server-sent events', async () => {
    const s = await signIn(app, 'admin', PASSWORD);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    assert.ok(address && typeof address === 'object');
    const base = `http://127.0.0.1:${address.port}`;
    const abort = new AbortController();
    const res = await fetch(`${base}/api/events`, {
      headers: { cookie: s.cookie },
      signal: abort.signal,
    });
    assert.equal(res.status, 200);
    assert.match(String(res.headers.get('content-type')), /text\/event-stream/);
    const events: { event: string; data: any }[] = [];
    const reading = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
          if (event === 'ended') return;
        }
      }
    })();
    const backup = await fetch(`${base}/api/backup`, {
      method: 'POST',
      headers: {
        cookie: s.cookie,
        'x-csrf-token': s.csrf,
        origin: base,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ note: 'from the page' }),
    });
    assert.equal(backup.status, 200);
    const result = (await backup.json()) as { id: string };
    await reading;
    abort.abort();
    const progress = events.filter((e) => e.event === 'progress');
    assert.ok(progress.some((e) => e.data.phase === 'archive' && e.data.kind === 'backup'));
    const ended = events.find((e) => e.event === 'ended');
    assert.equal(ended?.data.backupId, result.id);
    assert.equal(ended?.data.result, 'ok');
    await app.close();
    app = await server(center, { pollMs: 20 });
  });

  it('ends a live feed with its session, and holds a few per session at most', async () => {
    await center.users.add('hank', PASSWORD, ['export']);
    const s = await signIn(app, 'hank', PASSWORD);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    assert.ok(address && typeof address === 'object');
    const base = `http://127.0.0.1:${address.port}`;
    const feeds = await Promise.all(
      Array.from({ length: 4 }, () =>
        fetch(`${base}/api/events`, { headers: { cookie: s.cookie } }),
      ),
    );
    for (const f of feeds) assert.equal(f.status, 200);
    const fifth = await fetch(`${base}/api/events`, { headers: { cookie: s.cookie } });
    assert.equal(fifth.status, 409);
    assert.match(
      ((await fifth.json()) as { error: { message: string } }).error.message,
      /close a tab/,
    );
    const out = await call(app, 'POST', '/api/auth/logout', { as: s, payload: {} });
    assert.equal(out.statusCode, 200);
    // Each feed reaches its end: the server closed it once the session was gone.
    await Promise.all(
      feeds.map(async (f) => {
        for await (const chunk of f.body as AsyncIterable<Uint8Array>) void chunk;
      }),
    );
    await app.close();
    app = await server(center, { pollMs: 20 });
  });

  it('cancels a running backup, which leaves nothing behind', async () => {
    const before = fs.readdirSync(path.join(home, 'backups')).sort();
    const seen: JobFeedEvent[] = [];
    const stop = center.watchJobs((e) => seen.push(e), 10);
    let jobId: number | null = null;
    const s = await signIn(app, 'admin', PASSWORD);
    center.events.on('progress', function cancelOnce(p) {
      if (p.phase !== 'archive') return;
      center.events.off('progress', cancelOnce);
      jobId = p.jobId;
      void call(app, 'POST', `/api/jobs/${p.jobId}/cancel`, { as: s, payload: {} }).then((r) =>
        assert.deepEqual(r.json(), { cancelled: true }),
      );
    });
    await assert.rejects(center.backup(), (e: unknown) => isCoffreError(e, 'CANCELLED'));
    stop();
    assert.ok(jobId !== null);
    assert.deepEqual(fs.readdirSync(path.join(home, 'backups')).sort(), before);
    const tmp = path.join(home, 'tmp');
    assert.deepEqual(fs.existsSync(tmp) ? fs.readdirSync(tmp) : [], []);
    assert.equal(center.history(1)[0].errorCode, 'CANCELLED');
    assert.equal(center.history(1)[0].result, 'failed');
  });

  it('streams an archive down, and takes one up with its fingerprint checked for the restore wizard', async () => {
    const made = await center.backup();
    const s = await signIn(app, 'admin', PASSWORD);
    const down = await call(app, 'GET', `/api/backups/${made.id}/download`, { as: s });
    assert.equal(down.statusCode, 200);
    assert.match(
      String(down.headers['content-disposition']),
      /attachment; filename=".*\.tar\.zst"/,
    );
    const bytes = down.rawPayload;
    const sha = crypto.createHash('sha256').update(bytes).digest('hex');
    assert.equal(sha, made.sha256);
    assert.equal(down.headers['x-coffre-sha256'], made.sha256);
    assert.equal(Number(down.headers['content-length']), made.size);

    const name = path.basename(made.archive);
    const upload = (expected: string) =>
      call(app, 'POST', `/api/uploads?name=${encodeURIComponent(name)}&sha256=${expected}`, {
        as: s,
        headers: { 'content-type': 'application/octet-stream' },
        payload: bytes,
      });
    const damaged = await upload('0'.repeat(64));
    assert.equal(damaged.statusCode, 422);
    assert.equal(damaged.json().error.code, 'CORRUPT_ARCHIVE');
    assert.deepEqual(fs.readdirSync(path.join(home, 'uploads')), [], 'a refused upload is removed');
    const good = await upload(made.sha256);
    assert.equal(good.statusCode, 200, good.body);
    assert.equal(good.json().sha256, made.sha256);
    const plan = await call(app, 'POST', '/api/restore/plan', {
      as: s,
      payload: { upload: good.json().upload },
    });
    assert.equal(plan.statusCode, 200, plan.body);
    assert.equal(plan.json().backupId, made.id);
  });

  it('asks for the password again and a typed confirmation before a restore', async () => {
    const s = await signIn(app, 'admin', PASSWORD);
    const made = await center.backup();
    const noWord = await call(app, 'POST', '/api/restore', {
      as: s,
      payload: { ref: made.id, password: PASSWORD, confirmation: 'yes' },
    });
    assert.equal(noWord.statusCode, 400);
    const wrongPassword = await call(app, 'POST', '/api/restore', {
      as: s,
      payload: { ref: made.id, password: 'not it at all', confirmation: 'RESTORE' },
    });
    assert.equal(wrongPassword.statusCode, 401);
    const done = await call(app, 'POST', '/api/restore', {
      as: s,
      payload: { ref: made.id, password: PASSWORD, confirmation: 'RESTORE' },
    });
    assert.equal(done.statusCode, 200, done.body);
    assert.equal(done.json().applied, true);
  });
  it('never sets the alert command over the network: it runs programs on the register', async () => {
    const s = await signIn(app, 'admin', PASSWORD);
    const r = await call(app, 'PUT', '/api/alerts', {
      as: s,
      payload: { command: 'touch /tmp/owned', webhook: 'https://example.org/hook' },
    });
    assert.equal(r.statusCode, 400);
    assert.match(r.json().error.message, /set only there, with coffre alerts --command/);
    assert.deepEqual(center.alerts.command, null);
    assert.equal(center.alerts.webhook, null, 'nothing of a refused request is kept');
    const unknown = await call(app, 'PUT', '/api/alerts', { as: s, payload: { shell: 'x' } });
    assert.equal(unknown.statusCode, 400);
    const ok = await call(app, 'PUT', '/api/alerts', {
      as: s,
      payload: { webhook: 'https://example.org/hook', staleAfterHours: 30 },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(center.alerts.webhook, 'https://example.org/hook');
    assert.equal(center.alerts.staleAfterHours, 30);
    await center.setAlerts({ webhook: null, staleAfterHours: null });
  });

  it('counts sign-ins sent side by side before their passwords are checked', async () => {
    await center.users.add('erin', PASSWORD, ['export']);
    // Each from its own address: only the user name's count can hold them.
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call(app, 'POST', '/api/auth/login', {
          payload: { name: 'erin', password: `guess number ${i}` },
          remoteAddress: `10.1.0.${i + 1}`,
        }),
      ),
    );
    const codes = answers.map((r) => r.statusCode).sort();
    assert.deepEqual(
      codes,
      [401, 401, 401, 429, 429, 429, 429, 429, 429, 429],
      'three free attempts, then the wait, however many arrive at once',
    );
    // The right password must wait too, and a success clears the count.
    const held = await call(app, 'POST', '/api/auth/login', {
      payload: { name: 'erin', password: PASSWORD },
      remoteAddress: '10.1.0.99',
    });
    assert.equal(held.statusCode, 429);
    now = new Date(now.getTime() + 2000);
    const ok = await call(app, 'POST', '/api/auth/login', {
      payload: { name: 'erin', password: PASSWORD },
      remoteAddress: '10.1.0.99',
    });
    assert.equal(ok.statusCode, 200, ok.body);
    now = new Date(now.getTime() + 1000);
    const after = await call(app, 'POST', '/api/auth/login', {
      payload: { name: 'erin', password: 'wrong again' },
      remoteAddress: '10.1.0.98',
    });
    assert.equal(after.statusCode, 401, 'the count started again from zero');
  });

  it('hashes at most two passwords at once, and turns a flood away instead of queueing it all', async () => {
    // Every name and address different: no failure count holds these back.
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        call(app, 'POST', '/api/auth/login', {
          payload: { name: `flood${i}`, password: 'whatever it is' },
          remoteAddress: `10.2.0.${i + 1}`,
        }),
      ),
    );
    const busy = answers.filter((r) => r.statusCode === 429);
    const wrong = answers.filter((r) => r.statusCode === 401);
    assert.equal(wrong.length, 18, 'two hashing and sixteen waiting get their answer');
    assert.equal(busy.length, 12);
    assert.match(busy[0].json().error.message, /Too many sign-ins at once/);
    assert.equal(busy[0].headers['retry-after'], '5');
  });

  it('refuses an upload that would fill the disk of the home, before writing it', async () => {
    const s = await signIn(app, 'admin', PASSWORD);
    const uploads = () => fs.readdirSync(path.join(home, 'uploads')).sort();
    const before = uploads();
    const r = await app.inject({
      method: 'POST',
      url: '/api/uploads?name=huge.tar.zst',
      headers: {
        origin: ORIGIN,
        cookie: s.cookie,
        'x-csrf-token': s.csrf,
        'content-type': 'application/octet-stream',
        'content-length': String(2 ** 50),
      },
      payload: Buffer.alloc(16),
    });
    assert.equal(r.statusCode, 507, r.body);
    assert.equal(r.json().error.code, 'DISK_FULL');
    assert.match(r.json().error.message, /does not fit on the disk of the Coffre home/);
    assert.deepEqual(uploads(), before, 'nothing was written');
  });

  it('names backups only by id on the page, never by a path on the register', async () => {
    const s = await signIn(app, 'admin', PASSWORD);
    const outside = path.join(dir, 'outside.tar.zst');
    const made = await center.backup();
    fs.copyFileSync(path.join(home, 'backups', path.basename(made.archive)), outside);
    for (const action of ['/maintenance/delete', '/maintenance/verify']) {
      const r = await call(app, 'POST', action, {
        as: s,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `backup=${encodeURIComponent(`local|${outside}`)}`,
      });
      assert.equal(r.statusCode, 303, r.body);
      const next = await call(app, 'GET', '/maintenance', { as: s });
      assert.match(next.body, /not a backup id/, action);
    }
    assert.ok(fs.existsSync(outside));
    const { backups } = await center.list();
    assert.ok(
      backups.some((b) => b.id === made.id),
      'the backup of that name is kept',
    );
  });
  it('stops an upload of unannounced size once it would leave the home less free space than it keeps', async () => {
    const { freeBytes } = await import('../../src/state/disk.js');
    const free = freeBytes(home)!;
    // Keep all but 40 MiB: a 200 MiB upload sent without Content-Length must stop.
    const tight = await BackupCenter.open(home, {
      clock,
      uploads: { keepFreeBytes: free - 40 * 1024 ** 2 },
    });
    const folder = path.join(home, 'uploads');
    const uploads = () => (fs.existsSync(folder) ? fs.readdirSync(folder).sort() : []);
    const before = uploads();
    const chunk = Buffer.alloc(1024 ** 2);
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < 200; i++) yield chunk;
      })(),
    );
    await assert.rejects(tight.uploads.receive(body, { name: 'big.tar.zst' }), (err) => {
      assert.ok(isCoffreError(err) && err.code === 'DISK_FULL', String(err));
      assert.match(err.message, /does not fit on the disk of the Coffre home/);
      return true;
    });
    assert.deepEqual(uploads(), before, 'what was written is removed');
    assert.ok(freeBytes(home)! > free - 20 * 1024 ** 2, 'the disk got its space back');
    tight.close();
  });
  it('answers only under its addresses and the names it was given, against DNS rebinding', async () => {
    const asHost = (host: string, on = app) =>
      on.inject({ method: 'GET', url: '/api/auth/me', headers: { host } });
    const evil = await asHost('rebound.attacker.example:8470');
    assert.equal(evil.statusCode, 403);
    assert.match(
      evil.json().error.message,
      /does not answer to the name "rebound.attacker.example"/,
    );
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { host: 'rebound.attacker.example', origin: 'http://rebound.attacker.example' },
      payload: { name: 'admin', password: 'guessing' },
    });
    assert.equal(login.statusCode, 403, 'not even a password can be tried');
    assert.equal((await asHost('[::1].attacker.example')).statusCode, 403);
    for (const ok of ['127.0.0.1:8470', 'localhost', '[::1]:8470', '192.168.1.20', 'LOCALHOST.']) {
      assert.equal((await asHost(ok)).statusCode, 200, ok);
    }
    const named = await server(center, { hostNames: ['caisse.lan'] });
    assert.equal((await asHost('caisse.lan:8470', named)).statusCode, 200);
    assert.equal((await asHost('other.lan', named)).statusCode, 403);
    await named.close();
  });
  it('keeps the journal whole and honest whatever name is tried at sign-in', async () => {
    const start = center.log().length;
    // One form post with a name longer than the journal's tail used to restart its chain.
    const long = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `user=${'x'.repeat(70_000)}&password=whatever+it+is`,
      remoteAddress: '10.3.0.1',
    });
    assert.equal(long.statusCode, 401);
    // A name with a line break and a forged entry in it.
    const forged = await call(app, 'POST', '/api/auth/login', {
      payload: { name: 'eve\n#999 2026-11-20T09:00:00Z admin restore {}', password: 'whatever' },
      remoteAddress: '10.3.0.2',
    });
    assert.equal(forged.statusCode, 401);
    await center.setAlerts({ staleAfterHours: 40 });
    const entries = center.log().slice(start);
    assert.deepEqual(
      entries.map((e) => [e.action, e.actor]),
      [
        ['login-failed', 'anonymous'],
        ['login-failed', 'anonymous'],
        ['alerts-set', entries[2].actor],
      ],
    );
    assert.equal(entries[0].detail.invalidName, 70_000, 'its length, not the name');
    assert.equal(entries[2].seq, entries[0].seq + 2, 'the chain goes on');
    assert.equal(center.verifyLog().ok, true);
    await center.setAlerts({ staleAfterHours: null });
  });

  it("holds a user name a minute at most, so that nobody can keep its owner out; an address's wait grows", async () => {
    await center.users.add('frank', PASSWORD, ['export']);
    const attempt = (password: string, remoteAddress: string) =>
      call(app, 'POST', '/api/auth/login', {
        payload: { name: 'frank', password },
        remoteAddress,
      });
    // Twelve failures from one address, each after its wait: the address is held 256 s.
    for (let i = 0; i < 12; i++) {
      assert.equal((await attempt('wrong password', '10.4.0.1')).statusCode, 401);
      now = new Date(now.getTime() + 5 * 60_000);
    }
    now = new Date(now.getTime() - 5 * 60_000 + 1000);
    const address = await attempt(PASSWORD, '10.4.0.1');
    assert.equal(address.statusCode, 429);
    assert.ok(Number(address.headers['retry-after']) > 60);
    // From another address, the name waits at most a minute.
    const name = await attempt(PASSWORD, '10.4.0.2');
    assert.equal(name.statusCode, 429);
    assert.ok(Number(name.headers['retry-after']) <= 60, String(name.headers['retry-after']));
    now = new Date(now.getTime() + 60_000);
    assert.equal((await attempt(PASSWORD, '10.4.0.2')).statusCode, 200);
  });
  it('names the signed-in user in the journal for what their request does, each their own', async () => {
    await center.users.add('gina', PASSWORD, ['export', 'settings']);
    const admin = await signIn(app, 'admin', PASSWORD);
    const gina = await signIn(app, 'gina', PASSWORD);
    const start = center.log().length;
    const [a, g] = await Promise.all([
      call(app, 'PUT', '/api/alerts', { as: admin, payload: { staleAfterHours: 50 } }),
      call(app, 'POST', '/api/backup', { as: gina, payload: { note: 'by gina' } }),
    ]);
    assert.equal(a.statusCode, 200, a.body);
    assert.equal(g.statusCode, 200, g.body);
    const entries = center.log().slice(start);
    const by = (action: string) => entries.find((e) => e.action === action)?.actor;
    assert.equal(by('alerts-set'), 'admin');
    assert.equal(by('backup'), 'gina');
    assert.notEqual(center.actor, 'gina', 'outside a request, the system user acts');
    await center.setAlerts({ staleAfterHours: null });
  });
  it('keeps a line break out of the redirect after sign-in, and a long note out of a backup', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `user=admin&password=${encodeURIComponent(PASSWORD)}&next=${encodeURIComponent('/status\r\nX-Evil: 1')}`,
      remoteAddress: '10.5.0.1',
    });
    assert.equal(r.statusCode, 303, r.body);
    assert.equal(r.headers.location, '/status');
    await assert.rejects(center.backup({ note: 'n'.repeat(501) }), /500 characters at most/);
  });
  it('takes one upload at a time: several side by side would each count the same free room', async () => {
    const slow = new Readable({ read() {} });
    slow.push(Buffer.alloc(1024));
    const first = center.uploads.receive(slow, { name: 'first.tar.zst' });
    await assert.rejects(
      center.uploads.receive(Readable.from([Buffer.alloc(16)]), { name: 'second.tar.zst' }),
      (err) => isCoffreError(err) && err.code === 'BUSY',
    );
    slow.push(null);
    // Not an archive: refused once it has arrived, and the next upload may start.
    await assert.rejects(first);
    await assert.rejects(
      center.uploads.receive(Readable.from([Buffer.alloc(16)]), { name: 'third.tar.zst' }),
      (err) => isCoffreError(err) && err.code !== 'BUSY',
    );
  });
  it('names the cookie __Host- under TLS, so a sibling site cannot plant a session', async () => {
    const tls = await server(center, { secure: true });
    const r = await tls.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { origin: 'https://localhost:80' },
      payload: { name: 'admin', password: PASSWORD },
      remoteAddress: '10.6.0.1',
    });
    assert.equal(r.statusCode, 200, r.body);
    const cookie = String(r.headers['set-cookie']);
    assert.match(
      cookie,
      /^__Host-coffre_session=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Strict; Secure$/,
    );
    const id = cookie.split(';')[0].split('=')[1];
    const me = (name: string) =>
      tls.inject({ url: '/api/auth/me', headers: { cookie: `${name}=${id}` } });
    assert.equal((await me('__Host-coffre_session')).json().user, 'admin');
    assert.equal(
      (await me('coffre_session')).json().user,
      null,
      'the plain name is not read under TLS',
    );
    await tls.close();
  });
  it('offers on the page the undo of a restore made elsewhere (the library, the CLI)', async () => {
    const made = await center.backup();
    const r = await center.restore(made.id, { confirmFiscalRewind: () => true });
    assert.equal(r.applied, true);
    const s = await signIn(app, 'admin', PASSWORD);
    const page = await call(app, 'GET', '/restore', { as: s });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Undo the last restore/);
    assert.ok(page.body.includes(r.safetyBackupId!), 'it names the safety backup to go back to');
    assert.equal(center.undoableRestore(), r.safetyBackupId);
  });
});
