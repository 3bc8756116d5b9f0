// Reading the files a user points Coffre at for secrets: a passphrase or
// database key file (its first line) and age identity files.

import fs from 'node:fs';
import { parseIdentities } from '../archive/age.js';
import { CoffreError } from '../core/errors.js';

function readUserFile(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CoffreError('USAGE', `Cannot read the ${what} ${file}: ${(err as Error).message}.`, {
      cause: err,
    });
  }
}

/**
 * A key or passphrase file: its first line, without the line ending. Refused
 * when other users may read it, as credentials files are.
 */
export function readSecretFile(file: string): string {
  let mode: number | null = null;
  try {
    mode = fs.statSync(file).mode;
  } catch {
    // Reading it below gives the error with its reason.
  }
  if (mode !== null && (mode & 0o077) !== 0) {
    throw new CoffreError(
      'USAGE',
      `The secret file ${file} can be read by other users (mode ${(mode & 0o777).toString(8)}): protect it with \`chmod 600 ${file}\`.`,
      { details: { file } },
    );
  }
  const line = readUserFile(file, 'secret file').split(/\r?\n/)[0] ?? '';
  if (line === '') throw new CoffreError('USAGE', `The secret file ${file} is empty.`);
  return line;
}

/** age identity files, as age-keygen writes them. */
export function readIdentityFiles(files: string[]): string[] {
  return files.flatMap((file) => parseIdentities(readUserFile(file, 'identity file')));
}

export interface CloudCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * An AWS-style credentials file (`[profile]` sections of `key = value` lines,
 * as the AWS CLI and rclone read). Refused when others may read it. The error
 * messages name the file and the keys, never their values.
 */
export function readCredentialsFile(file: string, profile = 'default'): CloudCredentials {
  let mode: number;
  try {
    mode = fs.statSync(file).mode;
  } catch (err) {
    throw new CoffreError(
      'DESTINATION_AUTH',
      `Cannot read the credentials file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}.`,
    );
  }
  if ((mode & 0o077) !== 0) {
    throw new CoffreError(
      'DESTINATION_AUTH',
      `The credentials file ${file} can be read by other users (mode ${(mode & 0o777).toString(8)}): protect it with \`chmod 600 ${file}\`.`,
    );
  }
  const values: Record<string, string> = {};
  let section = '';
  for (const raw of readUserFile(file, 'credentials file').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (header) {
      section = header[1];
      continue;
    }
    const eq = line.indexOf('=');
    if (section === profile && eq > 0) {
      values[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
    }
  }
  const accessKeyId = values.aws_access_key_id;
  const secretAccessKey = values.aws_secret_access_key;
  if (!accessKeyId || !secretAccessKey) {
    throw new CoffreError(
      'DESTINATION_AUTH',
      `The credentials file ${file} has no aws_access_key_id and aws_secret_access_key in its [${profile}] section.`,
    );
  }
  return {
    accessKeyId,
    secretAccessKey,
    ...(values.aws_session_token ? { sessionToken: values.aws_session_token } : {}),
  };
}
