// Restores under load and under SIGKILL: readers see the old data or the new,
// never a mix; a writer never breaks the receipt chain; a restore killed at
// any point is finished or rolled back by the next command, leaving exactly
// the old state or exactly the new one, and nothing behind.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { verifyReceiptChain } from '../../src/source/demo.js';
import { CLI, ROOT, coffre, removeDir, run, tempDir } from '../helpers.js';

const OBSERVER = path.join(ROOT, 'dist/test/fixtures/restore-observer.js');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Running {
  child: ChildProcess;
  stdout: () => string;
  done: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>;
}

/** Starts a Node script; it is killed with SIGKILL if it outlives `limitMs`. */
function start(args: string[], limitMs: number): Running {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const done = new Promise<Awaited<Running['done']>>((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return { child, stdout: () => stdout, done };
}

async function until(cond: () => boolean, limitMs: number, what: string): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

/** The last line of an observer's output: its JSON report. */
function report(stdout: string): any {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

function extract(archive: string, into: string): void {
  fs.mkdirSync(into, { recursive: true });
  run('sh', ['-c', `zstd -q -d -c "${archive}" | tar -x -C "${into}"`]);
}

function backup(home: string): { id: string; name: string } {
  const r = coffre(['backup', '--home', home, '--json']);
  assert.equal(r.status, 0, r.stderr);
  return r.json();
}

function appendReceipts(dbFile: string, n: number): void {
  const r = spawnSync(process.execPath, [OBSERVER, 'append', dbFile, String(n)], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
}

const TUPLE = `SELECT (SELECT count(*) FROM receipts WHERE id <= ?) AS receipts,
                      (SELECT max(id) FROM receipts WHERE id <= ?) AS maxId,
                      (SELECT sum(total_cents) FROM receipts WHERE id <= ?) AS totalCents,
                      (SELECT count(*) FROM receipt_lines WHERE receipt_id <= ?) AS lines`;

/** What the reader records, as the same JSON text; `upTo` limits it to the receipts up to that id. */
function tupleOf(dbFile: string, upTo = Number.MAX_SAFE_INTEGER): string {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return JSON.stringify(db.prepare(TUPLE).get(upTo, upTo, upTo, upTo));
  } finally {
    db.close();
  }
}

function checkLive(dbFile: string): {
  integrity: unknown;
  chain: ReturnType<typeof verifyReceiptChain>;
} {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return {
      integrity: db.pragma('integrity_check', { simple: true }),
      chain: verifyReceiptChain(db),
    };
  } finally {
    db.close();
  }
}

describe('readers and a writer during a restore', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const dbFile = path.join(home, 'demo-register', 'register.db');
  let idA = '';
  let idB = '';
  let tupleA = '';
  let tupleB = '';
  after(() => removeDir(dir));

  before(() => {
    const r = coffre(['demo', '--home', home, '--receipts', '20000', '--images', '30']);
    assert.equal(r.status, 0, r.stderr);
    const a = backup(home);
    idA = a.id;
    appendReceipts(dbFile, 500);
    idB = backup(home).id;
    const out = path.join(dir, 'backup-a');
    extract(path.join(home, 'backups', a.name), out);
    tupleA = tupleOf(path.join(out, 'database', 'register.db'));
    tupleB = tupleOf(dbFile);
    assert.notEqual(tupleA, tupleB);
  });

  it('readers see the old data or the new, never a mix', { timeout: 60_000 }, async (t) => {
    assert.equal(tupleOf(dbFile), tupleB, 'the live database is in state B');
    const reader = start([OBSERVER, 'read', dbFile, '40000'], 45_000);
    try {
      await until(() => reader.stdout().includes('ready'), 10_000, 'the reader has read');
      await sleep(150);
      // The app is left running on purpose: --force is how a user restores
      // under it (issue 11), and readers must still never see a mix.
      const restore = start(
        [
          CLI,
          'restore',
          idA,
          '--home',
          home,
          '--yes',
          '--force',
          '--accept-fiscal-rewind',
          '--json',
        ],
        40_000,
      );
      const r = await restore.done;
      assert.equal(r.code, 0, r.stderr);
      // Long enough for the reader to see the committed state on a loaded machine.
      await sleep(1500);
    } finally {
      reader.child.kill('SIGTERM');
    }
    const seen = await reader.done;
    assert.equal(seen.code, 0, seen.stderr);
    const { transactions, runs, chains, errors } = report(seen.stdout);
    assert.deepEqual(errors, [], 'the reader never failed');
    assert.deepEqual(chains.broken, [], 'the receipt chain verified in every snapshot checked');
    const labels = (runs as [string, number][]).map(([tuple, n]) =>
      tuple === tupleA ? `A×${n}` : tuple === tupleB ? `B×${n}` : `MIX ${tuple}×${n}`,
    );
    t.diagnostic(
      `${transactions} read transactions, ${chains.ok} chain checks: ${labels.join(', ')}`,
    );
    assert.ok(
      labels.every((l) => !l.startsWith('MIX')),
      `every observation is A ${tupleA} or B ${tupleB}: ${labels.join(', ')}`,
    );
    assert.deepEqual(
      labels.map((l) => l[0]),
      ['B', 'A'],
      `B until the commit, then A for good: ${labels.join(', ')}`,
    );
    assert.equal(tupleOf(dbFile), tupleA);
    const live = checkLive(dbFile);
    assert.equal(live.integrity, 'ok');
    assert.ok(live.chain.ok);
  });

  it(
    'a writer during the restore never breaks the receipt chain',
    { timeout: 60_000 },
    async (t) => {
      const maxB = (JSON.parse(tupleB) as { maxId: number }).maxId;
      const writer = start([OBSERVER, 'write', dbFile, '40000'], 45_000);
      const reader = start([OBSERVER, 'read', dbFile, '40000'], 45_000);
      const written = () => {
        const counts = writer.stdout().match(/^\d+$/gm);
        return counts ? Number(counts[counts.length - 1]) : 0;
      };
      let duringRestore = 0;
      try {
        await until(() => written() >= 20, 10_000, 'the writer has written');
        await until(() => reader.stdout().includes('ready'), 10_000, 'the reader has read');
        // Forced under the running writer (issue 11): the chain must still hold.
        const restore = start(
          [
            CLI,
            'restore',
            idB,
            '--home',
            home,
            '--yes',
            '--force',
            '--accept-fiscal-rewind',
            '--json',
          ],
          40_000,
        );
        const before = written();
        const r = await restore.done;
        assert.equal(r.code, 0, r.stderr);
        const result = JSON.parse(r.stdout) as { applied: boolean; safetyBackupId: string | null };
        assert.equal(result.applied, true, 'the restore says it took effect');
        const atEnd = written();
        duringRestore = atEnd - before;
        // The writer carries on, chained to the restored receipts.
        await until(() => written() >= atEnd + 40, 15_000, 'the writer writes after the restore');
      } finally {
        writer.child.kill('SIGTERM');
        reader.child.kill('SIGTERM');
      }
      const [w, rd] = await Promise.all([writer.done, reader.done]);
      assert.equal(w.code, 0, w.stderr);
      assert.equal(rd.code, 0, rd.stderr);
      const wrote = report(w.stdout);
      const read = report(rd.stdout);
      t.diagnostic(
        `writer: ${wrote.written} receipts, ${duringRestore} while the restore ran, ${wrote.failed} failed; ` +
          `reader: ${read.transactions} transactions, ${read.chains.ok} chain checks`,
      );
      assert.deepEqual(wrote.errors, [], 'the writer never failed');
      assert.deepEqual(read.errors, [], 'the reader never failed');
      assert.deepEqual(read.chains.broken, [], 'the chain verified in every snapshot checked');
      const live = checkLive(dbFile);
      assert.equal(live.integrity, 'ok');
      assert.ok(live.chain.ok, `the live chain verifies: ${JSON.stringify(live.chain)}`);
      // B's receipts, exactly, then the writer's.
      assert.equal(
        tupleOf(dbFile, maxB),
        tupleB,
        `receipts up to B's last are B's (the writer wrote ${duringRestore} while the restore ran)`,
      );
      const now = JSON.parse(tupleOf(dbFile)) as { receipts: number };
      assert.ok(now.receipts > (JSON.parse(tupleB) as { receipts: number }).receipts);
    },
  );
});

// ------------------------------------------------------------------ SIGKILL

interface State {
  db: string;
  images: string[];
  settings: string;
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Every table's rows in rowid order, the schema and user_version, hashed. */
function dbFingerprint(dbFile: string): { fingerprint: string; integrity: unknown } {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    const h = createHash('sha256');
    h.update(`user_version ${String(db.pragma('user_version', { simple: true }))}\n`);
    const schema = db
      .prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name')
      .raw()
      .all() as [string, string, string, string | null][];
    h.update(JSON.stringify(schema) + '\n');
    for (const [type, name] of schema) {
      if (type !== 'table') continue;
      h.update(`table ${name}\n`);
      const rows = db
        .prepare(`SELECT * FROM "${name.replace(/"/g, '""')}" ORDER BY rowid`)
        .raw()
        .iterate() as IterableIterator<unknown[]>;
      for (const row of rows) h.update(JSON.stringify(row) + '\n');
    }
    return { fingerprint: h.digest('hex'), integrity };
  } finally {
    db.close();
  }
}

function listFiles(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[])
    .filter((rel) => fs.statSync(path.join(root, rel)).isFile())
    .sort()
    .map((rel) => `${rel} ${sha256(fs.readFileSync(path.join(root, rel)))}`);
}

describe('a restore killed with SIGKILL', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const app = path.join(home, 'demo-register');
  const dbFile = path.join(app, 'register.db');
  const imagesDir = path.join(app, 'images');
  const settingsFile = path.join(app, 'settings.json');
  const journalFile = path.join(home, 'restore-journal.json');
  let idA = '';
  let idB = '';
  let stateA: State;
  let stateB: State;
  after(() => removeDir(dir));

  const state = (): State & { integrity: unknown } => {
    const { fingerprint, integrity } = dbFingerprint(dbFile);
    return {
      db: fingerprint,
      images: listFiles(imagesDir),
      settings: fs.existsSync(settingsFile) ? fs.readFileSync(settingsFile, 'utf8') : '(missing)',
      integrity,
    };
  };
  const which = (s: State): string => {
    const part = (name: keyof State, same: (x: State) => boolean) =>
      `${name}=${same(stateA) ? 'A' : same(stateB) ? 'B' : '?'}`;
    const parts = [
      part('db', (x) => x.db === s.db),
      part('images', (x) => x.images.join('\n') === s.images.join('\n')),
      part('settings', (x) => x.settings === s.settings),
    ];
    if (parts.every((p) => p.endsWith('=A'))) return 'A';
    if (parts.every((p) => p.endsWith('=B'))) return 'B';
    return `MIX (${parts.join(' ')})`;
  };
  const leftovers = (): string[] =>
    fs
      .readdirSync(app)
      .filter((n) => n.startsWith('.coffre-restore-') || n.includes('.coffre-old-'))
      .sort();

  before(() => {
    const r = coffre([
      'demo',
      '--home',
      home,
      '--images',
      '200',
      '--large-images',
      '--receipts',
      '20000',
    ]);
    assert.equal(r.status, 0, r.stderr);
    stateA = state();
    idA = backup(home).id;
    // State B: fewer images, more receipts, other settings.
    const images = listFiles(imagesDir).map((l) => l.split(' ')[0]);
    for (const rel of images.filter((_, i) => i % 10 === 3)) fs.rmSync(path.join(imagesDir, rel));
    appendReceipts(dbFile, 300);
    const settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
    settings.shop = 'Boulangerie Martin & Fils';
    settings.printer.logo = false;
    fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2) + '\n');
    stateB = state();
    idB = backup(home).id;
    assert.notEqual(stateA.db, stateB.db);
    assert.notEqual(stateA.images.length, stateB.images.length);
    assert.notEqual(stateA.settings, stateB.settings);
  });

  it(
    'leaves exactly the old state or the new one, and nothing behind',
    { timeout: 240_000 },
    async (t) => {
      // Kills after a delay, then kills as soon as the restore reaches a step.
      const journal = (): string => {
        try {
          return fs.readFileSync(journalFile, 'utf8');
        } catch {
          return '';
        }
      };
      const steps: Record<string, () => boolean> = {
        'journal written': () => journal() !== '',
        'folders swapped': () => fs.readdirSync(app).some((n) => n.includes('.coffre-old-')),
        'journal committed': () => journal().includes('"committed"'),
      };
      const kills: (number | string)[] = [
        0,
        50,
        100,
        200,
        300,
        500,
        800,
        1200,
        2000,
        ...Object.keys(steps),
      ];
      const rounds: string[] = [];
      const problems: string[] = [];
      const ended = { A: 0, B: 0, killedA: 0, killedB: 0 };
      for (const kill of kills) {
        const round = `kill at ${typeof kill === 'number' ? `${kill} ms` : kill}`;
        const restore = start(
          [CLI, 'restore', idA, '--home', home, '--yes', '--accept-fiscal-rewind'],
          60_000,
        );
        let reached = true;
        if (typeof kill === 'number') {
          await sleep(kill);
        } else {
          // Polled without yielding, so that the kill follows the step closely.
          const end = Date.now() + 20_000;
          while (!steps[kill]() && Date.now() < end);
          reached = steps[kill]();
        }
        restore.child.kill('SIGKILL');
        const exit = await restore.done;
        const killed = exit.signal === 'SIGKILL';
        const journalState = /"state": "(\w+)"/.exec(journal())?.[1] ?? 'none';
        const before = leftovers();
        const status = coffre(['status', '--home', home, '--json']);
        const after = state();
        const outcome = which(after);
        const left = leftovers();
        const line =
          `${round}: ${killed ? 'killed' : `exited ${exit.code}`}, journal ${journalState}` +
          `${before.length ? ` (${before.length} staged/old entries)` : ''}, ` +
          `status ${status.status} -> ${outcome}`;
        rounds.push(line);
        t.diagnostic(line);
        const problem = (what: string) => problems.push(`${round}: ${what}`);
        const running = (
          coffre(['history', '--home', home, '--json']).json() as { result: string; kind: string }[]
        )
          .filter((j) => j.result === 'running')
          .map((j) => j.kind);
        if (running.length > 0)
          problem(`jobs still marked running after the next command: ${running.join(', ')}`);
        if (!reached) problem(`the restore never reached "${kill}"`);
        if (!killed && exit.code !== 0) problem(`the restore failed by itself: ${exit.stderr}`);
        if (status.status !== 0) problem(`status failed (${status.status}): ${status.stderr}`);
        if (after.integrity !== 'ok') problem(`integrity_check: ${String(after.integrity)}`);
        if (outcome !== 'A' && outcome !== 'B') problem(`the state is a ${outcome}`);
        if (journalState === 'committed' && outcome !== 'A') {
          problem(`the journal said committed, yet the state is ${outcome}`);
        }
        if (fs.existsSync(journalFile)) problem('restore-journal.json is still in the home');
        if (left.length > 0) problem(`left next to the app's files: ${left.join(', ')}`);
        if (outcome === 'A') ended.A++;
        if (outcome === 'B') ended.B++;
        if (killed && outcome === 'A') ended.killedA++;
        if (killed && outcome === 'B') ended.killedB++;
        // Clean up what was left, so that each round stands on its own.
        for (const name of left) fs.rmSync(path.join(app, name), { recursive: true, force: true });
        if (outcome !== 'B') {
          const back = coffre(['restore', idB, '--home', home, '--yes', '--accept-fiscal-rewind']);
          assert.equal(back.status, 0, back.stderr);
          const again = state();
          assert.equal(which(again), 'B', `${round}: restoring B brings B back`);
          assert.equal(again.integrity, 'ok');
        }
      }
      t.diagnostic(
        `ended in A: ${ended.A} (${ended.killedA} killed before exiting), in B: ${ended.B}`,
      );
      assert.deepEqual(problems, [], `\n${rounds.join('\n')}\n`);
      assert.ok(ended.killedB >= 1, 'at least one kill landed before the commit');
      assert.ok(ended.killedA >= 1, 'at least one kill landed after the commit');
    },
  );
});
