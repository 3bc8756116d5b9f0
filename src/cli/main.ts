#!/usr/bin/env node
// The `coffre` command line: parses, calls BackupCenter, prints. The only
// place that sets the process exit code.

import { asCoffreError, CoffreError } from '../index.js';
import crypto from 'node:crypto';
import { Command, CommanderError } from 'commander';
import { COFFRE_VERSION } from '../version.js';
import { registerBackup } from './commands/backup.js';
import { registerCloud } from './commands/cloud.js';
import { registerDestination } from './commands/destination.js';
import { registerEncryption } from './commands/encryption.js';
import { registerSetup } from './commands/setup.js';
import { registerStatus } from './commands/status.js';
import { registerVerify } from './commands/verify.js';
import { registerSchedule } from './commands/schedule.js';
import { registerMaintenance } from './commands/maintenance.js';
import { registerRestore } from './commands/restore.js';
import { registerFiscal } from './commands/fiscal.js';
import { registerRun } from './commands/run.js';
import { registerServe } from './commands/serve.js';
import { registerUser } from './commands/user.js';
import { currentHome, ExitWith } from './context.js';
import { logUnexpected } from '../host.js';
import { EXIT_CODES, hintFor } from './messages.js';

const program = new Command('coffre')
  .description('Coffre: complete, verifiable backups of a register or accounting app')
  .version(COFFRE_VERSION)
  .exitOverride()
  .showHelpAfterError();

registerSetup(program);
registerBackup(program);
registerStatus(program);
registerVerify(program);
registerDestination(program);
registerCloud(program);
registerEncryption(program);
registerSchedule(program);
registerMaintenance(program);
registerRestore(program);
registerFiscal(program);
registerRun(program);
registerUser(program);
registerServe(program);

const json = process.argv.includes('--json');

// `coffre list | head`: a closed pipe is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof ExitWith) {
    process.exitCode = err.exitCode;
  } else if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : EXIT_CODES.USAGE;
  } else if (err instanceof CoffreError || asCoffreError(err).code !== 'INTERNAL') {
    // A full disk can surface anywhere (SQLite, a config save): asCoffreError knows it.
    const e = asCoffreError(err);
    const hint = hintFor(e.code, e.details);
    if (json) {
      process.stdout.write(
        JSON.stringify(
          { error: { code: e.code, message: e.message, hint, details: e.details } },
          null,
          2,
        ) + '\n',
      );
    } else {
      process.stderr.write(`Error (${e.code}): ${e.message}\n${hint}\n`);
    }
    process.exitCode = EXIT_CODES[e.code];
  } else {
    // The full record goes to the home's log; the user gets an id to find it.
    const logged = currentHome ? logUnexpected(currentHome, err, process.argv) : null;
    const id = logged?.id ?? crypto.randomBytes(4).toString('hex');
    const where = logged ? ` Its details are in ${logged.file}, under id ${id}.` : '';
    const message = `Something unexpected happened (error id ${id}).${where}`;
    if (json) {
      process.stdout.write(
        JSON.stringify(
          {
            error: {
              code: 'INTERNAL',
              id,
              message,
              hint: hintFor('INTERNAL'),
              log: logged?.file ?? null,
              details: { errorId: id },
            },
          },
          null,
          2,
        ) + '\n',
      );
    } else {
      process.stderr.write(`Error: ${message}\n${hintFor('INTERNAL')}\n`);
    }
    // Without a home to log to, the record can only go to the terminal.
    if (!logged) process.stderr.write(`[${id}] ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = EXIT_CODES.INTERNAL;
  }
}
