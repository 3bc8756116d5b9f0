// Reading an archive that a catalog found, with its whole-file fingerprint
// checked against the sidecar. Verify and restore both read through here.

import type { Readable } from 'node:stream';
import { CoffreError, isCoffreError } from '../core/errors.js';
import type { Sidecar } from '../core/manifest.js';
import { checkSidecar, type TrustedRegister } from '../core/sidecar.js';
import { isOwnRegister, notThisRegister, type Identity } from '../state/identity.js';
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
  if (found.sidecar) {
    checkSidecar(found.sidecar, { actualSize: contents.size, trusted: null });
    if (contents.sha256 !== found.sidecar.sha256)
      throw fingerprintMismatch(found.archive, contents.sha256, found.sidecar.sha256);
  }
  return contents;
}

/** The register an archive must come from: this one, signed with a key it has used. */
export function trustedRegister(identity: Identity): TrustedRegister {
  return { id: identity.id, keys: [identity.publicKey, ...(identity.trustedKeys ?? [])] };
}

/**
 * The checks a sidecar must pass before its archive is trusted, the same for
 * verify and restore (src/core/sidecar.ts): its signature, its register (one
 * this register trusts, unless adopting), and the file's size when known.
 * Returns what the signature proves, or null without a sidecar.
 */
export function checkFoundSidecar(
  found: ArchiveSource,
  identity: Identity,
  options: { allowForeign?: boolean; actualSize?: number | null } = {},
): string | null {
  const s = found.sidecar;
  if (!s) return null;
  if (!isOwnRegister(identity, s.header.register) && !options.allowForeign)
    throw notThisRegister(identity, s.header.register);
  checkSidecar(s, {
    actualSize: options.actualSize ?? null,
    trusted: options.allowForeign ? null : trustedRegister(identity),
  });
  return isOwnRegister(identity, s.header.register)
    ? 'signed by this register'
    : `signed by register ${s.header.register.name}`;
}
