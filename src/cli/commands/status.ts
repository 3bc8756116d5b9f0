// coffre status and coffre list.

import type { Command } from 'commander';
import { describeCloud } from './cloud.js';
import { print, printJson, withCenter, type HomeOption } from '../context.js';
import { formatAge, formatBytes, formatDate, table } from '../output.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('last backup and its age, data volume, backups per destination')
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOption & { json?: boolean }) => {
      if (opts.json) await withCenter(opts, async (c) => printJson(await c.status()));
      else await printStatus(opts);
    });

  program
    .command('list')
    .description('every backup of this register in every destination')
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option(
      '--all-registers',
      'every register that writes to the same destinations (one bucket for a fleet)',
    )
    .option('--json', 'print JSON')
    .action(async (opts: HomeOption & { json?: boolean; allRegisters?: boolean }) => {
      const all = opts.allRegisters === true;
      const { backups, unavailable } = await withCenter(opts, (c) => c.list({ allRegisters: all }));
      if (opts.json) {
        printJson({ backups, unavailable });
        return;
      }
      if (backups.length === 0) print('No backups yet. Take one with: coffre backup');
      else {
        print(
          table(
            [
              ...(all ? ['REGISTER'] : []),
              'ID',
              'DATE',
              'SIZE',
              'ORIGIN',
              'APP VERSION',
              'ENCRYPTED',
              'DESTINATION',
              'NOTE',
            ],
            backups.map((b) => [
              ...(all ? [`${b.registerName} (${b.registerId.slice(0, 8)})`] : []),
              b.id,
              formatDate(b.createdAt),
              formatBytes(b.size),
              b.origin,
              b.appVersion ?? '-',
              b.encrypted ? 'yes' : 'no',
              b.destination,
              b.note ?? '',
            ]),
          ),
        );
      }
      for (const u of unavailable)
        print(`Destination "${u.destination}" could not be read: ${u.message}`);
    });
}

export async function printStatus(opts: HomeOption): Promise<void> {
  const s = await withCenter(opts, (c) => c.status());
  print(`${s.register.name}  (${s.register.profile} profile, register ${s.register.id})`);
  const volume = [
    s.source.headline ? `${s.source.headline.count} ${s.source.headline.label}` : null,
    s.source.files ? `${s.source.files.count} ${s.source.files.label}` : null,
    `${formatBytes(s.source.databaseBytes + (s.source.files?.bytes ?? 0))} of data`,
  ].filter(Boolean);
  print(`Data:         ${volume.join(' · ')}${s.source.encrypted ? ' (encrypted database)' : ''}`);
  if (s.lastBackup) {
    print(
      `Last backup:  ${formatDate(s.lastBackup.createdAt)} (${formatAge(s.lastBackup.ageMs)}), ${formatBytes(s.lastBackup.size)}, ${s.lastBackup.origin}, ${s.lastBackup.encrypted ? 'encrypted' : 'not encrypted'}`,
    );
  } else {
    print('Last backup:  none yet. Take one with: coffre backup');
  }
  print(
    `Schedule:     ${s.schedule.backup ? `${s.schedule.backup}, next ${formatDate(s.schedule.nextBackup!)}` : 'no automatic backups (coffre schedule set --daily 21:30)'}${s.schedule.onClose ? ', and on close' : ''}`,
  );
  print(
    `Test restore: ${s.lastTestRestore ? `last passed ${formatDate(s.lastTestRestore.at)}` : 'none passed yet (coffre verify latest --deep)'}`,
  );
  print(
    `Encryption:   ${s.encryption.recipients > 0 ? `${s.encryption.recipients} recipient key(s)` : s.encryption.passphrase ? 'passphrase' : 'none (backups are not encrypted)'}`,
  );
  if (s.fiscal) {
    const f = s.fiscal;
    print(
      `Fiscal audit: ${f.error ? `could not run: ${f.error.message}` : f.ok ? `OK, ${f.records} records chained` : 'PROBLEMS FOUND (coffre fiscal audit)'}; last fiscal archive ${f.lastArchive ? formatDate(f.lastArchive) : 'none yet'}`,
    );
    print(
      `              ${f.hashed !== null ? `${f.hashed} new record(s) checked; ` : ''}whole chain last checked ${f.fullAuditAt ? formatDate(f.fullAuditAt) : 'never'} (coffre fiscal audit)`,
    );
    for (const line of f.findings) print(`  fiscal:     ${line}`);
    const next = s.schedule.nextFiscalArchive;
    print(
      `Fiscal archives: ${s.schedule.fiscal ? `${s.schedule.fiscal}${next ? `, next ${next.period} (due ${next.dueOn})` : ''}` : 'made by hand (coffre schedule set --fiscal monthly)'}`,
    );
  }
  for (const w of s.warnings) print(`WARNING:      ${w.message}`);
  print('Destinations:');
  for (const d of s.destinations) {
    print(
      `  ${d.name.padEnd(12)} ${d.kind.padEnd(9)} ${d.error ? `unavailable: ${d.error}` : `${d.backups} backup(s)`}  ${d.location}`,
    );
  }
  if (s.cloud.length > 0) {
    print('Cloud:');
    // Its quota warning is already among the warnings above.
    for (const u of s.cloud) for (const line of describeCloud(u, '  ', false)) print(line);
  }
}
