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

/** A key or passphrase file: its first line, without the line ending. */
export function readSecretFile(file: string): string {
  const line = readUserFile(file, 'secret file').split(/\r?\n/)[0] ?? '';
  if (line === '') throw new CoffreError('USAGE', `The secret file ${file} is empty.`);
  return line;
}

/** age identity files, as age-keygen writes them. */
export function readIdentityFiles(files: string[]): string[] {
  return files.flatMap((file) => parseIdentities(readUserFile(file, 'identity file')));
}
