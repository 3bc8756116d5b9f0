// coffre restore.

import {
  CoffreError,
  describeFileChanges,
  describeLoss,
  readIdentityFiles,
  readSecretFile,
  type RestorePlan,
} from '../../index.js';
import type { Command } from 'commander';
import type { RestoreOptions, RestoreResult } from '../../index.js';
import {
  cancelled,
  collect,
  confirm,
  print,
  printJson,
  withCenter,
  type HomeOption,
} from '../context.js';
import { formatDate, table } from '../output.js';
import { progressBar } from '../progress.js';

interface RestoreFlags extends HomeOption {
  from?: string;
  sections?: string;
  identity?: string[];
  passphraseFile?: string;
  adopt?: boolean;
  replaceData?: boolean;
  keepEncryption?: boolean;
  yes?: boolean;
  acceptFiscalRewind?: boolean;
  undo?: boolean;
  force?: boolean;
  json?: boolean;
}

export function printPlan(plan: RestorePlan): void {
  print(
    `Restore ${plan.full ? 'the whole backup' : `section(s) ${plan.sections.map((s) => s.name).join(', ')}`} of ${formatDate(plan.createdAt)} (${plan.backupId}, ${plan.origin}).`,
  );
  const rows: string[][] = [];
  for (const s of plan.sections) {
    for (const t of s.tables)
      rows.push([s.name, t.name, t.now === null ? '-' : String(t.now), String(t.backup)]);
    if (s.files) rows.push([s.name, 'files', String(s.files.now), String(s.files.backup)]);
    if (s.settings) rows.push([s.name, 'settings file', 'replaced', '']);
  }
  print(table(['SECTION', 'TABLE', 'ROWS NOW', 'ROWS IN BACKUP'], rows));
  let section = '';
  for (const loss of plan.losses) {
    if (loss.sectionLabel !== section) print(`What you lose in ${(section = loss.sectionLabel)}:`);
    print(`  WARNING: ${describeLoss(loss)}`);
  }
  const files = plan.fileChanges && describeFileChanges(plan.fileChanges);
  if (files) print(`WARNING: files: ${files}`);
  if (plan.app.mustClose) print('Close the app before the restore runs (its profile says so).');
  if (plan.fiscalRewind) print(`FISCAL: ${plan.fiscalRewind.message}`);
  for (const note of plan.notes) print(`Note: ${note}`);
  if (plan.adopt) {
    print(
      `Adopting register "${plan.adopt.registerName}": the key that signed this backup has fingerprint ${plan.adopt.keyFingerprint}. Compare it with \`coffre status\` on the old machine (or its printed recovery sheet).`,
    );
    const advice = encryptionAdvice(
      plan.adopt.encryption.after,
      plan.adopt.encryption.archive.method,
    );
    if (advice) print(advice);
  }
  print('A safety backup is taken first: `coffre restore --undo` brings back the current state.');
}

/** Replacing an installation's own data on adoption: the user types the register's name. */
async function typedConfirmation(registerName: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(
      `This replaces the data this installation holds. Type the register name "${registerName}" to go on: `,
    );
    return answer.trim() === registerName;
  } finally {
    rl.close();
  }
}

/** What to do about encryption after an adoption, in the CLI's words (commands included). */
function encryptionAdvice(
  after: NonNullable<RestorePlan['adopt']>['encryption']['after'],
  archiveMethod: string | null,
): string | null {
  switch (after) {
    case 'kept-recipients':
      return 'Encryption: new backups stay encrypted to the same recipients (to stop, `coffre encryption set --none`; to decline now, --no-keep-encryption).';
    case 'set-passphrase':
      return 'Encryption: set the old passphrase again before the next backup: `coffre encryption set --passphrase-file FILE`.';
    case 'unencrypted':
      return archiveMethod === null
        ? null
        : 'Encryption: new backups will NOT be encrypted. Set it up before the next backup: `coffre encryption set --recipient age1...` or `coffre encryption new-key --out FILE`.';
    case 'own-setting':
      return null;
  }
}

export function registerRestore(program: Command): void {
  program
    .command('restore')
    .argument('[backup]', 'a backup id (or a unique start of it), "latest", or an archive file')
    .description('restore a backup, whole or by section: verified, staged, confirmed, undoable')
    .option('--from <destination>', 'only look in this destination')
    .option(
      '--sections <list>',
      'comma-separated sections, e.g. catalog,sales (default: everything)',
    )
    .option('--identity <file>', 'age key file for an encrypted backup (repeatable)', collect)
    .option('--passphrase-file <file>', 'passphrase for an encrypted backup')
    .option(
      '--adopt',
      "on a new, empty installation: take the backup's register identity (replaced register)",
    )
    .option(
      '--replace-data',
      'with --adopt, on an installation that holds data of its own: replace it (shows what is there and asks you to type the register name)',
    )
    .option(
      '--no-keep-encryption',
      "with --adopt: do not go on encrypting new backups to the adopted backup's age recipients",
    )
    .option('--undo', 'bring back the state before the last restore (from its safety backup)')
    .option('--yes', 'do not ask for confirmation')
    .option(
      '--force',
      'restore even though another program (the app) has the database open; it warns',
    )
    .option(
      '--accept-fiscal-rewind',
      'with --yes: also accept that receipts recorded after the backup leave the fiscal chain (they are archived first)',
    )
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON; without --yes, only the plan (nothing is changed)')
    .action(async (ref: string | undefined, opts: RestoreFlags) => {
      if (!ref && !opts.undo)
        throw new CoffreError(
          'USAGE',
          'Name the backup to restore (see `coffre list`), or give --undo.',
        );
      const bar = progressBar(!opts.json);
      let shown = false;
      let answered = false;
      const options: RestoreOptions = {
        identities: opts.identity ? readIdentityFiles(opts.identity) : [],
        passphrase: opts.passphraseFile ? readSecretFile(opts.passphraseFile) : null,
        onProgress: (p) => bar.update(p),
        confirm: async (plan) => {
          bar.done();
          if (opts.yes) return true;
          shown = true;
          if (opts.json || !process.stdin.isTTY) {
            if (!opts.json) printPlan(plan);
            return false;
          }
          printPlan(plan);
          answered = true;
          if (plan.adopt?.replacesData) return typedConfirmation(plan.adopt.registerName);
          return confirm('Restore now?');
        },
        // The second question, only when fiscal records leave the chain.
        confirmFiscalRewind: async (plan) => {
          if (opts.acceptFiscalRewind) return true;
          if (opts.yes || !process.stdin.isTTY) {
            throw new CoffreError(
              'USAGE',
              `Nothing was changed: this restore takes fiscal records out of the register's chain (${plan.fiscalRewind?.message ?? ''}) It needs a second, explicit confirmation.`,
              { details: { fiscalRewind: true } },
            );
          }
          answered = true;
          return confirm(
            'These fiscal records leave the chain (kept in a fiscal archive, 6 years). Restore anyway?',
          );
        },
        ...(opts.from ? { from: opts.from } : {}),
        // An empty value ("" or ",") is passed on as an empty list, which the
        // library refuses: it must never mean "everything".
        ...(opts.sections !== undefined
          ? {
              sections: opts.sections
                .split(',')
                .map((x) => x.trim())
                .filter(Boolean),
            }
          : {}),
        ...(opts.adopt ? { adopt: true } : {}),
        ...(opts.replaceData ? { replaceData: true } : {}),
        ...(opts.keepEncryption === false ? { keepEncryption: false } : {}),
        ...(opts.force ? { force: true } : {}),
      };
      const result: RestoreResult = await withCenter(opts, (c) =>
        opts.undo ? c.undoLastRestore(options) : c.restore(ref!, options),
      ).finally(() => bar.done());
      if (opts.json) {
        printJson(result);
        return;
      }
      if (!result.applied) {
        if (!shown) printPlan(result.plan);
        if (answered) return cancelled();
        throw new CoffreError(
          'USAGE',
          'Nothing was changed: this needs a confirmation. Run it on a terminal, or add --yes.',
        );
      }
      print(`Restored ${result.plan.backupId}.`);
      if (result.integrity === 'at-write')
        print(
          "Its database passed SQLite's integrity check when the backup was written (a signed record; its bytes are unchanged since).",
        );
      else if (result.integrity) print("Its database passed SQLite's integrity check.");
      for (const w of result.warnings) print(`WARNING: ${w.message}`);
      if (result.fiscalArchive)
        print(
          `The fiscal records it took out of the chain are in fiscal archive ${result.fiscalArchive} (coffre fiscal list).`,
        );
      if (result.safetyBackupId)
        print(
          `The state before is in safety backup ${result.safetyBackupId} (coffre restore --undo).`,
        );
      for (const note of result.plan.notes) print(`Note: ${note}`);
      if (result.adopted) {
        print(
          `This installation is now register "${result.adopted.registerName}" (${result.adopted.registerId}); it trusts the key ${result.adopted.keyFingerprint}.`,
        );
        const advice = encryptionAdvice(
          result.adopted.encryption.after,
          result.adopted.encryption.archive.method,
        );
        if (advice) print(advice);
      }
      for (const step of result.after?.nextSteps ?? []) {
        if (step.code === 'RESYNC') print(`NEXT: ${step.message}`);
        if (step.code === 'AFTER_RESTORE_STEP_FAILED')
          print(`WARNING: could not ${step.step}: ${step.message}`);
      }
      if (result.after && result.after.cachesDropped.length > 0)
        print(`Caches dropped (the app rebuilds them): ${result.after.cachesDropped.join(', ')}.`);
      if (result.restartApp)
        print('Restart the app (or reopen its database) so it sees the restored data.');
    });
}
