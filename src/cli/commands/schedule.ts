// coffre schedule set|show, coffre daemon, coffre history.

import { CoffreError, parseSpecArgs, type ScheduleSpec } from '../../index.js';
import type { Command } from 'commander';
import type { SchedulerEvent } from '../../scheduler/daemon.js';
import { collect, openCenter, print, printJson, withCenter, type HomeOption } from '../context.js';
import { formatBytes, formatDate, table } from '../output.js';

interface ScheduleFlags extends HomeOption {
  daily?: string;
  weekly?: string;
  cron?: string;
  off?: boolean;
  to?: string[];
  onClose?: boolean;
  verifyDaily?: string;
  verifyWeekly?: string;
  verifyCron?: string;
  verifyOff?: boolean;
  timeZone?: string;
  fiscal?: string;
  json?: boolean;
}

function pick(daily?: string, weekly?: string, cron?: string): ScheduleSpec | undefined {
  if (daily === undefined && weekly === undefined && cron === undefined) return undefined;
  const given = { daily, weekly, cron };
  const flags = Object.entries(given).filter(([, v]) => v !== undefined);
  if (flags.length > 1) {
    throw new CoffreError(
      'USAGE',
      `Give exactly one of --daily, --weekly or --cron (got ${flags.map(([k]) => `--${k}`).join(' and ')}), e.g. --daily 02:30, --weekly "sun 03:00" or --cron "0 */6 * * *".`,
    );
  }
  return parseSpecArgs({
    ...(daily !== undefined ? { daily } : {}),
    ...(weekly !== undefined ? { weekly } : {}),
    ...(cron !== undefined ? { cron } : {}),
  });
}

export function registerSchedule(program: Command): void {
  const schedule = program
    .command('schedule')
    .description('automatic backups and test restores (run by `coffre daemon`)');

  schedule
    .command('set')
    .description('set when automatic backups run; what is not given stays as it is')
    .option('--daily <HH:MM>', 'every day at this local time (recommended: after closing time)')
    .option('--weekly <"DAY HH:MM">', 'once a week, e.g. "sun 03:00"')
    .option('--cron <expression>', 'a 5-field cron expression, local time')
    .option('--off', 'no automatic backups')
    .option('--to <destination>', 'destination of automatic backups (repeatable)', collect)
    .option('--on-close', 'also back up when the application (or the daemon) closes')
    .option('--no-on-close', 'do not back up on close')
    .option('--verify-daily <HH:MM>', 'test-restore the newest backup every day at this time')
    .option(
      '--verify-weekly <"DAY HH:MM">',
      'test-restore the newest backup once a week (default "sun 04:00")',
    )
    .option('--verify-cron <expression>', 'test restores on a cron expression')
    .option('--verify-off', 'no scheduled test restores')
    .option(
      '--fiscal <monthly|yearly|off>',
      'make a fiscal archive of each closed month or year (registers with fiscal data)',
    )
    .option(
      '--time-zone <zone>',
      "the register's time zone, e.g. Europe/Paris (default: the machine's)",
    )
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(async (opts: ScheduleFlags) => {
      const backup = opts.off ? null : pick(opts.daily, opts.weekly, opts.cron);
      const verify = opts.verifyOff
        ? null
        : pick(opts.verifyDaily, opts.verifyWeekly, opts.verifyCron);
      if (opts.off && (opts.daily || opts.weekly || opts.cron)) {
        throw new CoffreError('USAGE', 'Give either --off or a schedule, not both.');
      }
      const fiscal = opts.fiscal;
      if (fiscal !== undefined && fiscal !== 'monthly' && fiscal !== 'yearly' && fiscal !== 'off') {
        throw new CoffreError('USAGE', `--fiscal takes monthly, yearly or off, not "${fiscal}".`);
      }
      const info = await withCenter(opts, (c) =>
        c.setSchedule({
          ...(backup !== undefined ? { backup } : {}),
          ...(verify !== undefined ? { verify } : {}),
          ...(opts.onClose !== undefined ? { onClose: opts.onClose } : {}),
          ...(opts.to ? { destinations: opts.to } : {}),
          ...(opts.timeZone ? { timeZone: opts.timeZone } : {}),
          ...(fiscal !== undefined ? { fiscal } : {}),
        }),
      );
      if (opts.json) printJson(info);
      else {
        printSchedule(info);
        print('Run `coffre daemon` (for example as a service) so that the schedule runs.');
      }
    });

  schedule
    .command('show')
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOption & { json?: boolean }) => {
      const info = await withCenter(opts, (c) => Promise.resolve(c.scheduleInfo()));
      if (opts.json) printJson(info);
      else printSchedule(info);
    });

  program
    .command('daemon')
    .description(
      'run the schedule in the foreground (for systemd or a service wrapper); stops on SIGTERM/SIGINT',
    )
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'one JSON line per event')
    .action(async (opts: HomeOption & { json?: boolean }) => {
      const center = await openCenter(opts);
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      const show = (e: SchedulerEvent) => {
        if (opts.json) print(JSON.stringify(e));
        else if (e.type === 'job-done')
          print(`${e.at} ${e.kind} done: ${e.backupId} (${e.detail})`);
        else if (e.type === 'job-failed')
          print(`${e.at} ${e.kind} FAILED (${e.code}): ${e.message}`);
        else if (e.type === 'job-skipped') print(`${e.at} ${e.kind} skipped: ${e.reason}`);
        else
          print(
            `${e.at} alert ${e.event} sent${e.problems.length ? ` with problems: ${e.problems.join('; ')}` : ''}`,
          );
      };
      const info = center.scheduleInfo();
      if (opts.json) print(JSON.stringify({ type: 'ready', pid: process.pid, schedule: info }));
      else {
        print(
          `Coffre daemon for "${center.identity.name}" (process ${process.pid}); stop with Ctrl-C or SIGTERM.`,
        );
        printSchedule(info);
      }
      try {
        // The scheduler (and croner under it) only for the daemon.
        const { Scheduler, systemClock } = await import('../../scheduler/daemon.js');
        await new Scheduler(center, systemClock, show).run(stop.signal);
      } finally {
        center.close();
      }
    });

  program
    .command('history')
    .description('every job: start, end, result, size, destinations, error')
    .option('--limit <n>', 'how many, newest first', '50')
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOption & { limit: string; json?: boolean }) => {
      if (!/^\d+$/.test(opts.limit)) {
        throw new CoffreError(
          'USAGE',
          `--limit takes a whole number of jobs, not "${opts.limit}".`,
        );
      }
      const jobs = await withCenter(opts, (c) => Promise.resolve(c.history(Number(opts.limit))));
      if (opts.json) {
        printJson(jobs);
        return;
      }
      print(
        table(
          ['STARTED', 'JOB', 'TRIGGER', 'RESULT', 'SIZE', 'DESTINATIONS', 'BACKUP / ERROR'],
          jobs.map((j) => [
            formatDate(j.startedAt),
            j.kind + (j.detail ? ` (${describeDetail(j.kind, j.detail)})` : ''),
            j.trigger,
            j.result,
            j.bytes !== null && j.kind === 'backup' ? formatBytes(j.bytes) : '',
            j.destinations.join(', '),
            j.result === 'failed' ? `${j.errorCode}: ${j.errorMessage}` : (j.backupId ?? ''),
          ]),
        ),
      );
    });
}

function printSchedule(
  info: ReturnType<import('../../center.js').BackupCenter['scheduleInfo']>,
): void {
  print(
    `Automatic backups: ${info.backup ? `${info.backup.describe}, next ${info.backup.nextLocal} (${info.timeZone})` : 'off'}`,
  );
  print(`  to:             ${info.destinations.join(', ')}`);
  print(`  on close:       ${info.onClose ? 'yes' : 'no'}`);
  print(
    `Test restores:     ${info.verify ? `${info.verify.describe}, next ${info.verify.nextLocal} (${info.timeZone})` : 'off'}`,
  );
  const f = info.fiscal;
  print(
    `Fiscal archives:   ${
      f
        ? `${f.every}${f.due.length > 0 ? `, due now: ${f.due.join(', ')}${f.retryAt ? ` (retried after ${formatDate(f.retryAt)})` : ''}` : f.next ? `, next ${f.next.period} on ${f.next.dueOn}` : ''}`
        : 'off'
    }`,
  );
  print(`Time zone:         ${info.timeZone}`);
}

/** Restore jobs keep a small JSON record; other jobs a word. */
function describeDetail(kind: string, detail: string): string {
  if (kind !== 'restore') return detail;
  try {
    const d = JSON.parse(detail) as { applied: boolean; safetyBackupId: string | null };
    return d.applied ? `applied; safety backup ${d.safetyBackupId ?? 'none'}` : 'not confirmed';
  } catch {
    return detail;
  }
}
