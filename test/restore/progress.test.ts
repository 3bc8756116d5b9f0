// Restore progress, in-process on a real restore: every phase reports how
// far it is (bytes, or rows for a section restore) and its time left, to
// the caller and through the center's `progress` events.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { BackupCenter, type Progress } from '../../src/index.js';
import { removeDir, tempDir } from '../helpers.js';

type Seen = Progress & { kind?: string; jobId?: number; at?: string; pid?: number };

/** The reports of each phase, in the order the phases came. */
function byPhase(seen: Seen[]): Map<string, Seen[]> {
  const out = new Map<string, Seen[]>();
  for (const p of seen) out.set(p.phase, [...(out.get(p.phase) ?? []), p]);
  return out;
}

describe('restore progress', () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  it('reports every phase of a full restore, with its time left, to the caller and as events', async () => {
    const home = path.join(dir, 'full');
    await BackupCenter.createDemo(home, { profile: 'pos', receipts: 400, images: 8 });
    const center = await BackupCenter.open(home);
    try {
      const backup = await center.backup({ note: 'progress' });
      const events: Seen[] = [];
      const given: Seen[] = [];
      center.events.on('progress', (p) => events.push(p));
      const result = await center.restore(backup.id, { onProgress: (p) => given.push(p) });
      assert.equal(result.applied, true);

      // The caller and the events see the same reports; the events say which job,
      // when and in which process.
      assert.ok(events.length > 0);
      assert.deepEqual(
        events.map(({ kind: _kind, jobId: _id, at: _at, pid: _pid, ...p }) => p),
        given,
      );
      assert.ok(
        events.every(
          (e) => e.kind === 'restore' && typeof e.jobId === 'number' && e.pid === process.pid,
        ),
      );

      const phases = byPhase(given);
      // Stage (reading the archive), the safety backup and the page copy; the
      // wait for the checks only when they outlasted the copy.
      const expected = ['read', 'safety', 'apply'];
      if (result.phases?.some((p) => p.phase === 'checks')) expected.push('checks');
      for (const phase of expected) {
        const reports = phases.get(phase);
        assert.ok(reports && reports.length > 0, `the ${phase} phase reports progress`);
        const last = reports[reports.length - 1];
        assert.ok(last.total > 0, `${phase} has a total`);
        assert.equal(last.done, last.total, `${phase} ends done`);
        assert.equal(last.secondsLeft, 0, `${phase} ends with no time left`);
        assert.ok(reports.every((r) => r.elapsed !== undefined && r.elapsed >= 0));
        assert.ok(
          reports.every((r, i) => i === 0 || r.done >= reports[i - 1].done),
          `${phase} never goes back`,
        );
      }
      assert.ok(phases.get('apply')!.every((r) => r.unit === 'bytes'));
      // The pages copied are the backup's database, which the live one now is.
      const apply = phases.get('apply')!;
      const live = new Database(path.join(home, 'demo-register', 'register.db'), {
        readonly: true,
      });
      const liveBytes =
        (live.pragma('page_count', { simple: true }) as number) *
        (live.pragma('page_size', { simple: true }) as number);
      live.close();
      assert.equal(apply[apply.length - 1].total, liveBytes);
      // Phases come one after the other: a phase never comes back.
      const order = given.map((p) => p.phase).filter((p, i, a) => i === 0 || a[i - 1] !== p);
      assert.equal(new Set(order).size, order.length, `phases in order: ${order.join(', ')}`);
    } finally {
      center.close();
    }
  });

  it('reports rows for a section restore', async () => {
    const home = path.join(dir, 'section');
    await BackupCenter.createDemo(home, { profile: 'pos', receipts: 300, images: 0 });
    const center = await BackupCenter.open(home);
    try {
      const backup = await center.backup({ note: 'sections' });
      const given: Seen[] = [];
      const result = await center.restore(backup.id, {
        sections: ['sales'],
        onProgress: (p) => given.push(p),
      });
      assert.equal(result.applied, true);
      const apply = byPhase(given).get('apply');
      assert.ok(apply && apply.length > 0);
      assert.ok(apply.every((r) => r.unit === 'rows'));
      const last = apply[apply.length - 1];
      // The sales tables' rows, as the backup counted them.
      const salesRows = result.plan.sections
        .flatMap((section) => section.tables)
        .reduce((n, t) => n + t.backup, 0);
      assert.ok(salesRows > 0);
      assert.equal(last.total, salesRows);
      assert.equal(last.done, last.total);
    } finally {
      center.close();
    }
  });
});
