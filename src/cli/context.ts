// What every command shares: where the home is, how to print for people or
// for scripts. The only place of the CLI that reads the environment.

import os from 'node:os';
import path from 'node:path';
import type { BackupCenter } from '../center.js';
import type { CloudCredentials } from '../state/secrets.js';

export interface HomeOption {
  home?: string;
}

export function resolveHome(opts: HomeOption): string {
  return path.resolve(opts.home ?? process.env.COFFRE_HOME ?? path.join(os.homedir(), '.coffre'));
}

/** Cloud credentials from the standard environment variables, when both are set. */
export function cloudCredentialsFromEnv(): CloudCredentials | null {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return null;
  const sessionToken = process.env.AWS_SESSION_TOKEN;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

export async function openCenter(opts: HomeOption): Promise<BackupCenter> {
  // The AWS SDK warns on every run about Node.js versions it will stop
  // supporting; Coffre users cannot act on it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const center = await (
    await loadCenter()
  ).open(resolveHome(opts), {
    cloudCredentials: cloudCredentialsFromEnv(),
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

/**
 * The BackupCenter class, loaded on first use: `coffre --version` and
 * `coffre help` never load it (nor SQLite, zstd and the rest under it).
 */
export async function loadCenter(): Promise<typeof BackupCenter> {
  return (await import('../center.js')).BackupCenter;
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

/** Asks a yes/no question on a terminal; false when there is no terminal to ask. */
export async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
