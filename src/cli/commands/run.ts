// coffre on-close and coffre run: "back up each time the application closes"
// for apps that are not written for Node.js. `on-close` is for the app's exit
// script; `run` starts the app, passes signals to it, and when it exits asks
// the center whether to back up (the rule is the schedule service's), then
// exits with the app's exit code.

import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { Command } from 'commander';
import type { AppClosedResult } from '../../index.js';
import { ExitWith, print, printJson, withCenter, type HomeOption } from '../context.js';
import { backupJson } from './backup.js';

function report(result: AppClosedResult, toStderr: boolean): void {
  const say = toStderr ? (line: string) => process.stderr.write(line + '\n') : print;
  if (result.backup) say(`coffre: backup ${result.backup.id} taken as the app closed.`);
  else say('coffre: no backup (backing up on close is off: coffre schedule set --on-close).');
}

function closedJson(result: AppClosedResult, extra: Record<string, unknown> = {}) {
  return {
    ...extra,
    backup: result.backup ? backupJson(result.backup) : null,
    skipped: result.skipped,
  };
}

export function registerRun(program: Command): void {
  program
    .command('on-close')
    .description(
      "for the app's exit script: back up now if backing up on close is enabled (coffre schedule set --on-close), else do nothing",
    )
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOption & { json?: boolean }) => {
      const result = await withCenter(opts, (c) => c.applicationClosed({ how: 'exit-script' }));
      if (opts.json) printJson(closedJson(result));
      else report(result, false);
    });

  program
    .command('run')
    .description(
      "start an app, pass it the signals Coffre gets, and back it up when it exits (if backing up on close is enabled); exits with the app's exit code",
    )
    .argument('<app>', 'the program to run')
    .argument('[args...]', 'its arguments (put -- before them)')
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON (after the app exits)')
    .action(async (app: string, args: string[], opts: HomeOption & { json?: boolean }) => {
      const child = spawn(app, args, { stdio: 'inherit' });
      const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;
      const pass = (signal: NodeJS.Signals) => () => {
        child.kill(signal);
      };
      const handlers = forwarded.map((s) => [s, pass(s)] as const);
      for (const [s, h] of handlers) process.on(s, h);
      const exit = await new Promise<{ code: number | null; signal: string | null }>(
        (resolve, reject) => {
          child.once('error', reject);
          child.once('exit', (code, signal) => resolve({ code, signal }));
        },
      ).finally(() => {
        for (const [s, h] of handlers) process.off(s, h);
      });
      const appCode =
        exit.code ??
        128 + (exit.signal ? (osConstants.signals[exit.signal as NodeJS.Signals] ?? 0) : 0);
      let result: AppClosedResult;
      try {
        result = await withCenter(opts, (c) => c.applicationClosed({ how: 'run', appExit: exit }));
      } catch (err) {
        // The app's own failure comes first: its code is kept, the backup's error is told.
        if (appCode === 0) throw err;
        process.stderr.write(
          `coffre: the backup after the app failed: ${(err as Error).message}\n`,
        );
        throw new ExitWith(appCode);
      }
      if (opts.json) printJson(closedJson(result, { app: { ...exit, exitCode: appCode } }));
      else report(result, true);
      if (appCode !== 0) throw new ExitWith(appCode);
    });
}
