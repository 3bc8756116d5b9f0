// Scheduled fiscal archives, in-process on a real demo register, driven by a
// clock the test sets: each closed month not archived yet is made once,
// oldest first, in the register's time zone; a failure is retried after the
// pause; schedule info and status say what comes next.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { BackupCenter } from '../../src/center.js';
import { Scheduler, type Clock, type SchedulerEvent } from '../../src/scheduler/daemon.js';
import { coffre, removeDir, tempDir } from '../helpers.js';

class FakeClock implements Clock {
  constructor(public t: number) {}
  now(): Date {
    return new Date(this.t);
  }
  set(iso: string): void {
    this.t = Date.parse(iso);
  }
  sleep(ms: number): Promise<void> {
    this.t += ms;
    return Promise.resolve();
  }
}

const TZ = 'Europe/Paris';

describe('scheduled fiscal archives', () => {
  const dir = tempDir('coffre-fiscal-schedule-');
  let homes = 0;
  after(() => removeDir(dir));

  /** A demo register (sales over 60 opening days up to 19 Nov 2026) whose center reads the test's clock. */
  async function centerAt(iso: string): Promise<{ center: BackupCenter; clock: FakeClock }> {
    const home = path.join(dir, `home-${++homes}`);
    await BackupCenter.createDemo(home, { profile: 'pos', receipts: 300, images: 2, days: 60 });
    const clock = new FakeClock(Date.parse(iso));
    const center = await BackupCenter.open(home, { clock: () => clock.now() });
    return { center, clock };
  }

  const fiscalDone = (events: SchedulerEvent[]) =>
    events.flatMap((e) => (e.type === 'job-done' && e.kind === 'fiscal' ? [e.detail] : []));

  it('makes exactly the months that are due, oldest first, and a second run makes none', async () => {
    const { center, clock } = await centerAt('2026-10-10T12:00:00Z');
    try {
      const set = await center.setSchedule({
        backup: null,
        verify: null,
        timeZone: TZ,
        fiscal: 'monthly',
      });
      assert.equal(set.fiscal?.every, 'monthly');
      assert.equal(set.fiscal?.since, '2026-10-10');
      assert.deepEqual(set.fiscal?.due, []);
      assert.deepEqual(set.fiscal?.next, { period: '2026-10', dueOn: '2026-11-01' });
      const scheduler = new Scheduler(center, clock);
      // The machine was off through November: at start on 2 December both months are due.
      clock.set('2026-12-02T10:00:00Z');
      assert.deepEqual(center.dueJobs(clock.now()), ['fiscal']);
      assert.deepEqual(center.scheduleInfo().fiscal?.due, ['2026-10', '2026-11']);
      const first = await scheduler.tick();
      assert.deepEqual(fiscalDone(first), ['fiscal archive 2026-10', 'fiscal archive 2026-11']);
      assert.equal(first.filter((e) => e.type === 'job-failed').length, 0);
      // A second run, and one a day later, make none.
      assert.deepEqual(await scheduler.tick(), []);
      clock.set('2026-12-03T10:00:00Z');
      assert.deepEqual(await scheduler.tick(), []);
      assert.deepEqual(center.dueJobs(clock.now()), []);

      const { archives } = await center.fiscalArchives();
      assert.deepEqual(
        archives.map((a) => [a.period.label, a.kind, a.destination]),
        [
          ['2026-10', 'period', 'local'],
          ['2026-11', 'period', 'local'],
        ],
      );
      const jobs = center.history(10).filter((j) => j.kind === 'fiscal');
      assert.deepEqual(
        jobs.map((j) => [j.trigger, j.result, j.detail]),
        [
          ['schedule', 'ok', '2026-11'],
          ['schedule', 'ok', '2026-10'],
        ],
      );
      const info = center.scheduleInfo();
      assert.deepEqual(info.fiscal?.due, []);
      assert.deepEqual(info.fiscal?.next, { period: '2026-12', dueOn: '2027-01-01' });
      const status = await center.status();
      assert.equal(status.schedule.fiscal, 'monthly');
      assert.deepEqual(status.schedule.nextFiscalArchive, {
        period: '2026-12',
        dueOn: '2027-01-01',
      });
      // A period archived by hand is not made again by the schedule.
      clock.set('2027-01-01T12:00:00Z');
      await center.fiscalExport({ period: '2026-12' });
      clock.set('2027-01-02T10:00:00Z');
      assert.deepEqual(await scheduler.tick(), []);
    } finally {
      center.close();
    }
  });

  it('counts the day in the register’s time zone, retries a failure after the pause, and turns off', async () => {
    const { center, clock } = await centerAt('2026-11-10T12:00:00Z');
    try {
      await center.setSchedule({ backup: null, verify: null, timeZone: TZ, fiscal: 'monthly' });
      const scheduler = new Scheduler(center, clock);
      clock.set('2026-11-30T22:30:00Z'); // 23:30 in Paris: November is not over
      assert.deepEqual(await scheduler.tick(), []);
      // The local destination cannot take a fiscal archive: its fiscal folder is a file.
      const blocker = path.join(center.paths.backups, 'fiscal');
      fs.mkdirSync(center.paths.backups, { recursive: true });
      fs.writeFileSync(blocker, 'not a folder');
      clock.set('2026-11-30T23:30:00Z'); // 00:30 on 1 December in Paris, still 30 November in UTC
      const failed = await scheduler.tick();
      assert.deepEqual(
        failed.flatMap((e) => (e.type === 'job-failed' ? [e.kind] : [])),
        ['fiscal'],
      );
      const info = center.scheduleInfo();
      assert.deepEqual(info.fiscal?.due, ['2026-11']);
      assert.equal(info.fiscal?.last?.result, 'failed');
      const retryAt = Date.parse(info.fiscal.retryAt!);
      assert.equal(retryAt, clock.t + 5 * 60_000);
      // Before the pause is over, nothing runs.
      clock.t += 60_000;
      assert.deepEqual(await scheduler.tick(), []);
      fs.rmSync(blocker);
      clock.t = retryAt;
      assert.deepEqual(fiscalDone(await scheduler.tick()), ['fiscal archive 2026-11']);
      assert.deepEqual(await scheduler.tick(), []);
      assert.equal(center.scheduleInfo().fiscal?.retryAt, null);
      // Turned off: December is not made.
      const off = await center.setSchedule({ fiscal: 'off' });
      assert.equal(off.fiscal, null);
      clock.set('2027-01-05T10:00:00Z');
      assert.deepEqual(await scheduler.tick(), []);
      assert.equal(center.configuration.schedule.fiscal.since, null);
    } finally {
      center.close();
    }
  });

  it('is set and shown from the CLI', async () => {
    const { center } = await centerAt('2026-11-10T12:00:00Z');
    const home = center.paths.root;
    center.close();
    const set = coffre(['schedule', 'set', '--fiscal', 'yearly', '--home', home, '--json']);
    assert.equal(set.status, 0, set.stderr);
    assert.equal(set.json().fiscal.every, 'yearly');
    assert.match(set.json().fiscal.next.period, /^\d{4}$/);
    const shown = coffre(['schedule', 'show', '--home', home]);
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /Fiscal archives: +yearly, next \d{4} on \d{4}-01-01/);
    const bad = coffre(['schedule', 'set', '--fiscal', 'weekly', '--home', home, '--json']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr + bad.stdout, /monthly, yearly or off/);
  });
});
