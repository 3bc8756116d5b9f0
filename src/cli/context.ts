// What every command shares: where the home is (through the host bootstrap,
// which reads the environment), how to print for people or for scripts, and
// how to ask for a confirmation.

import * as host from '../host.js';
import { BackupCenter, CoffreError } from '../index.js';

export interface HomeOption {
  home?: string;
}

/** The home the command works on, once it is known: an unexpected error is logged there. */
export let currentHome: string | null = null;

export function resolveHome(opts: HomeOption): string {
  currentHome = host.resolveHome(opts.home);
  return currentHome;
}

export async function openCenter(opts: HomeOption): Promise<BackupCenter> {
  host.quietCloudSdk();
  const center = await BackupCenter.open(resolveHome(opts), {
    cloudCredentials: host.cloudCredentialsFromEnv(),
  });
  if (center.recovered) {
    const { outcome, backupId } = center.recovered;
    process.stderr.write(
      outcome === 'rolled-forward'
        ? `Note: a restore of ${backupId} had been interrupted after its commit; it has now been finished.\n`
        : `Note: a restore of ${backupId} had been interrupted before its commit; everything was put back as it was before it.\n`,
    );
  }
  return center;
}

/** Runs `fn` with an open center and closes it whatever happens. */
export async function withCenter<T>(
  opts: HomeOption,
  fn: (center: BackupCenter) => Promise<T>,
): Promise<T> {
  const center = await openCenter(opts);
  try {
    return await fn(center);
  } finally {
    center.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function print(text: string): void {
  process.stdout.write(text + '\n');
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Ends the command with this exit code after its output (e.g. guard's command failed). */
export class ExitWith extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/**
 * Asks a yes/no question on a terminal. With --yes the answer is yes. With
 * no terminal to ask, nothing can be confirmed: a usage error (add --yes).
 */
export async function confirm(question: string, opts: { yes?: boolean } = {}): Promise<boolean> {
  if (opts.yes) return true;
  if (!process.stdin.isTTY) {
    throw new CoffreError(
      'USAGE',
      'Nothing was changed: this needs a confirmation. Run it on a terminal, or add --yes.',
    );
  }
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/** The user answered no: a clean cancel, not an error. */
export function cancelled(): void {
  print('Nothing changed.');
}
