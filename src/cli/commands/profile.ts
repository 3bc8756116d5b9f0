// coffre profile check | show | set | app-version: the app's profile against
// its live data, declaring one for this home, and the app's version.

import type { Command } from 'commander';
import type { ProfileCheck } from '../../index.js';
import { print, printJson, withCenter, type HomeOption } from '../context.js';
import { table } from '../output.js';

interface Flags extends HomeOption {
  json?: boolean;
}

/** The check in words: what Coffre expects, then each finding. */
export function printProfileCheck(c: ProfileCheck): void {
  print(`Profile: ${c.profile}${c.declared ? ' (declared in this home)' : ' (built in)'}.`);
  for (const m of c.missing) {
    print(
      `Not there yet: the ${m.what === 'files' ? 'files folder' : m.what === 'settings' ? 'settings file' : 'database'} ${m.path}. Coffre expects it there once the app has started; backups wait for it.`,
    );
  }
  if (c.missing.some((m) => m.what === 'database')) return;
  if (c.unknownTables.length > 0)
    print(
      `Tables the profile names but the database does not have: ${c.unknownTables.join(', ')}.`,
    );
  if (c.unnamedTables.length > 0)
    print(
      `Tables no section names (backed up and restored whole, in "other"): ${c.unnamedTables.join(', ')}.`,
    );
  if (c.relations.length > 0) {
    print(
      table(
        ['RELATION', 'ROWS POINTING TO NOTHING'],
        c.relations.map((r) => [`${r.child} -> ${r.parent}`, String(r.rows)]),
      ),
    );
  }
  print(`Schema version: ${c.schemaVersion ?? '-'}.`);
  print(
    `App version: ${c.appVersion.value ?? 'unknown'}${c.appVersion.detected ? ' (read from the database)' : c.appVersion.value ? ' (recorded: `coffre profile app-version VERSION` after an update)' : ''}.`,
  );
  const extra = Object.entries(c.beyondFreshInstall);
  print(
    extra.length === 0
      ? 'Holds only what a fresh installation has.'
      : `Holds data of its own: ${extra.map(([t, n]) => `${n} in ${t}`).join(', ')}.`,
  );
  print(
    c.ok ? 'OK.' : 'PROBLEMS: fix the profile (or the data) before relying on section restores.',
  );
}

export function registerProfile(program: Command): void {
  const profile = program
    .command('profile')
    .description("the app's profile: sections, relations, versions (see docs/APPS.md)");

  profile
    .command('check')
    .description(
      'run the profile against the live database: unknown tables, tables no section names, relations that already dangle',
    )
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(async (opts: Flags) => {
      const check = await withCenter(opts, (c) => Promise.resolve(c.checkProfile()));
      if (opts.json) printJson(check);
      else printProfileCheck(check);
    });

  profile
    .command('show')
    .argument('[name]', "a profile's name (default: this home's)")
    .description('print a profile as declared (JSON), e.g. to start one of your own')
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON (the same declaration)')
    .action(async (name: string | undefined, opts: Flags) => {
      const p = await withCenter(opts, (c) => Promise.resolve(c.profile(name)));
      printJson(p);
    });

  profile
    .command('set')
    .argument(
      '<name-or-file>',
      'a built-in profile (pos, accounting, generic, actual) or a JSON file declaring one',
    )
    .description("use another profile for this home; a file's profile is declared in the config")
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(async (what: string, opts: Flags) => {
      const p = await withCenter(opts, (c) =>
        /[./\\]/.test(what) ? c.declareProfile(what) : c.useProfile(what),
      );
      if (opts.json) printJson({ profile: p.name });
      else print(`This home now uses the profile "${p.name}" (${p.label}).`);
    });

  profile
    .command('app-version')
    .argument('[version]', "the app's version now (after an update)")
    .option('--clear', 'forget the recorded version')
    .description(
      "record the app's version, written in every archive (a profile may read it from the database instead)",
    )
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(async (version: string | undefined, opts: Flags & { clear?: boolean }) => {
      const result = await withCenter(opts, async (c) => {
        if (version !== undefined || opts.clear)
          await c.setAppVersion(opts.clear ? null : version!);
        return c.checkProfile().appVersion;
      });
      if (opts.json) printJson(result);
      else
        print(
          `App version: ${result.value ?? 'unknown'}${result.detected ? ' (read from the database by the profile)' : ''}.`,
        );
    });
}
