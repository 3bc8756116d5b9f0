// coffre user add|remove|passwd|rights|list: Coffre's own users for the
// Backup center page, with the register's two rights (export, settings).

import type { Command } from 'commander';
import { CoffreError, RIGHT_NAMES, readSecretFile, type UserInfo } from '../../index.js';
import { print, printJson, withCenter, type HomeOption } from '../context.js';
import { table } from '../output.js';

interface Opts extends HomeOption {
  json?: boolean;
}

/** Asks for a secret on the terminal without echoing it. */
async function askSecret(question: string): Promise<string> {
  const { createInterface } = await import('node:readline');
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    process.stderr.write(question);
    // Nothing typed is shown.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

/** The new password: from --password-file, else asked twice on a terminal. */
async function newPassword(file: string | undefined): Promise<string> {
  if (file) return readSecretFile(file);
  if (!process.stdin.isTTY) {
    throw new CoffreError(
      'USAGE',
      'No password given: run this on a terminal to type it, or give --password-file FILE (mode 0600, the password on its first line).',
    );
  }
  const first = await askSecret('New password: ');
  const again = await askSecret('The same password again: ');
  if (first !== again) throw new CoffreError('USAGE', 'The two passwords differ; nothing changed.');
  return first;
}

function describe(u: UserInfo): string {
  return u.rights.length === 0 ? 'no rights' : u.rights.map((r) => RIGHT_NAMES[r]).join(', ');
}

export function registerUser(program: Command): void {
  const user = program
    .command('user')
    .description("the Backup center page's users and their rights (export, settings)");
  const home = (c: Command) =>
    c
      .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
      .option('--json', 'print JSON');

  home(
    user
      .command('add <name>')
      .description('add a user (the password is asked on the terminal, or read from a file)')
      .option(
        '--rights <list>',
        'comma-separated rights: export (Export data), settings (Manage settings), or a role: accountant, admin',
        '',
      )
      .option(
        '--password-file <file>',
        'a file holding the password on its first line (mode 0600)',
      ),
  ).action(async (name: string, opts: Opts & { rights: string; passwordFile?: string }) => {
    const password = await newPassword(opts.passwordFile);
    const added = await withCenter(opts, (c) =>
      c.users.add(name, password, opts.rights.split(',')),
    );
    if (opts.json) printJson(added);
    else print(`User ${added.name} added (${describe(added)}).`);
  });

  home(
    user.command('remove <name>').description('remove a user; their sessions end at once'),
  ).action(async (name: string, opts: Opts) => {
    await withCenter(opts, (c) => Promise.resolve(c.users.remove(name)));
    if (opts.json) printJson({ removed: name });
    else print(`User ${name} removed; their sessions have ended.`);
  });

  home(
    user
      .command('passwd <name>')
      .description("set a user's password; their sessions end at once")
      .option(
        '--password-file <file>',
        'a file holding the password on its first line (mode 0600)',
      ),
  ).action(async (name: string, opts: Opts & { passwordFile?: string }) => {
    const password = await newPassword(opts.passwordFile);
    await withCenter(opts, (c) => c.users.setPassword(name, password));
    if (opts.json) printJson({ user: name, changed: 'password' });
    else print(`Password of ${name} changed; their sessions have ended.`);
  });

  home(
    user
      .command('rights <name>')
      .description("set a user's rights; their sessions end at once")
      .requiredOption(
        '--rights <list>',
        'comma-separated rights: export, settings, a role (accountant, admin), or none',
      ),
  ).action(async (name: string, opts: Opts & { rights: string }) => {
    const changed = await withCenter(opts, (c) =>
      Promise.resolve(c.users.setRights(name, opts.rights.split(','))),
    );
    if (opts.json) printJson(changed);
    else print(`User ${changed.name} now has: ${describe(changed)}. Their sessions have ended.`);
  });

  home(user.command('list').description('every user, their rights and open sessions')).action(
    async (opts: Opts) => {
      const users = await withCenter(opts, (c) =>
        Promise.resolve(
          c.users.list().map((u) => ({ ...u, sessions: c.users.sessionCount(u.name) })),
        ),
      );
      if (opts.json) {
        printJson(users);
        return;
      }
      if (users.length === 0) {
        print('No users yet: add one with `coffre user add NAME --rights export,settings`.');
        return;
      }
      print(
        table(
          ['USER', 'RIGHTS', 'SESSIONS', 'CHANGED'],
          users.map((u) => [u.name, describe(u), String(u.sessions), u.changedAt]),
        ),
      );
    },
  );
}
