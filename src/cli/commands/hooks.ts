// coffre hooks show|set|clear: the commands run around every restore.

import { CoffreError } from '../../index.js';
import type { Command } from 'commander';
import { print, printJson, withCenter, type HomeOption } from '../context.js';

type Which = 'beforeRestore' | 'afterRestore';

const NAMES: Record<string, Which> = {
  'before-restore': 'beforeRestore',
  'after-restore': 'afterRestore',
};

function which(name: string): Which {
  const w = NAMES[name];
  if (!w) {
    throw new CoffreError(
      'USAGE',
      `There is no "${name}" hook: the hooks are before-restore and after-restore.`,
    );
  }
  return w;
}

function show(hooks: Readonly<Record<Which, string | null>>): void {
  print(`before-restore: ${hooks.beforeRestore ?? '(none)'}`);
  print(`after-restore:  ${hooks.afterRestore ?? '(none)'}`);
}

export function registerHooks(program: Command): void {
  const hooks = program
    .command('hooks')
    .description('commands run around every restore, e.g. to stop and start the app');

  hooks
    .command('show')
    .description('the before-restore and after-restore commands')
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOption & { json?: boolean }) => {
      const current = await withCenter(opts, (c) => Promise.resolve({ ...c.restoreHooks }));
      if (opts.json) return printJson(current);
      show(current);
    });

  hooks
    .command('set')
    .argument('<hook>', 'before-restore or after-restore')
    .argument('<command>', 'a shell command, e.g. "systemctl stop caisse"')
    .description(
      'set the command run before every restore (it must return once the app has exited; the restore then checks that nothing holds the database) or after it (COFFRE_RESTORE_RESULT is restored or failed)',
    )
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(async (name: string, command: string, opts: HomeOption & { json?: boolean }) => {
      const next = await withCenter(opts, (c) => c.setRestoreHook(which(name), command));
      if (opts.json) return printJson(next);
      show(next);
    });

  hooks
    .command('clear')
    .argument('[hook]', 'before-restore or after-restore (default: both)')
    .description('remove a restore hook, or both')
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, opts: HomeOption & { json?: boolean }) => {
      const targets =
        name === undefined ? (['beforeRestore', 'afterRestore'] as const) : [which(name)];
      const next = await withCenter(opts, async (c) => {
        for (const t of targets) await c.setRestoreHook(t, null);
        return { ...c.restoreHooks };
      });
      if (opts.json) return printJson(next);
      show(next);
    });
}
