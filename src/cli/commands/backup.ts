// coffre backup.

import { CoffreError, ORIGINS, readSecretFile, type ErrorCode, type Origin } from '../../index.js';
import type { Command } from 'commander';
import type { BackupOptions, BackupResult } from '../../index.js';
import { collect, ExitWith, print, printJson, withCenter, type HomeOption } from '../context.js';
import { EXIT_CODES, hintFor } from '../messages.js';
import { formatBytes, formatDuration } from '../output.js';
import { progressBar } from '../progress.js';

interface BackupFlags extends HomeOption {
  to?: string[];
  recipient?: string[];
  passphraseFile?: string;
  note?: string;
  origin?: string;
  allowUnencrypted?: boolean;
  checkContent?: boolean;
  json?: boolean;
}

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description(
      'take a complete backup now: database snapshot, files and settings in one verifiable archive',
    )
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option(
      '--to <destination>',
      'destination name (repeat for several); default: the configured ones',
      collect,
    )
    .option(
      '--recipient <age1...>',
      'encrypt to this age public key (repeatable), instead of the configured encryption',
      collect,
    )
    .option(
      '--passphrase-file <file>',
      'encrypt with the passphrase in this file, instead of the configured encryption',
    )
    .option('--note <text>', 'a note stored with the backup')
    .option('--origin <origin>', `why this backup is taken: ${ORIGINS.join(', ')}`, 'manual')
    .option(
      '--allow-unencrypted',
      'send this backup to cloud destinations even though it is not encrypted',
    )
    .option(
      '--check-content',
      'read the archive back while it is written and record the check (for a key this register does not hold)',
    )
    .option('--json', 'print one JSON object')
    .action(async (opts: BackupFlags) => {
      await runBackup(opts, opts);
    });
}

export async function runBackup(home: HomeOption, opts: Omit<BackupFlags, 'home'>): Promise<void> {
  const origin = opts.origin ?? 'manual';
  if (!(ORIGINS as readonly string[]).includes(origin)) {
    throw new CoffreError('USAGE', `--origin must be one of ${ORIGINS.join(', ')}.`);
  }
  const bar = progressBar(!opts.json);
  const options: BackupOptions = {
    origin: origin as Origin,
    note: opts.note ?? null,
    onProgress: (p) => bar.update(p),
    ...(opts.to ? { to: opts.to } : {}),
    ...(opts.recipient ? { recipients: opts.recipient } : {}),
    ...(opts.passphraseFile ? { passphrase: readSecretFile(opts.passphraseFile) } : {}),
    ...(opts.allowUnencrypted ? { allowUnencrypted: true } : {}),
    ...(opts.checkContent ? { checkContent: true } : {}),
  };
  const result = await withCenter(home, (center) => center.backup(options)).finally(() =>
    bar.done(),
  );
  if (opts.json) {
    printJson(backupJson(result));
    failedExit(result.failed);
    return;
  }
  print(`Backup ${result.id} done in ${formatDuration(result.durationMs)}.`);
  print(
    `  archive      ${result.archive} (${formatBytes(result.size)}${result.encrypted ? ', encrypted' : ', not encrypted'})`,
  );
  for (const d of result.destinations) print(`  saved to     ${d.name} (${d.location})`);
  print(`  fingerprint  SHA-256 ${result.sha256}`);
  if (result.contentCheck) {
    print(
      `  checked      ${result.contentCheck.entries} entries read back, integrity_check ${result.contentCheck.integrity} (recorded in its metadata)`,
    );
  }
  const rows = Object.values(result.counts.tables).reduce((a, b) => a + b, 0);
  print(
    `  contents     ${rows} rows in ${Object.keys(result.counts.tables).length} tables, ${result.counts.files} files, ${formatBytes(result.counts.sourceBytes)} of data`,
  );
  for (const w of result.warnings) print(`  warning      ${w.message}`);
  if (result.pruned.length > 0) {
    print(
      `  retention    removed ${result.pruned.length} older backup(s): ${result.pruned.map((p) => `${p.id} (${p.destination})`).join(', ')}`,
    );
  }
  for (const f of result.failed) {
    process.stderr.write(`Not saved to ${f.destination}: ${f.message}\n`);
    const hint = hintFor(f.code, f.details);
    if (hint) process.stderr.write(`What to do: ${hint}\n`);
  }
  failedExit(result.failed);
}

/** What `backup --json` prints of a backup. */
export function backupJson(result: BackupResult): Record<string, unknown> {
  return {
    id: result.id,
    name: result.archive,
    register: result.registerName,
    destination: result.destinations.map((d) => d.name),
    size: result.size,
    sha256: result.sha256,
    counts: result.counts,
    encrypted: result.encrypted,
    origin: result.origin,
    durationMs: result.durationMs,
    contentCheck: result.contentCheck,
    warnings: result.warnings,
    pruned: result.pruned,
    failed: result.failed.map((f) => ({
      destination: f.destination,
      code: f.code,
      message: f.message,
      hint: hintFor(f.code, f.details),
    })),
  };
}

/** A backup that some destinations did not get ends with the first one's exit code. */
export function failedExit(failed: { code: string }[]): void {
  if (failed.length > 0) throw new ExitWith(EXIT_CODES[failed[0].code as ErrorCode] ?? 1);
}
