// Reading the files a user points Coffre at for secrets: a passphrase or
// database key file (its first line), age identity files and cloud
// credentials files, all through one reader that checks who may read them.

import fs from 'node:fs';
import { parseIdentities } from '../archive/age.js';
import { CoffreError, type ErrorCode } from '../core/errors.js';

/**
 * The one reader of secret files: a passphrase or database key file, an age
 * identity file, a cloud credentials file. Refused when group or others
 * have any access to it (as ssh and the AWS CLI refuse), with `code`
 * (SECRET_FILE_UNSAFE unless the caller's edge has a better one). The error
 * messages name the file, never its contents.
 */
function readSecret(file: string, what: string, code: ErrorCode = 'SECRET_FILE_UNSAFE'): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    throw new CoffreError(
      code === 'SECRET_FILE_UNSAFE' ? 'USAGE' : code,
      `Cannot read the ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}.`,
      { cause: err, details: { file } },
    );
  }
  if (!stat.isFile()) {
    throw new CoffreError(
      code === 'SECRET_FILE_UNSAFE' ? 'USAGE' : code,
      `The ${what} ${file} is not a file.`,
      { details: { file } },
    );
  }
  // Windows has no such mode bits; its ACLs are the user's business.
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    throw new CoffreError(
      code,
      `The ${what} ${file} can be read by other users (mode ${(stat.mode & 0o777).toString(8)}): protect it with \`chmod 600 ${file}\`.`,
      { details: { file, mode: stat.mode & 0o777 } },
    );
  }
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CoffreError(
      code === 'SECRET_FILE_UNSAFE' ? 'USAGE' : code,
      `Cannot read the ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}.`,
      { cause: err, details: { file } },
    );
  }
}

/** A key or passphrase file: its first line, without the line ending. */
export function readSecretFile(file: string): string {
  const line = readSecret(file, 'secret file').split(/\r?\n/)[0] ?? '';
  if (line === '') {
    throw new CoffreError(
      'USAGE',
      `The secret file ${file} is empty (its first line is the secret).`,
      {
        details: { file },
      },
    );
  }
  return line;
}

/**
 * Checks a passphrase or key file as a backup will read it (private, not
 * empty) without returning the secret: call it when the file is set, so a
 * bad file is refused then rather than at every backup.
 */
export function checkSecretFile(file: string): void {
  readSecretFile(file);
}

/** age identity files, as age-keygen writes them. */
export function readIdentityFiles(files: string[]): string[] {
  return files.flatMap((file) => parseIdentities(readSecret(file, 'identity file')));
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
  const text = readSecret(file, 'credentials file', 'DESTINATION_AUTH');
  const values: Record<string, string> = {};
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
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
