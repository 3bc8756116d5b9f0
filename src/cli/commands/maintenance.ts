// coffre prune, coffre delete, coffre retention, coffre guard, coffre alerts.

import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import type { RetentionReport } from '../../center.js';
import { CoffreError } from '../../core/errors.js';
import { DEFAULT_RETENTION, type RetentionPolicy } from '../../core/retention.js';
import { confirm, ExitWith, print, printJson, withCenter, type HomeOption } from '../context.js';
import { formatDate, table } from '../output.js';

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new CoffreError('USAGE', `"${value}" is not a whole number.`);
  return n;
}

function printPlan(plan: RetentionReport): void {
  for (const p of plan.policies) print(`Retention in ${p.destination}: ${p.describe}`);
  print(
    table(
      ['DESTINATION', 'ID', 'DATE', 'ORIGIN', 'DECISION', 'RULE'],
      plan.entries.map((e) => [
        e.destination,
        e.id,
        formatDate(e.createdAt),
        e.origin,
        e.keep ? 'keep' : 'DELETE',
        e.reasons.join(', '),
      ]),
    ),
  );
  for (const u of plan.unavailable)
    print(`Destination "${u.destination}" could not be read: ${u.message}`);
}

export function registerMaintenance(program: Command): void {
  program
    .command('prune')
    .description('apply retention: delete the backups no rule keeps (see --dry-run first)')
    .option(
      '--dry-run',
      'show every backup with keep or delete and the rule that decided, change nothing',
    )
    .option('--yes', 'do not ask for confirmation')
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOption & { dryRun?: boolean; yes?: boolean; json?: boolean }) => {
      await withCenter(opts, async (c) => {
        const plan = await c.retentionPlan();
        const doomed = plan.entries.filter((e) => !e.keep);
        if (opts.dryRun) {
          if (opts.json) printJson(plan);
          else {
            printPlan(plan);
            print(`${doomed.length} backup(s) would be deleted. Nothing was changed.`);
          }
          return;
        }
        if (doomed.length > 0 && !opts.yes) {
          if (!opts.json) printPlan(plan);
          if (!(await confirm(`Delete ${doomed.length} backup(s)?`))) {
            throw new CoffreError(
              'USAGE',
              'Nothing was deleted: confirm on a terminal, or add --yes.',
            );
          }
        }
        const result = await c.prune();
        if (opts.json) printJson(result);
        else
          print(
            `${result.deleted} backup(s) deleted, ${result.swept} leftover temporary file(s) removed.`,
          );
      });
    });

  program
    .command('delete')
    .argument('<backup>', 'a backup id (or a unique start of it), or "latest"')
    .description('delete one backup (from every destination that has it, or only --from)')
    .option('--from <destination>', 'only from this destination')
    .option('--yes', 'do not ask for confirmation')
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(
      async (ref: string, opts: HomeOption & { from?: string; yes?: boolean; json?: boolean }) => {
        if (
          !opts.yes &&
          !(await confirm(
            `Delete backup ${ref}${opts.from ? ` from ${opts.from}` : ' everywhere'}?`,
          ))
        ) {
          throw new CoffreError(
            'USAGE',
            'Nothing was deleted: confirm on a terminal, or add --yes.',
          );
        }
        const deleted = await withCenter(opts, (c) =>
          c.deleteBackup(ref, opts.from ? { from: opts.from } : {}),
        );
        if (opts.json) printJson(deleted);
        else for (const d of deleted) print(`Deleted ${d.id} from ${d.destination}.`);
      },
    );

  const retention = program
    .command('retention')
    .description('how many backups each destination keeps');
  retention
    .command('set')
    .option('--daily <n>', 'newest backup of each of the last N days with one', count)
    .option('--weekly <n>', 'newest backup of each of the last N weeks with one', count)
    .option('--monthly <n>', 'newest backup of each of the last N months with one', count)
    .option('--yearly <n>', 'newest backup of each of the last N years with one', count)
    .option('--pre-operation <n>', 'pre-operation backups to keep', count)
    .option('--safety <n>', 'safety backups (taken before a restore) to keep', count)
    .option('--destination <name>', 'only for this destination (default: every destination)')
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .action(
      async (
        opts: HomeOption &
          Partial<
            Record<'daily' | 'weekly' | 'monthly' | 'yearly' | 'preOperation' | 'safety', number>
          > & {
            destination?: string;
          },
      ) => {
        await withCenter(opts, async (c) => {
          const config = c.configuration;
          const base: RetentionPolicy =
            (opts.destination ? config.retentionByDestination[opts.destination] : undefined) ??
            config.retention;
          const policy: RetentionPolicy = {
            daily: opts.daily ?? base.daily,
            weekly: opts.weekly ?? base.weekly,
            monthly: opts.monthly ?? base.monthly,
            yearly: opts.yearly ?? base.yearly,
            preOperation: opts.preOperation ?? base.preOperation,
            safety: opts.safety ?? base.safety,
          };
          await c.setRetention(policy, opts.destination);
          const plan = await c.retentionPlan();
          const doomed = plan.entries.filter((e) => !e.keep).length;
          print(
            `Retention${opts.destination ? ` in ${opts.destination}` : ''} set. ${doomed} backup(s) would go at the next prune or backup (see coffre prune --dry-run).`,
          );
        });
      },
    );
  retention
    .command('show')
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOption & { json?: boolean }) => {
      const plan = await withCenter(opts, (c) => c.retentionPlan());
      if (opts.json) printJson(plan.policies);
      else for (const p of plan.policies) print(`${p.destination}: ${p.describe}`);
      if (!opts.json)
        print(
          `(default: ${DEFAULT_RETENTION.daily} daily, ${DEFAULT_RETENTION.weekly} weekly; see docs/RETENTION.md)`,
        );
    });

  program
    .command('guard')
    .description(
      'take a pre-operation backup, run a command, and if it fails say which backup holds the data as it was',
    )
    .argument('<command...>', 'the command and its arguments (after --)')
    .option('--note <text>', 'note for the backup (default: the command)')
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .action(async (command: string[], opts: HomeOption & { note?: string }) => {
      const backup = await withCenter(opts, (c) =>
        c.backup({
          origin: 'pre-operation',
          trigger: 'guard',
          note: opts.note ?? `before: ${command.join(' ')}`,
        }),
      );
      print(`Pre-operation backup ${backup.id} taken. Running: ${command.join(' ')}`);
      const code = await new Promise<number>((resolve) => {
        const child = spawn(command[0], command.slice(1), { stdio: 'inherit' });
        child.on('error', (err) => {
          process.stderr.write(`Could not start ${command[0]}: ${err.message}\n`);
          resolve(127);
        });
        child.on('close', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
      });
      if (code === 0) {
        print(`The command succeeded. Backup ${backup.id} stays available (pre-operation).`);
        return;
      }
      process.stderr.write(
        `The command failed (exit ${code}). The data as it was just before is in backup ${backup.id} ` +
          `(pre-operation, in ${backup.destinations.map((d) => d.name).join(', ')}). ` +
          `Check it with: coffre verify ${backup.id} --deep\n`,
      );
      throw new ExitWith(code);
    });

  program
    .command('alerts')
    .description('who hears about a failed or stale backup')
    .option(
      '--command <cmd>',
      'a command to run (COFFRE_EVENT and COFFRE_MESSAGE are set); "" to remove',
    )
    .option('--webhook <url>', 'a URL that receives a JSON POST; "" to remove')
    .option('--stale-after <hours>', 'warn when the newest backup is older than this', count)
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .action(
      async (opts: HomeOption & { command?: string; webhook?: string; staleAfter?: number }) => {
        await withCenter(opts, (c) =>
          c.setAlerts({
            ...(opts.command !== undefined ? { command: opts.command || null } : {}),
            ...(opts.webhook !== undefined ? { webhook: opts.webhook || null } : {}),
            ...(opts.staleAfter !== undefined ? { staleAfterHours: opts.staleAfter } : {}),
          }),
        );
        print('Alerts updated.');
      },
    );
}
