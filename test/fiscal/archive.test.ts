// Fiscal archives through the fiscal service, in-process, on real SQLite
// files and real folders: export, verify alone and against the previous
// archive, the rules on periods, encryption, tampering, and the 6-year hold.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { generateAgeKeyPair } from '../../src/archive/age.js';
import { isCoffreError } from '../../src/core/errors.js';
import { POS_FISCAL_RECIPE } from '../../src/core/fiscal/pos.js';
import { parseFiscalRecipe, type FiscalRecipe } from '../../src/core/fiscal/recipe.js';
import { openFiscalArea } from '../../src/destinations/fiscal-area.js';
import { FolderDestination } from '../../src/destinations/folder.js';
import { FiscalService } from '../../src/fiscal/service.js';
import { verifyFiscalArchive } from '../../src/fiscal/verify.js';
import { createDemoData } from '../../src/source/demo.js';
import { createIdentity } from '../../src/state/identity.js';
import { EventJournal } from '../../src/state/journal.js';
import { removeDir, run, tempDir } from '../helpers.js';

let dir: string;
let demoDb: string;

before(async () => {
  dir = tempDir('coffre-fiscal-archive-');
  demoDb = (
    await createDemoData({
      dir: path.join(dir, 'demo'),
      profile: 'pos',
      receipts: 500,
      images: 2,
      days: 60,
    })
  ).dbPath;
});
after(() => removeDir(dir));

let homes = 0;
function setup(
  options: {
    db?: string;
    recipe?: FiscalRecipe;
    now?: Date;
    encryption?: { recipients: string[]; passphrase: string | null };
  } = {},
) {
  const home = path.join(dir, `home-${++homes}`);
  fs.mkdirSync(path.join(home, 'tmp'), { recursive: true });
  const identity = createIdentity('Boulangerie Test', new Date('2026-01-01T00:00:00Z'));
  const clock = { now: options.now ?? new Date('2026-12-02T09:00:00Z') };
  const journal = new EventJournal(path.join(home, 'journal.jsonl'), () => clock.now);
  const usb = path.join(home, 'usb');
  fs.mkdirSync(usb);
  const db = options.db ?? demoDb;
  const service = new FiscalService({
    recipe: options.recipe ?? POS_FISCAL_RECIPE,
    fec: null,
    app: { profile: 'pos', version: 'test' },
    identity,
    scratch: path.join(home, 'tmp'),
    indexFile: path.join(home, 'fiscal-archives.json'),
    openSource: () => new Database(db, { readonly: true }),
    openBackupDatabase: () => Promise.reject(new Error('not used here')),
    areas: (names) =>
      (names ?? ['local', 'usb']).map((n) =>
        openFiscalArea(
          n,
          n === 'local' ? null : { kind: 'external', path: usb },
          path.join(home, 'backups'),
          {
            resolvePath: (p) => p,
            cloudCredentials: null,
          },
        ),
      ),
    defaultDestinations: ['local'],
    allowsUnencrypted: () => false,
    encryption: () => options.encryption ?? { recipients: [], passphrase: null },
    compressionLevel: 3,
    everyMonths: null,
    clock: () => clock.now,
    timeZone: () => 'Europe/Paris',
    log: (action, detail) => journal.append('tester', action, detail),
    checkpoint: { get: () => null, set: () => undefined },
  });
  return { home, service, clock, journal, usb, identity };
}

const fiscalFile = (home: string, archive: string) => path.join(home, 'backups', 'fiscal', archive);

describe('fiscal archives', () => {
  it('exports two months, each verifying alone and the second against the first', async () => {
    const { home, service } = setup();
    const sep = await service.export({ period: '2026-09', destinations: ['local', 'usb'] });
    assert.deepEqual(
      sep.destinations.map((d) => d.name),
      ['local', 'usb'],
    );
    assert.equal(sep.previous, null);
    assert.ok(sep.records > 100);
    const nov = await service.export({ from: '2026-10-01', to: '2026-10-31' });
    assert.deepEqual(nov.previous, { archive: sep.archive, sha256: sep.sha256 });
    const first = await verifyFiscalArchive(fiscalFile(home, sep.archive));
    assert.equal(first.ok, true, JSON.stringify(first.checks));
    const second = await verifyFiscalArchive(fiscalFile(home, nov.archive), {
      previous: path.join(home, 'usb', 'fiscal', sep.archive),
    });
    assert.equal(second.ok, true, JSON.stringify(second.checks));
    assert.match(second.checks.find((c) => c.name === 'previous archive')!.detail, /Continues/);
    assert.equal(second.header.chains.records.startsAfter, first.header.chains.records.last?.hash);
    assert.equal(
      createHash('sha256')
        .update(fs.readFileSync(fiscalFile(home, nov.archive)))
        .digest('hex'),
      nov.sha256,
    );
    // The wrong previous archive: the link does not hold.
    const wrong = await verifyFiscalArchive(fiscalFile(home, nov.archive), {
      previous: fiscalFile(home, nov.archive),
    });
    assert.equal(wrong.ok, false);
    const { archives } = await service.list();
    assert.equal(archives.length, 3, 'two in local, one in usb');
    assert.ok(archives.every((a) => a.holdUntil.startsWith('2032-12-02')));
  });

  it('lives apart: a backup listing of the same folder sees none of them', async () => {
    const { home, service } = setup();
    await service.export({ period: '2026-10' });
    assert.deepEqual(
      await new FolderDestination('local', 'local', path.join(home, 'backups')).list(),
      [],
    );
    assert.equal((await service.list()).archives.length, 1);
  });

  for (const [name, spec, pattern] of [
    ['a period not over yet', { period: '2026-12' }, /not over yet/],
    ['more than a year', { from: '2025-06-01', to: '2026-06-30' }, /at most one year/],
    ['a last day before the first', { from: '2026-10-10', to: '2026-10-01' }, /comes before/],
    ['a month that does not exist', { period: '2026-13' }, /not a period/],
    ['a day that does not exist', { from: '2026-02-30', to: '2026-03-31' }, /not a day/],
  ] as const) {
    it(`refuses ${name}`, async () => {
      const { service } = setup();
      await assert.rejects(
        service.export(spec),
        (err: unknown) => isCoffreError(err, 'USAGE') && pattern.test(err.message),
      );
    });
  }

  it('refuses to archive a period again, or to leave records out between two archives', async () => {
    const { service } = setup();
    await service.export({ period: '2026-09' });
    await assert.rejects(service.export({ period: '2026-09' }), /already cover up to 2026-09-30/);
    await assert.rejects(
      service.export({ period: '2026-11' }),
      /between 2026-09-30 and 2026-11-01 are in no fiscal archive/,
    );
  });

  it('makes one archive of a period asked for three times at once; the others are refused', async () => {
    const { service } = setup();
    const results = await Promise.allSettled([
      service.export({ period: '2026-09' }),
      service.export({ period: '2026-09' }),
      service.export({ period: '2026-09' }),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'rejected'],
    );
    for (const r of results.slice(1)) {
      assert.match(String((r as PromiseRejectedResult).reason), /already cover up to 2026-09-30/);
    }
    assert.equal(
      (await service.list()).archives.filter((a) => a.period.label === '2026-09').length,
      1,
    );
  });

  it('shares one live audit between callers that ask while it runs, and runs a new one after', async () => {
    const { service } = setup();
    const [a, b, c] = await Promise.all([service.audit(), service.audit(), service.audit()]);
    assert.equal(a, b);
    assert.equal(b, c);
    assert.equal(a.ok, true);
    assert.notEqual(await service.audit(), a, 'a later call reads the data again');
  });

  it('carries a tampered receipt as it is, and verify names it', async () => {
    const copy = path.join(dir, 'tampered.db');
    fs.copyFileSync(demoDb, copy);
    const db = new Database(copy);
    const n = db
      .prepare(
        "SELECT number FROM receipts WHERE created_at >= '2026-10-10' ORDER BY number LIMIT 1",
      )
      .pluck()
      .get() as number;
    db.prepare('UPDATE receipts SET total_cents = total_cents + 1 WHERE number = ?').run(n);
    db.close();
    const { home, service } = setup({ db: copy });
    const result = await service.export({ period: '2026-10' });
    assert.equal(result.audit.ok, false);
    const report = await verifyFiscalArchive(fiscalFile(home, result.archive));
    assert.equal(report.ok, false);
    const chain = report.checks.find((c) => c.name === 'receipt chain')!;
    assert.equal(chain.ok, false);
    assert.match(chain.detail, new RegExp(`#${n} \\(altered\\)`));
    assert.equal(report.checks.find((c) => c.name === 'closings')!.ok, false);
  });

  it('fails on a damaged byte', async () => {
    const { home, service } = setup();
    const result = await service.export({ period: '2026-10' });
    const bytes = fs.readFileSync(fiscalFile(home, result.archive));
    bytes[Math.floor(bytes.length / 2)] ^= 0x40;
    const damaged = path.join(dir, 'damaged.tar.zst');
    fs.writeFileSync(damaged, bytes);
    // Either the container cannot be read, or an entry no longer matches its hash.
    const outcome = await verifyFiscalArchive(damaged).then(
      (r) => (r.ok ? 'passed' : 'failed'),
      (err: unknown) => (isCoffreError(err, 'CORRUPT_ARCHIVE') ? 'refused' : String(err)),
    );
    assert.ok(outcome === 'failed' || outcome === 'refused', outcome);
  });

  it('refuses receipts rewritten with a new entry list that the register did not sign', async () => {
    const { home, service } = setup();
    const result = await service.export({ period: '2026-10' });
    const work = path.join(dir, `forged-${homes}`);
    fs.mkdirSync(work);
    run('tar', ['--zstd', '-xf', fiscalFile(home, result.archive), '-C', work]);
    const csv = path.join(work, 'data', 'receipts.csv');
    fs.writeFileSync(
      csv,
      fs
        .readFileSync(csv, 'utf8')
        .replace(/,(\d+),(\d+),"[0-9a-f]{64}"/, ',1,$2,"' + '0'.repeat(64) + '"'),
    );
    const sums = fs
      .readFileSync(path.join(work, 'coffre', 'SHA256SUMS'), 'utf8')
      .replace(
        /^[0-9a-f]{64}( {2}data\/receipts\.csv)$/m,
        (_, name: string) => createHash('sha256').update(fs.readFileSync(csv)).digest('hex') + name,
      );
    fs.writeFileSync(path.join(work, 'coffre', 'SHA256SUMS'), sums);
    const forged = path.join(dir, `forged-${homes}.tar.zst`);
    const names = fs
      .readdirSync(work, { recursive: true, encoding: 'utf8' })
      .filter((n) => fs.statSync(path.join(work, n)).isFile());
    run('tar', ['--zstd', '-cf', forged, '-C', work, ...names]);
    await assert.rejects(verifyFiscalArchive(forged), (err: unknown) =>
      isCoffreError(err, 'BAD_SIGNATURE'),
    );
  });

  it('encrypts with age and needs the key to verify', async () => {
    const pair = generateAgeKeyPair();
    const { home, service } = setup({
      encryption: { recipients: [pair.recipient], passphrase: null },
    });
    const result = await service.export({ period: '2026-10' });
    assert.equal(result.encrypted, true);
    assert.ok(result.archive.endsWith('.tar.zst.age'));
    const file = fiscalFile(home, result.archive);
    await assert.rejects(verifyFiscalArchive(file), (err: unknown) =>
      isCoffreError(err, 'KEY_REQUIRED'),
    );
    assert.equal((await verifyFiscalArchive(file, { identities: [pair.identity] })).ok, true);
  });

  it('holds an archive 6 years: deletion needs a reason, which is logged', async () => {
    const { service, clock, journal } = setup();
    const result = await service.export({ period: '2026-10', destinations: ['local', 'usb'] });
    await assert.rejects(
      service.delete(result.id, { from: 'usb' }),
      (err: unknown) => isCoffreError(err, 'USAGE') && /hold until 2032-12-02/.test(err.message),
    );
    await assert.rejects(
      service.delete(result.id, { from: 'usb', override: { reason: '  ' } }),
      /explicit override/,
    );
    await service.delete(result.id, {
      from: 'usb',
      override: { reason: 'drive replaced, copy kept in local' },
    });
    assert.deepEqual(
      (await service.list()).archives.map((a) => a.destination),
      ['local'],
    );
    assert.deepEqual(
      journal.read().entries.map((e) => e.action),
      ['fiscal-export', 'fiscal-delete-override'],
    );
    assert.equal(journal.read().entries[1].detail.reason, 'drive replaced, copy kept in local');
    clock.now = new Date('2032-12-03T00:00:00Z');
    await service.delete(result.id, { from: 'local' });
    assert.equal(journal.verify().ok, true);
  });

  it('warns when an archive under the hold is no longer held anywhere', async () => {
    const { home, service } = setup();
    const result = await service.export({ period: '2026-10' });
    assert.deepEqual((await service.audit()).archives?.warnings, []);
    fs.rmSync(fiscalFile(home, result.archive) + '.coffre.json');
    const audit = await service.audit();
    assert.deepEqual(
      audit.archives?.warnings.map((w) => w.code),
      ['FISCAL_ARCHIVE_NOT_HELD'],
    );
    assert.equal(audit.archives?.last, result.period && service.readIndex()[0].createdAt);
  });

  it("archives and verifies an app of the tests' own, declared by its recipe", async () => {
    const recipe = parseFiscalRecipe({
      records: {
        table: 'tickets',
        sequence: 'seq',
        date: 'ts',
        key: 'seq',
        label: ['ticket', 'tickets'],
        amount: 'amount',
        chain: {
          fields: ['@previous', 'seq', 'ts', 'amount', 'note'],
          join: { separator: '|' },
          algorithm: 'sha384',
          encoding: 'base64',
          genesis: 'GENESIS',
          hashColumn: 'sig',
          previousColumn: 'prev',
        },
      },
    });
    const file = path.join(dir, 'tickets.db');
    const db = new Database(file);
    db.exec(
      'CREATE TABLE tickets (seq INTEGER PRIMARY KEY, ts TEXT, amount INTEGER, note TEXT, prev TEXT, sig TEXT)',
    );
    let prev = 'GENESIS';
    for (let seq = 1; seq <= 40; seq++) {
      const ts = `2026-10-${String(1 + (seq % 28)).padStart(2, '0')} 10:00:00`;
      const note = seq % 5 === 0 ? 'a "quoted", note' : '';
      const sig = createHash('sha384')
        .update([prev, seq, ts, seq * 10, note].join('|'))
        .digest('base64');
      db.prepare('INSERT INTO tickets VALUES (?, ?, ?, ?, ?, ?)').run(
        seq,
        ts,
        seq * 10,
        note,
        prev,
        sig,
      );
      prev = sig;
    }
    db.close();
    const { home, service } = setup({ db: file, recipe });
    const result = await service.export({ period: '2026-10' });
    assert.equal(result.records, 40);
    const report = await verifyFiscalArchive(fiscalFile(home, result.archive));
    assert.equal(report.ok, true, JSON.stringify(report.checks));
    assert.match(report.checks.find((c) => c.name === 'ticket chain')!.detail, /40 tickets/);
  });
});
