// coffre destination add|list|remove.

import type { Command } from 'commander';
import { CoffreError } from '../../core/errors.js';
import { print, printJson, withCenter, type HomeOption } from '../context.js';
import { formatBytes, table } from '../output.js';

export function registerDestination(program: Command): void {
  const dest = program
    .command('destination')
    .description('where backups are written: local, external folders');

  dest
    .command('add')
    .argument('<name>', 'a short name: lower-case letters, digits, - and _')
    .argument('<kind>', 'external (a USB stick or network share folder)')
    .requiredOption(
      '--path <dir>',
      'the folder (it must exist: Coffre never creates it, so an unplugged drive is noticed)',
    )
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(
      async (name: string, kind: string, opts: HomeOption & { path: string; json?: boolean }) => {
        if (kind !== 'external') {
          throw new CoffreError(
            'USAGE',
            `Unknown destination kind "${kind}": this version supports "external" (the "local" one is built in).`,
          );
        }
        const info = await withCenter(opts, (c) =>
          c.addDestination(name, { kind: 'external', path: opts.path }),
        );
        if (opts.json) printJson(info);
        else {
          print(`Destination "${info.name}" added: ${info.location}.`);
          if (info.error) print(`Note: it cannot be used right now: ${info.error.message}`);
          else print(`Use it with: coffre backup --to ${info.name}`);
        }
      },
    );

  dest
    .command('list')
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOption & { json?: boolean }) => {
      const list = await withCenter(opts, (c) => c.destinations());
      if (opts.json) {
        printJson(list);
        return;
      }
      print(
        table(
          ['NAME', 'KIND', 'DEFAULT', 'BACKUPS', 'USED', 'FREE', 'LOCATION'],
          list.map((d) => [
            d.name,
            d.kind,
            d.isDefault ? 'yes' : '',
            d.usage ? String(d.usage.backups) : '-',
            d.usage ? formatBytes(d.usage.usedBytes) : '-',
            d.usage?.freeBytes != null ? formatBytes(d.usage.freeBytes) : '-',
            d.error ? `${d.location} (unavailable: ${d.error.code})` : d.location,
          ]),
        ),
      );
    });

  dest
    .command('remove')
    .argument('<name>')
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .action(async (name: string, opts: HomeOption) => {
      await withCenter(opts, (c) => c.removeDestination(name));
      print(
        `Destination "${name}" removed from the config. The backups already in it were not touched.`,
      );
    });
}
