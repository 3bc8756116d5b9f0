// The register's identity: an id, a name and an Ed25519 key pair made once at
// `init`. Archives are signed with it, and a restore accepts only archives
// whose signing key is this one. The file is readable by its owner only.

import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { CoffreError } from '../core/errors.js';
import { writeFileAtomic } from './files.js';
import { homeFileError } from './home.js';

export interface Identity {
  id: string;
  name: string;
  createdAt: string;
  /** Raw 32-byte Ed25519 public key, base64. */
  publicKey: string;
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  /**
   * Keys this register signed with before (base64), e.g. on the machine it
   * replaced: its old archives are still its own. Set by an adoption.
   */
  trustedKeys?: string[];
}

/**
 * Whether an archive's register is this one: same id, and signed by a key
 * this register already trusts (its own, or one it trusted when it adopted a
 * replaced register's identity). An id alone proves nothing: anyone can write
 * it into a header and sign with their own key.
 */
export function isOwnRegister(
  identity: Identity,
  register: { id: string; publicKey: string },
): boolean {
  return (
    register.id === identity.id &&
    (register.publicKey === identity.publicKey ||
      (identity.trustedKeys ?? []).includes(register.publicKey))
  );
}

/**
 * The error for an archive that is not this register's: another register's,
 * or one that names this register but is signed by a key it does not trust
 * (altered or forged). The fingerprint is computed from the key, never taken
 * from what the header claims.
 */
export function notThisRegister(
  identity: Identity,
  register: { id: string; name: string; publicKey: string },
): CoffreError {
  const fp = keyFingerprint(register.publicKey);
  if (register.id === identity.id) {
    return new CoffreError(
      'FOREIGN_REGISTER',
      `This backup names this register but is signed by a key this register does not trust (${fp}): it may have been altered or forged.`,
      { details: { registerId: register.id, keyFingerprint: fp, untrustedKey: true } },
    );
  }
  return new CoffreError(
    'FOREIGN_REGISTER',
    `This backup was made by another register: "${register.name}" (${register.id}, key ${fp}).`,
    { details: { registerId: register.id, registerName: register.name, keyFingerprint: fp } },
  );
}

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function createIdentity(name: string, now: Date): Identity {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const raw = publicKey
    .export({ format: 'der', type: 'spki' })
    .subarray(SPKI_ED25519_PREFIX.length);
  return {
    id: crypto.randomUUID(),
    name,
    createdAt: now.toISOString(),
    publicKey: raw.toString('base64'),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

export function publicKeyObject(publicKeyB64: string): crypto.KeyObject {
  const raw = Buffer.from(publicKeyB64, 'base64');
  if (raw.length !== 32)
    throw new CoffreError('CORRUPT_ARCHIVE', 'A register public key is malformed.');
  return crypto.createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, raw]),
    format: 'der',
    type: 'spki',
  });
}

export function publicKeyPem(publicKeyB64: string): string {
  return publicKeyObject(publicKeyB64).export({ format: 'pem', type: 'spki' }).toString();
}

/** A short, readable fingerprint of a public key, shown when adopting an identity. */
export function keyFingerprint(publicKeyB64: string): string {
  const digest = crypto
    .createHash('sha256')
    .update(Buffer.from(publicKeyB64, 'base64'))
    .digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

export function sign(identity: Identity, data: Buffer): Buffer {
  return crypto.sign(null, data, crypto.createPrivateKey(identity.privateKeyPem));
}

export function verifySignature(publicKeyB64: string, data: Buffer, signature: Buffer): boolean {
  try {
    return crypto.verify(null, data, publicKeyObject(publicKeyB64), signature);
  } catch {
    return false;
  }
}

export async function saveIdentity(file: string, identity: Identity): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(identity, null, 2) + '\n', 0o600);
}

export async function loadIdentity(file: string): Promise<Identity> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CoffreError('NOT_INITIALIZED', `The register identity ${file} is missing.`);
    }
    throw (
      homeFileError(file, err) ??
      new CoffreError(
        'IDENTITY_INVALID',
        `The register identity ${file} cannot be read: ${(err as Error).message}.`,
        {
          cause: err,
          details: { file },
        },
      )
    );
  }
  let value: Partial<Identity> | null;
  try {
    value = JSON.parse(text) as Partial<Identity> | null;
  } catch {
    throw new CoffreError(
      'IDENTITY_INVALID',
      `The register identity ${file} is damaged (cut short or not JSON).`,
      { details: { file } },
    );
  }
  if (
    typeof value?.id !== 'string' ||
    typeof value.name !== 'string' ||
    typeof value.publicKey !== 'string' ||
    typeof value.privateKeyPem !== 'string' ||
    (value.trustedKeys !== undefined &&
      !(Array.isArray(value.trustedKeys) && value.trustedKeys.every((k) => typeof k === 'string')))
  ) {
    throw new CoffreError('IDENTITY_INVALID', `The register identity ${file} is incomplete.`, {
      details: { file },
    });
  }
  try {
    crypto.createPrivateKey(value.privateKeyPem);
    publicKeyObject(value.publicKey);
  } catch (err) {
    throw new CoffreError(
      'IDENTITY_INVALID',
      `The register identity ${file} holds a damaged key.`,
      {
        cause: err,
        details: { file },
      },
    );
  }
  return value as Identity;
}

/**
 * The register's identity as this home holds it: read once at open, replaced
 * (saved first) when a restore adopts another register's identity.
 */
export class IdentityStore {
  constructor(
    private readonly file: string,
    private current: Identity,
  ) {}

  get(): Identity {
    return this.current;
  }

  /** Saves a new identity, then makes it current. */
  async replace(identity: Identity): Promise<void> {
    await saveIdentity(this.file, identity);
    this.current = identity;
  }
}
