// coffre verify.

import { readIdentityFiles, readSecretFile } from '../../index.js';
import type { Command } from 'commander';
import { collect, ExitWith, print, printJson, withCenter, type HomeOption } from '../context.js';
import { NOT_VERIFIED_EXIT } from '../messages.js';
import { formatBytes } from '../output.js';
import { progressBar } from '../progress.js';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .argument(
      '<backup>',
      'a backup id (or a unique start of it), "latest", or the path of an archive file',
    )
    .description(
      "check a backup: fingerprint, signature and every entry's hash; --deep also test-restores it",
    )
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--from <destination>', 'only look in this destination')
    .option(
      '--deep',
      "also restore into a scratch folder and run SQLite's integrity check and row counts",
    )
    .option('--identity <file>', 'age key file for an encrypted backup (repeatable)', collect)
    .option('--passphrase-file <file>', 'passphrase for an encrypted backup')
    .option('--json', 'print JSON')
    .action(
      async (
        ref: string,
        opts: HomeOption & {
          from?: string;
          deep?: boolean;
          identity?: string[];
          passphraseFile?: string;
          json?: boolean;
        },
      ) => {
        const bar = progressBar(!opts.json);
        const report = await withCenter(opts, (c) =>
          c.verify(ref, {
            deep: opts.deep ?? false,
            identities: opts.identity ? readIdentityFiles(opts.identity) : [],
            passphrase: opts.passphraseFile ? readSecretFile(opts.passphraseFile) : null,
            onProgress: (p) => bar.update(p),
            ...(opts.from ? { from: opts.from } : {}),
          }),
        ).finally(() => bar.done());
        // Checked at write time is a proof of its own (docs/VERIFY.md): not a failure.
        const done = report.status !== 'not-done';
        if (opts.json) {
          printJson({ ok: done, ...report });
          if (!done) throw new ExitWith(NOT_VERIFIED_EXIT);
          return;
        }
        print(
          `Backup ${report.id}: ${report.status === 'checked-at-write' ? 'CHECKED AT WRITE, UNCHANGED SINCE' : done ? 'OK' : `NOT VERIFIED (only the ${report.level} check was possible; ${report.requested} was asked)`} (${report.level} check, ${formatBytes(report.size)}${report.destination ? `, in ${report.destination}` : ''})`,
        );
        for (const c of report.checks) print(`  ${c.name.padEnd(18)} ${c.detail}`);
        if (report.notChecked) {
          print(`  Note: ${report.notChecked}`);
          if (report.level === 'fingerprint' || report.level === 'none')
            print('  Give the key with --identity FILE or --passphrase-file FILE.');
        }
        if (!done) throw new ExitWith(NOT_VERIFIED_EXIT);
      },
    );
}
