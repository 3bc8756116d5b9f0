// coffre destination add|list|remove.

import { CoffreError } from '../../index.js';
import type { Command } from 'commander';
import { print, printJson, withCenter, type HomeOption } from '../context.js';
import { formatBytes, formatSize, table } from '../output.js';

interface AddFlags extends HomeOption {
  path?: string;
  endpoint?: string;
  bucket?: string;
  prefix?: string;
  region?: string;
  pathStyle?: boolean;
  quota?: string;
  credentialsFile?: string;
  credentialsProfile: string;
  allowUnencrypted?: boolean;
  checksums: boolean;
  json?: boolean;
}

export function registerDestination(program: Command): void {
  const dest = program
    .command('destination')
    .description('where backups are written: local, external folders, S3-compatible cloud storage');

  dest
    .command('add')
    .description('add a destination: an external folder, or an S3-compatible bucket')
    .argument('<name>', 'a short name: lower-case letters, digits, - and _')
    .argument('<kind>', 'external (a USB stick or network share folder) or s3 (cloud storage)')
    .option(
      '--path <dir>',
      'external: the folder (it must exist: Coffre never creates it, so an unplugged drive is noticed)',
    )
    .option('--endpoint <url>', 's3: the service URL, e.g. https://s3.eu-west-1.amazonaws.com')
    .option('--bucket <bucket>', 's3: the bucket (it must exist)')
    .option('--prefix <folder/>', 's3: a folder in the bucket for these backups, ending with /')
    .option('--region <region>', 's3: the region (default us-east-1)')
    .option('--path-style', 's3: the bucket goes in the URL path (MinIO, Ceph, self-hosted)')
    .option('--quota <size>', 's3: the storage the plan pays for, e.g. 10GB or 1TB')
    .option(
      '--credentials-file <file>',
      's3: an AWS-style credentials file (mode 0600); default: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    )
    .option('--credentials-profile <name>', 's3: the [profile] to read in that file', 'default')
    .option('--allow-unencrypted', 's3: accept backups that are not encrypted')
    .option('--no-checksums', 's3: do not send SHA-256 checksums (for services that reject them)')
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(async (name: string, kind: string, opts: AddFlags) => {
      const { home: _home, json: _json, ...settings } = opts;
      const info = await withCenter(opts, (c) => c.addDestination(name, { kind, ...settings }));
      if (opts.json) printJson(info);
      else {
        print(`Destination "${info.name}" added: ${info.location}.`);
        if (info.error) print(`Note: it cannot be used right now: ${info.error.message}`);
        else {
          if (info.usage?.quotaBytes != null)
            print(
              `Quota: ${formatBytes(info.usage.usedBytes)} used of ${formatSize(info.usage.quotaBytes)}.`,
            );
          print(`Use it with: coffre backup --to ${info.name}`);
        }
      }
    });

  dest
    .command('set')
    .description(
      "change a cloud destination's quota or unencrypted-upload setting, or the folder of local (--path)",
    )
    .argument('<name>')
    .option('--path <dir>', 'local only: the folder for its backups ("" for the home\'s backups/)')
    .option('--quota <size>', 'the storage the plan pays for, e.g. 10GB')
    .option('--no-quota', 'no quota')
    .option('--allow-unencrypted', 'accept backups that are not encrypted')
    .option('--refuse-unencrypted', 'refuse backups that are not encrypted (the default)')
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(
      async (
        name: string,
        opts: HomeOption & {
          path?: string;
          quota?: string | false;
          allowUnencrypted?: boolean;
          refuseUnencrypted?: boolean;
          json?: boolean;
        },
      ) => {
        if (opts.allowUnencrypted && opts.refuseUnencrypted) {
          throw new CoffreError(
            'USAGE',
            'Give either --allow-unencrypted or --refuse-unencrypted.',
          );
        }
        const patch = {
          ...(opts.path !== undefined ? { path: opts.path === '' ? null : opts.path } : {}),
          ...(opts.quota !== undefined ? { quota: opts.quota === false ? null : opts.quota } : {}),
          ...(opts.allowUnencrypted ? { allowUnencrypted: true } : {}),
          ...(opts.refuseUnencrypted ? { allowUnencrypted: false } : {}),
        };
        const info = await withCenter(opts, (c) => c.updateDestination(name, patch));
        if (opts.json) printJson(info);
        else if (name === 'local') {
          print(`Destination "local" now writes to ${info.location}.`);
          if (info.leftBehind) {
            const { folder, backups } = info.leftBehind;
            print(
              `${backups} backup(s) stay in ${folder}; they were not moved, and \`coffre list\` no longer shows them.`,
            );
            print(
              `To move them, move each archive with its .json file: mv ${folder}/*.tar.zst* ${info.location}/`,
            );
          }
          if (info.error) print(`Note: it cannot be used right now: ${info.error.message}`);
        } else {
          const quota = info.usage?.quotaBytes;
          print(
            `Destination "${name}": quota ${quota != null ? formatSize(quota) : 'none'}, unencrypted backups ${info.allowUnencrypted ? 'accepted' : 'refused'}.`,
          );
          if (info.error) print(`Note: it cannot be used right now: ${info.error.message}`);
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
          ['NAME', 'KIND', 'DEFAULT', 'BACKUPS', 'USED', 'FREE', 'QUOTA', 'LOCATION'],
          list.map((d) => [
            d.name,
            d.kind,
            d.isDefault ? 'yes' : '',
            d.usage ? String(d.usage.backups) : '-',
            d.usage ? formatBytes(d.usage.usedBytes) : '-',
            d.usage?.freeBytes != null ? formatBytes(d.usage.freeBytes) : '-',
            d.usage?.quotaBytes != null ? formatSize(d.usage.quotaBytes) : '-',
            d.error ? `${d.location} (unavailable: ${d.error.code})` : d.location,
          ]),
        ),
      );
    });

  dest
    .command('remove')
    .argument('<name>')
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: HomeOption & { json?: boolean }) => {
      await withCenter(opts, (c) => c.removeDestination(name));
      if (opts.json) return printJson({ removed: name });
      print(
        `Destination "${name}" removed from the config. The backups already in it were not touched.`,
      );
    });
}
