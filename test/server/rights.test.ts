// Issue 12: every route of the Backup center against every role (signed out,
// no right, Export data only, Manage settings only, both). The expected
// status comes from the route's declared access, so a route added to the
// table is checked here at once; a route added without a declared access
// cannot be registered at all.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { decide, isAccess, type BackupCenter, type Right } from '../../src/index.js';
import { createServer, routeTable } from '../../src/server/index.js';
import { removeDir, tempDir } from '../helpers.js';
import { call, demoCenter, server, signIn, type Signed } from './http.js';

const PASSWORD = 'a long enough password';
const ROLES: { name: string; rights: Right[] | null }[] = [
  { name: 'signed-out', rights: null },
  { name: 'none', rights: [] },
  { name: 'accountant', rights: ['export'] },
  { name: 'settings', rights: ['settings'] },
  { name: 'admin', rights: ['export', 'settings'] },
];

describe('rights: every route against every role (issue 12)', () => {
  const dir = tempDir();
  const now = new Date('2026-11-20T09:00:00Z');
  let center: BackupCenter;
  let app: FastifyInstance;
  const sessions = new Map<string, Signed>();

  before(async () => {
    center = await demoCenter(path.join(dir, 'home'), () => now);
    await center.backup();
    app = await server(center);
    for (const role of ROLES) {
      if (role.rights === null) continue;
      await center.users.add(role.name, PASSWORD, role.rights);
    }
  });
  after(async () => {
    await app.close();
    center.close();
    removeDir(dir);
  });

  /** A fresh session per call: some routes (sign out) end the one they are given. */
  async function as(role: string): Promise<Signed> {
    const s = sessions.get(role);
    if (s && center.users.session(s.cookie.split('=')[1])) return s;
    const fresh = await signIn(app, role, PASSWORD);
    sessions.set(role, fresh);
    return fresh;
  }

  it('gives every route of the table a declared access', () => {
    const table = routeTable(app);
    assert.ok(table.length >= 25, `only ${table.length} routes`);
    for (const r of table) assert.ok(isAccess(r.access), `${r.method} ${r.url}`);
    // Tabs of an accountant: status and fiscal, fiscal export, archive download; nothing more.
    const exportOnly = table
      .filter((r) => decide(r.access, ['export']) === 'ok' && r.access !== 'public')
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    // The page's own routes (the two tabs, their forms, sign-out) follow the same rights.
    assert.deepEqual(exportOnly, [
      'GET /',
      'GET /api/backups',
      'GET /api/backups/:id/download',
      'GET /api/events',
      'GET /api/fiscal/archives',
      'GET /api/fiscal/audit',
      'GET /api/status',
      'GET /fiscal',
      'GET /status',
      'POST /api/auth/logout',
      'POST /api/fiscal/export',
      'POST /fiscal/audit',
      'POST /fiscal/export',
      'POST /logout',
    ]);
  });

  it('gives Manage settings alone what the page gives it: the Status tab, nothing that acts', () => {
    // The full Backup center needs both rights, over the API as on the page.
    const settingsOnly = routeTable(app)
      .filter((r) => decide(r.access, ['settings']) === 'ok' && r.access !== 'public')
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    assert.deepEqual(settingsOnly, [
      'GET /',
      'GET /api/events',
      'GET /api/status',
      'GET /status',
      'POST /api/auth/logout',
      'POST /logout',
    ]);
  });

  it('refuses a route registered without a declared access', async () => {
    const other = await createServer(center);
    assert.throws(
      () => other.get('/api/undeclared', () => ({ leaked: true })),
      /no declared access/,
    );
    await other.close();
  });

  for (const role of ROLES) {
    it(`answers each route as its access says for ${role.name}`, async () => {
      const wrong: string[] = [];
      // Signing out last: it ends the session the other calls use.
      const routes = [...routeTable(app)].sort(
        (a, b) => Number(a.url === '/api/auth/logout') - Number(b.url === '/api/auth/logout'),
      );
      for (const r of routes) {
        if (r.url === '/api/events') continue; // a stream: checked in its own test
        const url = r.url.replace(':id', r.url.includes('jobs') ? '999999' : 'nosuchbackup');
        const session = role.rights === null ? null : await as(role.name);
        const res = await call(app, r.method, url, {
          as: session,
          ...(r.method === 'GET' ? {} : { payload: {} }),
        });
        const verdict = decide(r.access, role.rights);
        const expected =
          verdict === 'auth' ? (r.page ? [303] : [401]) : verdict === 'forbidden' ? [403] : null;
        const ok = expected
          ? expected.includes(res.statusCode)
          : ![401, 403].includes(res.statusCode) && res.statusCode < 500;
        if (!ok) wrong.push(`${r.method} ${r.url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
        if (verdict === 'forbidden') assert.equal(res.json().error.code, 'FORBIDDEN');
        if (verdict === 'auth' && !r.page) assert.equal(res.json().error.code, 'AUTH_REQUIRED');
      }
      assert.deepEqual(wrong, []);
    });
  }

  it('applies the same rights to a user the host app signs in', async () => {
    const hosted = await server(center, {
      authenticate: (req) =>
        req.headers['x-host-user'] === 'clerk' ? { user: 'clerk', rights: ['export'] } : null,
    });
    const me = await hosted.inject({ url: '/api/auth/me', headers: { 'x-host-user': 'clerk' } });
    assert.equal(me.json().user, 'clerk');
    const status = await hosted.inject({ url: '/api/status', headers: { 'x-host-user': 'clerk' } });
    assert.equal(status.statusCode, 200);
    const backup = await hosted.inject({
      method: 'POST',
      url: '/api/backup',
      headers: {
        'x-host-user': 'clerk',
        origin: 'http://localhost:80',
        'x-csrf-token': me.json().csrf,
      },
      payload: {},
    });
    assert.equal(backup.statusCode, 403);
    await hosted.close();
  });
});
