// A restore that takes receipts out of the fiscal chain, end to end on the
// services: the plan says which, the restore is refused without a second
// confirmation (and cancelled when it says no), the records go into a fiscal
// archive first (in every destination that holds fiscal archives), which
// `fiscal verify` accepts on its own, the journal says so in that order, and
// then the restore applies.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { BackupCenter, isCoffreError } from '../../src/index.js';
import { addDemoReceipt } from '../../src/source/demo.js';
import { coffre, removeDir, tempDir } from '../helpers.js';

let dir: string;
let home: string;
let usb: string;
let db: string;
const clock = { now: new Date('2026-11-30T20:00:00Z') };

function receipts(): number {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare('SELECT count(*) FROM receipts').pluck().get() as number;
  } finally {
    d.close();
  }
}

before(async () => {
  dir = tempDir('coffre-fiscal-rewind-');
  home = path.join(dir, 'home');
  usb = path.join(dir, 'usb');
  fs.mkdirSync(usb);
  const demo = await BackupCenter.createDemo(home, {
    profile: 'pos',
    images: 1,
    receipts: 200,
    days: 40,
  });
  db = path.join(demo.dataDir, 'register.db');
});
after(() => removeDir(dir));

describe('a restore that rewinds the fiscal chain', () => {
  let center: BackupCenter;
  let backupId: string;
  let monthly: string;

  before(async () => {
    center = await BackupCenter.open(home, { clock: () => clock.now });
    await center.setSchedule({ timeZone: 'Europe/Paris' });
    await center.addDestination('usb', { kind: 'external', path: usb });
    // usb holds fiscal archives from now on (local is the default destination).
    monthly = (await center.fiscalExport({ period: '2026-10', destinations: ['usb'] })).archive;
    backupId = (await center.backup()).id;
    const live = new Database(db);
    for (let i = 0; i < 5; i++)
      addDemoReceipt(live, new Date(Date.parse('2026-11-30T09:00:00Z') + i * 60_000));
    live.close();
  });
  after(() => center.close());

  it('says in the plan which receipts leave the chain, in the shop’s words', async () => {
    let seen: Awaited<ReturnType<BackupCenter['restore']>>['plan'] | null = null;
    const r = await center.restore(backupId, {
      confirm: (plan) => {
        seen = plan;
        return false;
      },
    });
    assert.equal(r.applied, false);
    const rewind = seen!.fiscalRewind!;
    assert.equal(rewind.rewind.records.count, 5);
    assert.equal(rewind.rewind.after.records, 200);
    assert.equal(
      rewind.message,
      'receipts #201–#205 (30/11 10:00–10:04, ' +
        new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(
          rewind.rewind.records.total / 100,
        ) +
        ') will leave the fiscal chain; they are written to a fiscal archive first.',
    );
  });

  it('is refused without the second confirmation, and cancelled when it says no', async () => {
    await assert.rejects(
      center.restore(backupId, { confirm: () => true }),
      (err: unknown) => isCoffreError(err, 'USAGE') && err.details?.fiscalRewind === true,
    );
    const no = await center.restore(backupId, {
      confirm: () => true,
      confirmFiscalRewind: () => false,
    });
    assert.equal(no.applied, false);
    assert.equal(receipts(), 205, 'nothing changed');
    const { archives } = await center.fiscalArchives();
    assert.deepEqual(
      archives.map((a) => a.archive),
      [monthly],
      'no fiscal archive was made',
    );
  });

  it('is refused by the CLI with --yes alone, with the flag to add', () => {
    const r = coffre(['restore', backupId, '--home', home, '--yes']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /fiscal chain/);
    assert.match(r.stderr, /--accept-fiscal-rewind/);
    assert.equal(receipts(), 205);
  });

  it('writes them to a fiscal archive first, logs it, then restores', async () => {
    const logged = center.log().length;
    let askedSecond = false;
    const r = await center.restore(backupId, {
      confirm: () => true,
      confirmFiscalRewind: (plan) => {
        askedSecond = plan.fiscalRewind !== null;
        return true;
      },
    });
    assert.ok(askedSecond);
    assert.equal(r.applied, true);
    assert.equal(receipts(), 200);
    assert.ok(r.fiscalArchive);

    // In every destination that holds fiscal archives: the default one and usb.
    const { archives } = await center.fiscalArchives();
    const kept = archives.filter((a) => a.archive === r.fiscalArchive);
    assert.deepEqual(kept.map((a) => a.destination).sort(), ['local', 'usb']);
    assert.ok(kept.every((a) => a.kind === 'rewind' && a.records === 5));
    assert.ok(kept.every((a) => a.holdUntil.startsWith('2032-11-30')));

    // An inspector's check, on its own.
    const file = path.join(usb, 'fiscal', r.fiscalArchive);
    const report = await BackupCenter.verifyFiscalArchive(file);
    assert.equal(report.ok, true, JSON.stringify(report.checks));
    assert.equal(report.header.rewind?.backupId, backupId);
    assert.equal(report.header.chains.records.first?.seq, 201);
    assert.equal(report.header.chains.records.last?.seq, 205);

    // The journal: the fiscal archive, then the safety backup, then the restore.
    const entries = center.log().slice(logged);
    const actions = entries.map((e) => e.action);
    const archived = actions.indexOf('fiscal-rewind-archive');
    const safety = entries.findIndex(
      (e) => e.action === 'backup' && (e.detail as { origin?: string }).origin === 'safety',
    );
    const restored = actions.indexOf('restore');
    assert.ok(archived >= 0 && archived < safety && safety < restored, actions.join(', '));
    assert.deepEqual((entries[archived].detail as { records: unknown }).records, {
      from: 201,
      to: 205,
      count: 5,
      total: (entries[archived].detail as { records: { total: number } }).records.total,
    });
    assert.equal(
      (entries[restored].detail as { fiscalArchive: string }).fiscalArchive,
      r.fiscalArchive,
    );
    assert.equal(center.verifyLog().ok, true);
  });

  it('keeps the archive out of the series: the next period archive still follows October', async () => {
    clock.now = new Date('2026-12-02T09:00:00Z');
    const next = await center.fiscalExport({ period: '2026-11', destinations: ['usb'] });
    assert.equal(next.previous?.archive, monthly);
  });
});
