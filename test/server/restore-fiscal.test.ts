// The JSON API and a restore that takes receipts out of the fiscal chain, in
// process on a real demo home: the plan shows which receipts leave it, the
// restore is refused (400, nothing changed, no fiscal archive) unless the
// request accepts that too, and then the fiscal archive is written first and
// named in the result.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import type { FastifyInstance } from 'fastify';
import type { BackupCenter, RestorePlan } from '../../src/index.js';
import { addDemoReceipt } from '../../src/source/demo.js';
import { removeDir, tempDir } from '../helpers.js';
import { call, demoCenter, server, signIn, type Signed } from './http.js';

const PASSWORD = 'a long enough password';

describe('POST /api/restore and a fiscal rewind', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const clock = () => new Date();
  let center: BackupCenter;
  let app: FastifyInstance;
  let db: string;
  let backupId: string;
  let s: Signed;

  const receipts = (): number => {
    const d = new Database(db, { readonly: true });
    try {
      return d.prepare('SELECT count(*) FROM receipts').pluck().get() as number;
    } finally {
      d.close();
    }
  };
  const restore = (extra: Record<string, unknown>) =>
    call(app, 'POST', '/api/restore', {
      as: s,
      payload: { ref: backupId, password: PASSWORD, confirmation: 'RESTORE', ...extra },
    });

  before(async () => {
    center = await demoCenter(home, clock, { receipts: 20 });
    app = await server(center);
    await center.users.add('admin', PASSWORD, ['export', 'settings']);
    db = path.resolve(home, center.configuration.source.database);
    backupId = (await center.backup()).id;
    const live = new Database(db);
    for (let i = 0; i < 3; i++) addDemoReceipt(live, new Date(Date.now() + i * 60_000));
    live.close();
    s = await signIn(app, 'admin', PASSWORD);
  });
  after(async () => {
    await app.close();
    center.close();
    removeDir(dir);
  });

  it('shows in the plan which receipts would leave the chain', async () => {
    const r = await call(app, 'POST', '/api/restore/plan', { as: s, payload: { ref: backupId } });
    assert.equal(r.statusCode, 200, r.body);
    const rewind = r.json<RestorePlan>().fiscalRewind;
    assert.ok(rewind, 'the plan has the rewind');
    assert.equal(rewind.rewind.records.count, 3);
    assert.equal(rewind.rewind.records.fromSeq, 21);
    assert.equal(rewind.rewind.records.toSeq, 23);
    assert.equal(rewind.rewind.after.records, 20);
    assert.match(rewind.message, /^receipts #21–#23 \(.*\) will leave the fiscal chain/);
  });

  it('refuses the restore without acceptFiscalRewind, or with it false: nothing changed', async () => {
    for (const extra of [{}, { acceptFiscalRewind: false }]) {
      const r = await restore(extra);
      assert.equal(r.statusCode, 400, r.body);
      const error = r.json<{ error: { code: string; message: string; details?: object } }>().error;
      assert.equal(error.code, 'USAGE');
      assert.match(error.message, /fiscal records out of the register's chain/);
      assert.deepEqual(error.details, { fiscalRewind: true });
    }
    assert.equal(receipts(), 23, 'nothing restored');
    assert.deepEqual((await center.fiscalArchives()).archives, [], 'no fiscal archive');
  });

  it('restores with acceptFiscalRewind, after writing the fiscal archive it names', async () => {
    const bad = await restore({ acceptFiscalRewind: 'yes' });
    assert.equal(bad.statusCode, 400, 'a boolean, not a word');
    const r = await restore({ acceptFiscalRewind: true });
    assert.equal(r.statusCode, 200, r.body);
    const result = r.json<{ applied: boolean; fiscalArchive: string | null }>();
    assert.equal(result.applied, true);
    assert.ok(result.fiscalArchive);
    assert.equal(receipts(), 20);
    const kept = (await center.fiscalArchives()).archives.filter(
      (a) => a.archive === result.fiscalArchive,
    );
    assert.ok(kept.length > 0, 'the fiscal archive is listed');
    assert.ok(kept.every((a) => a.kind === 'rewind' && a.records === 3));
  });

  it('does not ask again when the restore rewinds nothing', async () => {
    const r = await restore({});
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json<{ applied: boolean }>().applied, true);
  });
});
