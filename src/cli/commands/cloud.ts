// coffre cloud usage.

import type { Command } from 'commander';
import type { CloudUsage } from '../../index.js';
import { print, printJson, withCenter, type HomeOption } from '../context.js';
import { formatBytes, formatSize } from '../output.js';

export function registerCloud(program: Command): void {
  const cloud = program.command('cloud').description('cloud destinations (S3-compatible storage)');

  cloud
    .command('usage')
    .description('used and free space of each cloud destination, and the retention in force')
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOption & { json?: boolean }) => {
      const usage = await withCenter(opts, (c) => c.cloudUsage());
      if (opts.json) {
        printJson(usage);
        return;
      }
      if (usage.length === 0) {
        print(
          'No cloud destination yet. Add one with: coffre destination add NAME s3 --endpoint URL --bucket BUCKET --quota 10GB',
        );
        return;
      }
      for (const u of usage) for (const line of describeCloud(u)) print(line);
    });
}

/** A few lines per cloud destination, for `cloud usage` and `status`. */
export function describeCloud(u: CloudUsage, indent = '', withWarning = true): string[] {
  const lines = [`${indent}${u.name}  ${u.location}`];
  if (u.error) {
    lines.push(`${indent}  unavailable: ${u.error.message}`);
  } else {
    const used = formatBytes(u.usedBytes ?? 0);
    lines.push(
      u.quotaBytes !== null
        ? `${indent}  used ${used} of ${formatSize(u.quotaBytes)} (${u.percent} %), ${formatBytes(u.freeBytes ?? 0)} free`
        : `${indent}  used ${used}, no quota set`,
    );
    lines.push(
      `${indent}  backups: ${u.ownBackups} of this register (${formatBytes(u.ownBytes ?? 0)}), ${u.backups} in all`,
    );
  }
  lines.push(`${indent}  retention: ${u.retention}`);
  if (u.warning && withWarning) lines.push(`${indent}  warning: ${u.warning.message}`);
  return lines;
}
