// prune, delete and guard through the real CLI, on backups made at simulated dates.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BackupCenter } from '../../src/center.js';
import type { Origin } from '../../src/core/manifest.js';
import { coffre, removeDir, tempDir } from '../helpers.js';

describe('maintenance', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  after(() => removeDir(dir));

  before(async () => {
    await BackupCenter.createDemo(home, { profile: 'pos', images: 10 });
    const center = await BackupCenter.open(home);
    await center.setSchedule({ timeZone: 'Europe/Paris' });
    // Six weeks of nightly automatic backups, two a day on some days, plus
    // manual, pre-operation and safety backups along the way.
    const made: [string, Origin][] = [];
    for (let day = 1; day <= 42; day++) {
      const date = new Date(Date.UTC(2026, 9, 10 + day, 20, 30));
      made.push([date.toISOString(), 'automatic']);
      if (day % 9 === 0)
        made.push([new Date(date.getTime() + 3600_000).toISOString(), 'automatic']);
      if (day % 10 === 0) made.push([new Date(date.getTime() - 3600_000).toISOString(), 'manual']);
      if (day % 4 === 0)
        made.push([new Date(date.getTime() - 7200_000).toISOString(), 'pre-operation']);
    }
    made.push(['2026-11-05T10:00:00.000Z', 'safety']);
    made.sort((a, b) => a[0].localeCompare(b[0]));
    for (const [at, origin] of made) {
      await center.backup({ now: new Date(at), origin, applyRetention: false });
    }
    center.close();
  });

  it('deletes exactly what --dry-run showed, and nothing that a rule keeps', () => {
    const before = coffre(['list', '--home', home, '--json']).json().backups;
    const plan = coffre(['prune', '--dry-run', '--json', '--home', home]);
    assert.equal(plan.status, 0, plan.stderr);
    const entries: { id: string; keep: boolean; origin: string; reasons: string[] }[] =
      plan.json().entries;
    assert.equal(entries.length, before.length);
    const doomed = entries
      .filter((e) => !e.keep)
      .map((e) => e.id)
      .sort();
    assert.ok(doomed.length > 10, 'six weeks of nightly backups leave many to prune');
    for (const e of entries) assert.ok(e.reasons.length > 0, `every decision says why (${e.id})`);
    assert.ok(
      entries.filter((e) => e.origin === 'manual').every((e) => e.keep),
      'manual backups stay',
    );
    assert.ok(entries.find((e) => e.origin === 'safety')!.keep);
    const human = coffre(['prune', '--dry-run', '--home', home]);
    assert.match(human.stdout, /would be deleted\. Nothing was changed\./);
    // The dry run changed nothing.
    assert.equal(coffre(['list', '--home', home, '--json']).json().backups.length, before.length);
    // Without --yes and without a terminal, nothing is deleted.
    const refused = coffre(['prune', '--home', home]);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /--yes/);
    assert.equal(coffre(['list', '--home', home, '--json']).json().backups.length, before.length);
    const pruned = coffre(['prune', '--yes', '--json', '--home', home]);
    assert.equal(pruned.status, 0, pruned.stderr);
    assert.equal(pruned.json().deleted, doomed.length);
    const after = coffre(['list', '--home', home, '--json'])
      .json()
      .backups.map((b: { id: string }) => b.id)
      .sort();
    const expected = before
      .map((b: { id: string }) => b.id)
      .filter((id: string) => !doomed.includes(id))
      .sort();
    assert.deepEqual(after, expected);
    // The files are gone from the folder too, sidecars included.
    const files = fs.readdirSync(path.join(home, 'backups'));
    assert.equal(files.filter((f) => f.endsWith('.coffre.json')).length, after.length);
    assert.equal(files.filter((f) => f.endsWith('.tar.zst')).length, after.length);
    // A second prune has nothing left to do.
    assert.equal(coffre(['prune', '--yes', '--json', '--home', home]).json().deleted, 0);
  });

  it('deletes one backup on request, and asks first', () => {
    const list = coffre(['list', '--home', home, '--json']).json().backups;
    const victim = list[0].id;
    const refused = coffre(['delete', victim, '--home', home]);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /needs a confirmation/);
    const r = coffre(['delete', victim, '--yes', '--home', home, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json().applied, true);
    assert.equal(r.json().deleted[0].id, victim);
    const now = coffre(['list', '--home', home, '--json']).json().backups;
    assert.equal(now.length, list.length - 1);
    assert.equal(coffre(['delete', victim, '--yes', '--home', home]).status, 11);
  });

  it('guard takes a pre-operation backup and names it when the command fails', () => {
    const ok = coffre(['guard', '--home', home, '--', 'true']);
    assert.equal(ok.status, 0, ok.stderr);
    const failed = coffre([
      'guard',
      '--home',
      home,
      '--note',
      'before import',
      '--',
      'sh',
      '-c',
      'exit 3',
    ]);
    assert.equal(failed.status, 3);
    const id = /Pre-operation backup (\S+) taken/.exec(failed.stdout)?.[1];
    assert.ok(id, failed.stdout);
    assert.match(
      failed.stderr,
      new RegExp(
        `The command failed \\(exit 3\\)\\. The data as it was just before is in backup ${id}`,
      ),
    );
    const backup = coffre(['list', '--home', home, '--json'])
      .json()
      .backups.find((b: { id: string }) => b.id === id);
    assert.equal(backup.origin, 'pre-operation');
    assert.equal(backup.note, 'before import');
    assert.equal(coffre(['verify', id, '--home', home]).status, 0);
  });

  it('shows the schedule and the history', () => {
    const set = coffre([
      'schedule',
      'set',
      '--daily',
      '21:30',
      '--time-zone',
      'Europe/Paris',
      '--home',
      home,
      '--json',
    ]);
    assert.equal(set.status, 0, set.stderr);
    assert.equal(set.json().backup.describe, 'every day at 21:30');
    const show = coffre(['schedule', 'show', '--home', home]);
    assert.match(show.stdout, /every day at 21:30/);
    const bad = coffre(['schedule', 'set', '--daily', '25:00', '--home', home]);
    assert.equal(bad.status, 2);
    const history = coffre(['history', '--home', home, '--json']).json();
    assert.ok(history.some((j: { trigger: string }) => j.trigger === 'guard'));
    const status = coffre(['status', '--home', home]);
    assert.match(status.stdout, /Schedule: +every day at 21:30/);
  });
});
