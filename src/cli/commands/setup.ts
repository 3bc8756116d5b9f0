// coffre init, coffre demo, coffre start.

import type { Command } from 'commander';
import { CoffreError, isCoffreError } from '../../core/errors.js';
import { loadCenter, print, printJson, resolveHome } from '../context.js';
import { runBackup } from './backup.js';
import { printStatus } from './status.js';

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
    .requiredOption('--profile <profile>', 'pos, accounting or generic')
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
        profile: string;
        name: string;
        json?: boolean;
      }) => {
        const center = await (
          await loadCenter()
        ).init({
          home: resolveHome(opts),
          name: opts.name,
          profile: opts.profile,
          database: opts.db,
          files: opts.files ?? null,
          settings: opts.settings ?? null,
          databaseKeyFile: opts.dbKeyFile ?? null,
          appVersion: opts.appVersion ?? null,
        });
        const info = {
          home: center.paths.root,
          registerId: center.identity.id,
          name: center.identity.name,
        };
        center.close();
        if (opts.json) printJson(info);
        else {
          print(`Coffre now protects "${info.name}" (register ${info.registerId}).`);
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
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        home?: string;
        profile: string;
        receipts?: number;
        images?: number;
        largeImages?: boolean;
        json?: boolean;
      }) => {
        if (opts.profile !== 'pos' && opts.profile !== 'accounting') {
          throw new CoffreError(
            'USAGE',
            `--profile must be pos or accounting, not "${opts.profile}".`,
          );
        }
        const result = await (
          await loadCenter()
        ).createDemo(resolveHome(opts), {
          profile: opts.profile,
          ...(opts.receipts !== undefined ? { receipts: opts.receipts } : {}),
          ...(opts.images !== undefined ? { images: opts.images } : {}),
          ...(opts.largeImages ? { imageBytes: [50 * 1024, 400 * 1024] as [number, number] } : {}),
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
      "run Coffre's main job: creates the demo home if the folder is empty, then a backup and the status",
    )
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .action(async (opts: { home?: string }) => {
      const home = resolveHome(opts);
      try {
        (await (await loadCenter()).open(home)).close();
      } catch (err) {
        if (!isCoffreError(err, 'NOT_INITIALIZED')) throw err;
        print(`No Coffre home in ${home} yet: creating the demo register there.`);
        const demo = await (await loadCenter()).createDemo(home, { profile: 'pos' });
        print(`Demo register: ${demo.dataDir}`);
      }
      await runBackup({ home }, {});
      print('');
      await printStatus({ home });
    });
}

export function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new CoffreError('USAGE', `"${value}" is not a whole number.`);
  return n;
}
