// The host bootstrap: the one module (with the CLI's entry point) that reads
// the process environment. The command line and the server both start a
// center through here, so they find the same home and credentials.

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CloudCredentials } from './index.js';

/** The home: the one given, else $COFFRE_HOME, else ~/.coffre. */
export function resolveHome(home: string | undefined): string {
  return path.resolve(home ?? process.env.COFFRE_HOME ?? path.join(os.homedir(), '.coffre'));
}

/** Cloud credentials from the standard AWS environment variables, when both are set. */
export function cloudCredentialsFromEnv(): CloudCredentials | null {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return null;
  const sessionToken = process.env.AWS_SESSION_TOKEN;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/**
 * The AWS SDK warns on every run about Node.js versions it will stop
 * supporting; Coffre's users cannot act on it.
 */
export function quietCloudSdk(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/**
 * Writes an unexpected error's full record (stack included) to the home's
 * log file, under a short id the user can quote. Returns the id and the
 * file, or null when the home cannot take it (then the caller prints it).
 */
export function logUnexpected(
  home: string,
  err: unknown,
  argv: string[],
): { id: string; file: string } | null {
  const id = crypto.randomBytes(4).toString('hex');
  const file = path.join(home, 'logs', 'errors.log');
  const record = {
    id,
    at: new Date().toISOString(),
    pid: process.pid,
    command: argv.slice(2),
    error:
      err instanceof Error
        ? { name: err.name, message: err.message, stack: err.stack }
        : String(err),
  };
  try {
    if (!fs.existsSync(path.join(home, 'config.json'))) return null;
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.appendFileSync(file, JSON.stringify(record) + '\n', { mode: 0o600 });
    return { id, file };
  } catch {
    return null;
  }
}
