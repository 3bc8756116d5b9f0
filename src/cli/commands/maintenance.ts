// coffre prune, coffre delete, coffre retention, coffre guard, coffre alerts.

import { CoffreError, DEFAULT_RETENTION } from '../../index.js';
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import type { RetentionReport } from '../../index.js';
import {
  cancelled,
  confirm,
  ExitWith,
  print,
  printJson,
  withCenter,
  type HomeOption,
} from '../context.js';
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
        if (opts.dryRun) {
          const plan = await c.retentionPlan();
          const doomed = plan.entries.filter((e) => !e.keep);
          if (opts.json) printJson(plan);
          else {
            printPlan(plan);
            print(`${doomed.length} backup(s) would be deleted. Nothing was changed.`);
          }
          return;
        }
        // The plan confirmed is the plan applied: both happen inside the job.
        const result = await c.prune({
          confirm: async (plan) => {
            if (opts.yes) return true;
            if (!opts.json) printPlan(plan);
            return confirm(`Delete ${plan.entries.filter((e) => !e.keep).length} backup(s)?`);
          },
        });
        if (opts.json) printJson(result);
        else if (!result.applied) cancelled();
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
        const result = await withCenter(opts, (c) =>
          c.deleteBackup(ref, {
            ...(opts.from ? { from: opts.from } : {}),
            confirm: (copies) =>
              confirm(
                `Delete backup ${copies[0]?.id ?? ref} from ${copies.map((d) => d.destination).join(', ')}?`,
                opts,
              ),
          }),
        );
        if (opts.json) printJson(result);
        else if (!result.applied) cancelled();
        else for (const d of result.deleted) print(`Deleted ${d.id} from ${d.destination}.`);
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
    .option('--json', 'print JSON')
    .action(
      async (
        opts: HomeOption &
          Partial<
            Record<'daily' | 'weekly' | 'monthly' | 'yearly' | 'preOperation' | 'safety', number>
          > & {
            destination?: string;
            json?: boolean;
          },
      ) => {
        await withCenter(opts, async (c) => {
          const { destination, json: _json, home: _home, ...patch } = opts;
          const policy = await c.setRetention(
            {
              daily: patch.daily,
              weekly: patch.weekly,
              monthly: patch.monthly,
              yearly: patch.yearly,
              preOperation: patch.preOperation,
              safety: patch.safety,
            },
            destination,
          );
          const plan = await c.retentionPlan();
          const doomed = plan.entries.filter((e) => !e.keep).length;
          if (opts.json)
            printJson({ destination: destination ?? null, policy, wouldDelete: doomed });
          else
            print(
              `Retention${destination ? ` in ${destination}` : ''} set. ${doomed} backup(s) would go at the next prune or backup (see coffre prune --dry-run).`,
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
    .option('--json', 'print one JSON object when the command has ended')
    .action(async (command: string[], opts: HomeOption & { note?: string; json?: boolean }) => {
      const backup = await withCenter(opts, (c) =>
        c.backup({
          origin: 'pre-operation',
          trigger: 'guard',
          note: opts.note ?? `before: ${command.join(' ')}`,
        }),
      );
      if (!opts.json)
        print(`Pre-operation backup ${backup.id} taken. Running: ${command.join(' ')}`);
      const code = await new Promise<number>((resolve) => {
        // Under --json the command's output goes to stderr: stdout is the JSON.
        const child = spawn(command[0], command.slice(1), {
          stdio: opts.json ? ['inherit', process.stderr, 'inherit'] : 'inherit',
        });
        child.on('error', (err) => {
          process.stderr.write(`Could not start ${command[0]}: ${err.message}\n`);
          resolve(127);
        });
        child.on('close', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
      });
      if (opts.json) {
        printJson({
          backupId: backup.id,
          destinations: backup.destinations.map((d) => d.name),
          command,
          exitCode: code,
        });
        if (code !== 0) throw new ExitWith(code);
        return;
      }
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
    .option('--json', 'print JSON')
    .action(
      async (
        opts: HomeOption & {
          command?: string;
          webhook?: string;
          staleAfter?: number;
          json?: boolean;
        },
      ) => {
        const change = {
          ...(opts.command !== undefined ? { command: opts.command || null } : {}),
          ...(opts.webhook !== undefined ? { webhook: opts.webhook || null } : {}),
          ...(opts.staleAfter !== undefined ? { staleAfterHours: opts.staleAfter } : {}),
        };
        // No option: show the settings, change nothing.
        const { alerts, staleAfterHours } = await withCenter(opts, async (c) => ({
          alerts: Object.keys(change).length > 0 ? await c.setAlerts(change) : c.alerts,
          staleAfterHours: c.staleAfterHours(),
        }));
        if (opts.json) printJson({ ...alerts, effectiveStaleAfterHours: staleAfterHours });
        else {
          if (Object.keys(change).length > 0) print('Alerts updated.');
          print(`Command:     ${alerts.command ?? 'none'}`);
          print(`Webhook:     ${alerts.webhook ?? 'none'}`);
          print(
            `Stale after: ${staleAfterHours} h${alerts.staleAfterHours === null ? ' (from the backup schedule)' : ''}`,
          );
        }
      },
    );

  program
    .command('hooks')
    .description('commands run around a restore, e.g. to stop and start the app')
    .option(
      '--before-restore <cmd>',
      'run before anything changes (a failure stops the restore); "" to remove',
    )
    .option(
      '--after-restore <cmd>',
      'run after it, whatever happened (COFFRE_RESTORE_RESULT); "" to remove',
    )
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(
      async (
        opts: HomeOption & { beforeRestore?: string; afterRestore?: string; json?: boolean },
      ) => {
        const change = {
          ...(opts.beforeRestore !== undefined
            ? { beforeRestore: opts.beforeRestore || null }
            : {}),
          ...(opts.afterRestore !== undefined ? { afterRestore: opts.afterRestore || null } : {}),
        };
        // No option: show them, change nothing.
        const hooks = await withCenter(opts, async (c) =>
          Object.keys(change).length > 0 ? c.setHooks(change) : c.hooks,
        );
        if (opts.json) printJson(hooks);
        else {
          if (Object.keys(change).length > 0) print('Restore hooks updated.');
          print(`Before restore: ${hooks.beforeRestore ?? 'none'}`);
          print(`After restore:  ${hooks.afterRestore ?? 'none'}`);
        }
      },
    );
}
