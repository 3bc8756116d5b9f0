// Backups of a database that is being written to, and backups killed with
// SIGKILL: the archive is always consistent, a partial one is never listed,
// and the next backup succeeds without any manual clean-up.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { verifyReceiptChain } from '../../src/source/demo.js';
import { CLI, ROOT, coffre, coffreAsync, removeDir, run, tempDir } from '../helpers.js';

function extract(archive: string, into: string): void {
  fs.mkdirSync(into, { recursive: true });
  run('sh', ['-c', `zstd -q -d -c "${archive}" | tar -x -C "${into}"`]);
}

describe('backups under load and under SIGKILL', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const dbFile = path.join(home, 'demo-register', 'register.db');
  after(() => removeDir(dir));

  before(() => {
    // Larger images so that a backup takes long enough to be killed midway.
    const r = coffre(['demo', '--home', home, '--images', '600', '--large-images']);
    assert.equal(r.status, 0, r.stderr);
  });

  it('takes a consistent snapshot while another process keeps writing receipts', async () => {
    const writer = spawn(
      process.execPath,
      [path.join(ROOT, 'dist/test/fixtures/receipt-writer.js'), dbFile],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let output = '';
    writer.stdout.on('data', (d: Buffer) => (output += d.toString()));
    await new Promise<void>((resolve) => writer.stdout.once('data', () => resolve()));
    const ids: string[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const r = await coffreAsync(['backup', '--home', home, '--json']);
        assert.equal(r.status, 0, r.stderr);
        ids.push(r.json().name);
      }
    } finally {
      writer.kill('SIGTERM');
      await new Promise((resolve) => writer.once('close', resolve));
    }
    const written = Number(/done (\d+)/.exec(output)?.[1] ?? 0);
    assert.ok(written > 0, 'the writer wrote receipts during the backups');
    const counts: number[] = [];
    for (const [i, name] of ids.entries()) {
      const out = path.join(dir, `load-${i}`);
      extract(path.join(home, 'backups', name), out);
      const db = new Database(path.join(out, 'database', 'register.db'), { readonly: true });
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
        const chain = verifyReceiptChain(db);
        assert.ok(chain.ok, `the receipt chain of backup ${i} verifies`);
        counts.push(chain.count);
      } finally {
        db.close();
      }
    }
    assert.ok(counts[0] >= 255);
    assert.ok(counts[2] > counts[0], `later backups hold more receipts (${counts.join(', ')})`);
    const live = new Database(dbFile, { readonly: true });
    assert.ok(verifyReceiptChain(live).ok);
    live.close();
  });

  it('never lists a backup killed midway, and the next one succeeds', async () => {
    let listed = coffre(['list', '--home', home, '--json']).json().backups.length as number;
    const backups = path.join(home, 'backups');
    const kills = [30, 120, 250, 400, 700];
    let killedMidway = 0;
    for (const delay of kills) {
      const child = spawn(process.execPath, [CLI, 'backup', '--home', home], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, delay));
      const exited = child.exitCode !== null;
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('close', resolve));
      if (!exited) killedMidway++;
      const list = coffre(['list', '--home', home, '--json']);
      assert.equal(list.status, 0, list.stderr);
      // Either the kill came after the commit (one more backup) or nothing is listed.
      const now = list.json().backups.length as number;
      assert.ok(
        now === listed || now === listed + 1,
        `after a kill at ${delay} ms: ${now} backups, ${listed} before`,
      );
      listed = now;
      for (const b of list.json().backups) {
        assert.equal(
          coffre(['verify', b.id, '--home', home]).status,
          0,
          `listed backup ${b.id} verifies`,
        );
      }
    }
    assert.ok(killedMidway >= 3, 'most kills landed during the backup');
    const next = coffre(['backup', '--home', home, '--json']);
    assert.equal(next.status, 0, next.stderr);
    // Partial files and snapshots of the killed jobs are gone.
    const leftovers = fs
      .readdirSync(backups)
      .filter((n) => n.startsWith('.partial-') || n.endsWith('.tmp'));
    assert.deepEqual(leftovers, []);
    const archives = fs.readdirSync(backups).filter((n) => n.endsWith('.tar.zst'));
    const sidecars = fs.readdirSync(backups).filter((n) => n.endsWith('.coffre.json'));
    assert.equal(archives.length, sidecars.length, 'every archive left has its sidecar');
    assert.deepEqual(
      fs.readdirSync(path.join(home, 'tmp')).filter((n) => n.startsWith('snapshot-')),
      [],
    );
    const live = new Database(dbFile, { readonly: true });
    assert.equal(live.pragma('integrity_check', { simple: true }), 'ok');
    live.close();
    // The killed jobs are recorded as failed, not left running.
    const { StateDb } = await import('../../src/state/statedb.js');
    const state = new StateDb(path.join(home, 'state.db'));
    assert.ok(state.jobs(100).every((j) => j.result !== 'running'));
    state.close();
  });
});
