// The scheduler driven by an injected clock over simulated days, on a real
// demo register: daily and weekly runs, catch-up, no overlap, retention after
// each automatic backup, on-close, alerts. And the real daemon process on SIGTERM.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BackupCenter } from '../../src/center.js';
import { Scheduler, type Clock, type SchedulerEvent } from '../../src/scheduler/daemon.js';
import { CLI, coffre, removeDir, tempDir } from '../helpers.js';

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

describe('scheduler', () => {
  const dir = tempDir();
  let template: string;
  let n = 0;
  after(() => removeDir(dir));

  before(async () => {
    template = path.join(dir, 'template');
    await BackupCenter.createDemo(template, { profile: 'pos', images: 20 });
  });

  /** A fresh home: a copy of the demo home made once (same register data, new identity). */
  async function freshCenter(): Promise<BackupCenter> {
    const home = path.join(dir, `home-${n++}`);
    fs.cpSync(path.join(template, 'demo-register'), path.join(home, 'app'), { recursive: true });
    const app = path.join(home, 'app');
    return BackupCenter.init({
      home,
      name: `Shop ${n}`,
      profile: 'pos',
      database: path.join(app, 'register.db'),
      files: path.join(app, 'images'),
      settings: path.join(app, 'settings.json'),
    });
  }

  it('runs a daily backup once a day at its local time, and nothing in between', async () => {
    const center = await freshCenter();
    const clock = new FakeClock(Date.parse('2026-11-20T12:00:00Z'));
    await center.setSchedule(
      { backup: { every: 'day', at: '02:00' }, verify: null, timeZone: TZ },
      clock.now(),
    );
    const scheduler = new Scheduler(center, clock);
    clock.set('2026-11-21T00:30:00Z'); // 01:30 in Paris
    assert.deepEqual(await scheduler.tick(), []);
    clock.set('2026-11-21T01:10:00Z'); // 02:10 in Paris
    const ran = await scheduler.tick();
    assert.equal(ran.length, 1);
    assert.equal(ran[0].type, 'job-done');
    clock.set('2026-11-21T15:00:00Z');
    assert.deepEqual(await scheduler.tick(), []);
    clock.set('2026-11-22T01:01:00Z');
    assert.equal((await scheduler.tick()).filter((e) => e.type === 'job-done').length, 1);
    const { backups } = await center.list();
    assert.deepEqual(
      backups.map((b) => [b.createdAt, b.origin]),
      [
        ['2026-11-21T01:10:00.000Z', 'automatic'],
        ['2026-11-22T01:01:00.000Z', 'automatic'],
      ],
    );
    assert.deepEqual(
      center
        .history(10)
        .filter((j) => j.kind === 'backup')
        .map((j) => j.trigger),
      ['schedule', 'schedule'],
    );
    center.close();
  });

  it('runs a weekly backup on its day only, and catches up a missed run once', async () => {
    const center = await freshCenter();
    const clock = new FakeClock(Date.parse('2026-11-01T12:00:00Z'));
    await center.setSchedule(
      { backup: { every: 'week', day: 'sun', at: '03:00' }, verify: null, timeZone: TZ },
      clock.now(),
    );
    const scheduler = new Scheduler(center, clock);
    // Thursday: nothing due. Sunday 8 Nov 03:30 Paris: due.
    clock.set('2026-11-05T10:00:00Z');
    assert.deepEqual(await scheduler.tick(), []);
    clock.set('2026-11-08T02:30:00Z');
    assert.equal((await scheduler.tick()).length, 1);
    // The machine is off for two Sundays; at start on Wednesday 25 Nov one run catches up, once.
    clock.set('2026-11-25T08:00:00Z');
    const caught = await scheduler.tick();
    assert.equal(caught.filter((e) => e.type === 'job-done').length, 1);
    assert.deepEqual(await scheduler.tick(), []);
    assert.equal((await center.list()).backups.length, 2);
    center.close();
  });

  it('runs due jobs one after the other, never overlapping', async () => {
    const center = await freshCenter();
    const clock = new FakeClock(Date.parse('2026-11-20T12:00:00Z'));
    await center.setSchedule(
      {
        backup: { every: 'day', at: '02:00' },
        verify: { every: 'day', at: '02:00' },
        timeZone: TZ,
      },
      clock.now(),
    );
    clock.set('2026-11-21T02:00:00Z');
    const events = await new Scheduler(center, clock).tick();
    assert.deepEqual(
      events.map((e) => [e.type, 'kind' in e ? e.kind : null]),
      [
        ['job-done', 'backup'],
        ['job-done', 'verify'],
      ],
    );
    assert.equal((events[1] as Extract<SchedulerEvent, { type: 'job-done' }>).detail, 'deep');
    assert.equal(center.history(10).length, 2);
    // Two schedulers waking at once (say, a second daemon started by mistake):
    // each job runs once; whoever finds the job lock taken skips and retries later.
    clock.set('2026-11-22T02:00:00Z');
    const both = (
      await Promise.all([new Scheduler(center, clock).tick(), new Scheduler(center, clock).tick()])
    ).flat();
    const done = both.filter((e) => e.type === 'job-done');
    assert.deepEqual(done.map((e) => ('kind' in e ? e.kind : null)).sort(), ['backup', 'verify']);
    assert.ok(both.every((e) => e.type === 'job-done' || e.type === 'job-skipped'));
    // Later ticks find nothing due: nothing ran twice.
    assert.deepEqual(await new Scheduler(center, clock).tick(), []);
    assert.equal((await center.list()).backups.length, 2);
    const status = await center.status(clock.now());
    assert.ok(status.lastTestRestore, 'status shows the passed test restore');
    center.close();
  });

  it('keeps 7 daily and 4 weekly backups while the daemon runs for 20 days', async () => {
    const center = await freshCenter();
    const clock = new FakeClock(Date.parse('2026-10-31T12:00:00Z'));
    await center.setSchedule(
      { backup: { every: 'day', at: '21:30' }, verify: null, timeZone: TZ },
      clock.now(),
    );
    const stop = new AbortController();
    const end = Date.parse('2026-11-20T22:00:00Z');
    const stepping: Clock = {
      now: () => clock.now(),
      sleep: async (ms) => {
        await clock.sleep(ms);
        if (clock.t > end) stop.abort();
      },
    };
    await new Scheduler(center, stepping, undefined, { maxSleepMs: 6 * 3600_000 }).run(stop.signal);
    const days = (await center.list()).backups.map((b) => b.createdAt.slice(0, 10));
    // Backups at 21:30 Paris (20:30 UTC) from 1 to 20 November. Daily keeps the
    // last 7 days (14-20); weekly keeps the newest of each ISO week: 20 (W47),
    // 15 (W46), 8 (W45), 1 (W44).
    assert.deepEqual(days, [
      '2026-11-01',
      '2026-11-08',
      '2026-11-14',
      '2026-11-15',
      '2026-11-16',
      '2026-11-17',
      '2026-11-18',
      '2026-11-19',
      '2026-11-20',
    ]);
    center.close();
  });

  it('takes the on-close backup when the run loop stops', async () => {
    const center = await freshCenter();
    const clock = new FakeClock(Date.parse('2026-11-20T12:00:00Z'));
    await center.setSchedule(
      { backup: null, verify: null, onClose: true, timeZone: TZ },
      clock.now(),
    );
    const stop = new AbortController();
    stop.abort();
    await new Scheduler(center, clock).run(stop.signal);
    const jobs = center.history(5);
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0].trigger, 'on-close');
    assert.equal((await center.list()).backups[0].origin, 'automatic');
    assert.ok(await center.onApplicationClose(clock.now()));
    center.close();
  });

  it('records a failed run, alerts the webhook, and warns when backups go stale', async () => {
    const center = await freshCenter();
    const received: { event: string; message: string }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body) as { event: string; message: string });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const alertLog = path.join(dir, `alerts-${n}.log`);
      await center.setAlerts({
        webhook: `http://127.0.0.1:${port}/coffre`,
        command: `echo "$COFFRE_EVENT|$COFFRE_REGISTER" >> '${alertLog}'`,
      });
      const clock = new FakeClock(Date.parse('2026-11-20T12:00:00Z'));
      await center.setSchedule(
        { backup: { every: 'day', at: '02:00' }, verify: null, timeZone: TZ },
        clock.now(),
      );
      const db = center.configuration.source.database;
      fs.renameSync(db, db + '.away');
      clock.set('2026-11-21T02:00:00Z');
      const events = await new Scheduler(center, clock).tick();
      fs.renameSync(db + '.away', db);
      assert.equal(events[0].type, 'job-failed');
      assert.equal(events[0].code, 'SOURCE_UNAVAILABLE');
      assert.ok(
        received.some((r) => r.event === 'backup-failed' && /does not exist/.test(r.message)),
      );
      assert.equal(center.history(5)[0].result, 'failed');
      assert.equal(fs.readFileSync(alertLog, 'utf8'), `backup-failed|${center.identity.name}\n`);
      // A backup 30 hours old is stale for the default 26 h threshold.
      await center.backup({ now: new Date('2026-11-21T06:00:00Z') });
      const status = await center.status(new Date('2026-11-22T12:00:00Z'));
      assert.ok(
        status.warnings.some(
          (w) => w.code === 'BACKUP_STALE' && w.data.hours === 30 && /30 hours old/.test(w.message),
        ),
        JSON.stringify(status.warnings),
      );
      clock.set('2026-11-22T12:00:00Z');
      await center.setSchedule({ backup: null }, clock.now());
      await new Scheduler(center, clock).tick();
      assert.ok(received.some((r) => r.event === 'backup-stale'));
    } finally {
      server.close();
      center.close();
    }
  });

  it('is not stopped by a lock a killed backup left', async () => {
    const center = await freshCenter();
    const home = center.paths.root;
    const child = spawn(process.execPath, [CLI, 'backup', '--home', home], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 150));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    const clock = new FakeClock(Date.parse('2026-11-20T12:00:00Z'));
    await center.setSchedule(
      { backup: { every: 'day', at: '02:00' }, verify: null, timeZone: TZ },
      clock.now(),
    );
    clock.set('2026-11-21T02:00:00Z');
    const events = await new Scheduler(center, clock).tick();
    assert.equal(events[0].type, 'job-done');
    center.close();
  });

  it('the daemon process backs up on SIGTERM when "on close" is set', async () => {
    const center = await freshCenter();
    const home = center.paths.root;
    center.close();
    assert.equal(
      coffre(['schedule', 'set', '--on-close', '--verify-off', '--home', home]).status,
      0,
    );
    const daemon = spawn(process.execPath, [CLI, 'daemon', '--json', '--home', home], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    daemon.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve) => {
      const check = () => (out.includes('"type":"ready"') ? resolve() : setTimeout(check, 20));
      check();
    });
    daemon.kill('SIGTERM');
    const code = await new Promise((r) => daemon.once('close', r));
    assert.equal(code, 0, out);
    assert.match(out, /"job-done"/);
    const list = coffre(['list', '--home', home, '--json']).json();
    assert.equal(list.backups.length, 1);
    assert.equal(list.backups[0].origin, 'automatic');
    const history = coffre(['history', '--home', home, '--json']).json();
    assert.equal(history[0].trigger, 'on-close');
  });
});
