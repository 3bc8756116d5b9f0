// coffre encryption new-key|set|show.

import { CoffreError } from '../../index.js';
import type { Command } from 'commander';
import { collect, print, printJson, withCenter, type HomeOption } from '../context.js';

export function registerEncryption(program: Command): void {
  const enc = program
    .command('encryption')
    .description('how backups are encrypted (age keys or a passphrase)');

  enc
    .command('new-key')
    .description(
      'make an age key pair: the secret key goes to --out, the public key encrypts every backup from now on',
    )
    .requiredOption(
      '--out <file>',
      'where to write the secret key (keep it away from the register: a USB stick, a safe, a printout)',
    )
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOption & { out: string; json?: boolean }) => {
      const pair = await withCenter(opts, (c) => c.newEncryptionKey(opts.out));
      if (opts.json) {
        printJson({ recipient: pair.recipient, identityFile: pair.identityFile });
        return;
      }
      print(`Backups are now encrypted to ${pair.recipient}.`);
      print(`The secret key is in ${opts.out}. It is the ONLY way to open these backups:`);
      print(
        'a lost key means lost backups. Copy it away from this machine now, and print this recovery key:',
      );
      print('');
      print(`    ${pair.identity}`);
      print('');
      print(
        'Scheduled backups need only the public key; the secret key is needed to verify contents and restore.',
      );
    });

  enc
    .command('set')
    .description(
      'encrypt future backups to these recipients, or with a passphrase file, or not at all (--none)',
    )
    .option('--recipient <age1...>', 'age public key (repeatable)', collect)
    .option('--passphrase-file <file>', 'a file holding the passphrase (mode 0600)')
    .option('--none', 'stop encrypting new backups')
    .option(
      '--check-at-write <on|off>',
      'check each encrypted backup while it is written and record it, for a register without the secret key',
    )
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(
      async (
        opts: HomeOption & {
          recipient?: string[];
          passphraseFile?: string;
          none?: boolean;
          checkAtWrite?: string;
          json?: boolean;
        },
      ) => {
        if (opts.checkAtWrite !== undefined && !['on', 'off'].includes(opts.checkAtWrite)) {
          throw new CoffreError('USAGE', '--check-at-write takes on or off.');
        }
        if (!opts.none && !opts.recipient && !opts.passphraseFile) {
          throw new CoffreError(
            'USAGE',
            'Give --recipient age1..., --passphrase-file FILE, or --none.',
          );
        }
        const encryption = await withCenter(opts, async (c) => {
          await c.setEncryption({
            recipients: opts.none ? [] : (opts.recipient ?? []),
            passphraseFile: opts.none ? null : (opts.passphraseFile ?? null),
            ...(opts.checkAtWrite ? { checkAtWrite: opts.checkAtWrite === 'on' } : {}),
          });
          return c.configuration.encryption;
        });
        if (opts.json) return printJson(encryption);
        print(opts.none ? 'New backups will not be encrypted.' : 'New backups will be encrypted.');
      },
    );

  enc
    .command('show')
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOption & { json?: boolean }) => {
      const e = await withCenter(opts, (c) => Promise.resolve(c.configuration.encryption));
      if (opts.json) printJson(e);
      else if (e.recipients.length > 0)
        print(`Encrypted to:\n${e.recipients.map((r) => `  ${r}`).join('\n')}`);
      else if (e.passphraseFile) print(`Encrypted with the passphrase in ${e.passphraseFile}`);
      else
        print('Backups are not encrypted. Set up a key with: coffre encryption new-key --out FILE');
    });
}
