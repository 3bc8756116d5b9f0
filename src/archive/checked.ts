// Reading an archive that a catalog found, with its whole-file fingerprint
// checked against the sidecar. Verify and restore both read through here.

import type { Readable } from 'node:stream';
import { CoffreError, isCoffreError } from '../core/errors.js';
import { fingerprintMessage, type Sidecar } from '../core/manifest.js';
import {
  isOwnRegister,
  notThisRegister,
  verifySignature,
  type Identity,
} from '../state/identity.js';
import { fingerprint, readArchive, type ArchiveContents, type ReadOptions } from './reader.js';

export interface ArchiveSource {
  open: () => Promise<Readable>;
  archive: string;
  sidecar: Sidecar | null;
}

export function fingerprintMismatch(
  archive: string,
  actual: string,
  expected: string,
): CoffreError {
  return new CoffreError(
    'CORRUPT_ARCHIVE',
    `${archive} does not match its recorded fingerprint: SHA-256 is ${actual}, expected ${expected}.`,
    { details: { actual, expected } },
  );
}

/**
 * Reads an archive (decrypting, hashing every entry, extracting if asked) and
 * checks the whole-file fingerprint against its sidecar. Damaged bytes can
 * look like a wrong key (a damaged key stanza) or a bad signature: when the
 * file does not match its recorded fingerprint, that is the one true
 * diagnosis, so it is what a failure reports.
 */
export async function readChecked(
  found: ArchiveSource,
  options: ReadOptions,
): Promise<ArchiveContents> {
  let contents: ArchiveContents;
  try {
    contents = await readArchive(await found.open(), options);
  } catch (err) {
    if (found.sidecar && isCoffreError(err) && err.code !== 'DESTINATION_UNAVAILABLE') {
      const { sha256 } = await fingerprint(await found.open());
      if (sha256 !== found.sidecar.sha256) {
        throw fingerprintMismatch(found.archive, sha256, found.sidecar.sha256);
      }
    }
    throw err;
  }
  if (found.sidecar && contents.sha256 !== found.sidecar.sha256) {
    throw fingerprintMismatch(found.archive, contents.sha256, found.sidecar.sha256);
  }
  return contents;
}

/**
 * The checks a sidecar must pass before its archive is trusted, the same for
 * verify and restore: it belongs to this register (unless adopting), and its
 * fingerprint signature verifies with the register's key. A sidecar missing
 * its signature, or with one that is not text, fails as a bad signature.
 */
export function checkSidecar(
  found: ArchiveSource,
  identity: Identity,
  options: { allowForeign?: boolean } = {},
): string | null {
  const s = found.sidecar;
  if (!s) return null;
  if (!isOwnRegister(identity, s.header.register) && !options.allowForeign)
    throw notThisRegister(identity, s.header.register);
  const signature = (s as { fingerprintSignature?: unknown }).fingerprintSignature;
  const valid =
    typeof signature === 'string' &&
    typeof s.sha256 === 'string' &&
    verifySignature(
      s.header.register.publicKey,
      fingerprintMessage(s.archive, s.sha256),
      Buffer.from(signature, 'base64'),
    );
  if (!valid) {
    throw new CoffreError(
      'BAD_SIGNATURE',
      `The metadata of ${found.archive} is not signed by ${isOwnRegister(identity, s.header.register) ? "this register's key" : "its register's key"}.`,
    );
  }
  return isOwnRegister(identity, s.header.register)
    ? 'signed by this register'
    : `signed by register ${s.header.register.name}`;
}
