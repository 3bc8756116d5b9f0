// coffre init, coffre demo, coffre start.

import crypto from 'node:crypto';
import { CoffreError, isCoffreError } from '../../index.js';
import type { Command } from 'commander';
import { BackupCenter } from '../../index.js';
import { print, printJson, resolveHome, withCenter } from '../context.js';
import { backupJson, failedExit, runBackup } from './backup.js';
import { printStatus } from './status.js';
import { printProfileCheck } from './profile.js';

export function registerSetup(program: Command): void {
  program
    .command('init')
    .description(
      "protect an existing app's data: creates the home's config, the register identity and its state",
    )
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .requiredOption('--db <file>', "the app's SQLite database")
    .option('--files <dir>', "the app's files folder (images, attachments)")
    .option('--settings <file>', "the app's settings file")
    .option('--db-key-file <file>', 'for a SQLCipher-encrypted database: a file holding its key')
    .option('--app-version <version>', "the app's version, recorded in every archive")
    .option('--profile <profile>', 'pos, accounting, generic or actual (docs/APPS.md)')
    .option('--profile-file <file>', "a JSON file declaring the app's own profile (docs/APPS.md)")
    .requiredOption('--name <name>', 'the register or company name')
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        home?: string;
        db: string;
        files?: string;
        settings?: string;
        dbKeyFile?: string;
        appVersion?: string;
        profile?: string;
        profileFile?: string;
        name: string;
        json?: boolean;
      }) => {
        const center = await BackupCenter.init({
          home: resolveHome(opts),
          name: opts.name,
          ...(opts.profile ? { profile: opts.profile } : {}),
          ...(opts.profileFile ? { profileFile: opts.profileFile } : {}),
          database: opts.db,
          files: opts.files ?? null,
          settings: opts.settings ?? null,
          databaseKeyFile: opts.dbKeyFile ?? null,
          appVersion: opts.appVersion ?? null,
        });
        let check;
        try {
          check = center.checkProfile();
        } finally {
          center.close();
        }
        const info = {
          home: center.paths.root,
          registerId: center.identity.id,
          name: center.identity.name,
          profile: check,
        };
        if (opts.json) printJson(info);
        else {
          print(`Coffre now protects "${info.name}" (register ${info.registerId}).`);
          printProfileCheck(check);
          print(`Home: ${info.home}. Take a first backup with: coffre backup --home ${info.home}`);
        }
      },
    );

  program
    .command('demo')
    .description('create a demo register (or accounting books) and a Coffre home protecting it')
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--profile <profile>', 'pos or accounting', 'pos')
    .option('--receipts <n>', 'number of receipts (pos) or invoices (accounting)', parseCount)
    .option('--images <n>', 'number of images (pos) or attachments (accounting)', parseCount)
    .option('--large-images', 'images of 50-400 KiB, as in the benchmark')
    .option('--days <n>', 'pos: spread the sales over this many opening days', parseCount)
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        home?: string;
        profile: string;
        receipts?: number;
        images?: number;
        largeImages?: boolean;
        days?: number;
        json?: boolean;
      }) => {
        if (opts.profile !== 'pos' && opts.profile !== 'accounting') {
          throw new CoffreError(
            'USAGE',
            `--profile must be pos or accounting, not "${opts.profile}".`,
          );
        }
        const result = await BackupCenter.createDemo(resolveHome(opts), {
          profile: opts.profile,
          ...(opts.receipts !== undefined ? { receipts: opts.receipts } : {}),
          ...(opts.images !== undefined ? { images: opts.images } : {}),
          ...(opts.largeImages ? { imageBytes: [50 * 1024, 400 * 1024] as [number, number] } : {}),
          ...(opts.days !== undefined ? { days: opts.days } : {}),
        });
        if (opts.json) printJson(result);
        else {
          print(
            `Demo ${result.profile === 'pos' ? 'register' : 'books'} created in ${result.dataDir}.`,
          );
          print(`Coffre home: ${result.home}. Try: coffre backup --home ${result.home}`);
        }
      },
    );

  program
    .command('start')
    .description(
      "run Coffre's main job: creates the demo home if the folder is empty, then a backup, the status, and serves the Backup center page",
    )
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--listen <host:port>', 'where to serve the Backup center page', '127.0.0.1:8470')
    .option('--no-serve', 'stop after the status instead of serving the page')
    .option('--json', 'print JSON: the demo made (or null), the backup and the status; no page')
    .action(async (opts: { home?: string; json?: boolean; serve: boolean; listen: string }) => {
      const home = resolveHome(opts);
      let demo: { dataDir: string; profile: string } | null = null;
      try {
        (await BackupCenter.open(home)).close();
      } catch (err) {
        if (!isCoffreError(err, 'NOT_INITIALIZED')) throw err;
        if (!opts.json) print(`No Coffre home in ${home} yet: creating the demo register there.`);
        const made = await BackupCenter.createDemo(home, { profile: 'pos' });
        demo = { dataDir: made.dataDir, profile: made.profile };
        if (!opts.json) print(`Demo register: ${made.dataDir}`);
      }
      if (opts.json) {
        const { backup, status } = await withCenter({ home }, async (c) => {
          const b = await c.backup();
          return { backup: b, status: await c.status() };
        });
        printJson({ home, demo, backup: backupJson(backup), status });
        failedExit(backup.failed);
        return;
      }
      await runBackup({ home }, {});
      print('');
      await printStatus({ home });
      if (!opts.serve) return;
      print('');
      const first = await withCenter({ home }, (c) => firstAdmin(c));
      if (first) {
        print(`First sign-in: user "${first.name}", password ${first.password}`);
        print(
          `It is shown this once: write it down, or set your own with \`coffre user passwd ${first.name}\`.`,
        );
      }
      const { serve } = await import('./serve.js');
      await serve({ home, listen: opts.listen });
    });
}

/**
 * A home without users gets one admin with a generated password, returned to
 * be shown once (only its hash is kept); null when users exist.
 */
async function firstAdmin(
  center: BackupCenter,
): Promise<{ name: string; password: string } | null> {
  if (center.users.list().length > 0) return null;
  // 16 characters from an alphabet without look-alikes (0/O, 1/l/I): 80 bits.
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  const password = [...crypto.randomBytes(16)].map((b) => alphabet[b % 32]).join('');
  await center.users.add('admin', password, ['export', 'settings']);
  return { name: 'admin', password };
}

export function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new CoffreError('USAGE', `"${value}" is not a whole number.`);
  return n;
}
