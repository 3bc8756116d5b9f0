// age keys and the primitives of the age v1 format (see age.ts): X25519 key
// pairs in their Bech32 text form (age1… / AGE-SECRET-KEY-1…), HKDF, the
// ChaCha20-Poly1305 seal, X25519 and scrypt, all on node:crypto.

import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  randomBytes,
  scrypt,
  type KeyObject,
} from 'node:crypto';
import { CoffreError } from '../core/errors.js';

export interface AgeKeyPair {
  /** The secret key, `AGE-SECRET-KEY-1…`, as age-keygen prints it. */
  identity: string;
  /** The public key, `age1…`. */
  recipient: string;
}

/** Poly1305's tag, after each sealed chunk or key. */
export const TAG_SIZE = 16;
const SCRYPT_SALT_LABEL = Buffer.from('age-encryption.org/v1/scrypt', 'latin1');
const IDENTITY_HRP = 'AGE-SECRET-KEY-';
const RECIPIENT_HRP = 'age';

// DER wrappings that turn a raw 32-byte X25519 key into something node:crypto imports.
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

// ---------------------------------------------------------------------------
// Bech32 (BIP-173), without the 90-character limit: age identities are longer.

const BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32_GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function bech32Polymod(values: number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) {
      if ((top >>> i) & 1) chk ^= BECH32_GENERATOR[i];
    }
  }
  return chk >>> 0;
}

function bech32HrpExpand(hrp: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) >> 5);
  out.push(0);
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) & 31);
  return out;
}

/** Regroups bits; from 8 to 5 pads with zeros, from 5 to 8 rejects non-zero or overlong padding. */
function convertBits(data: ArrayLike<number>, from: number, to: number, pad: boolean) {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const max = (1 << to) - 1;
  for (let i = 0; i < data.length; i++) {
    acc = (acc << from) | data[i];
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >> bits) & max);
    }
    acc &= (1 << bits) - 1;
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & max);
  } else if (bits >= from || acc !== 0) {
    return undefined;
  }
  return out;
}

/** Encodes in lower case; the checksum is defined over the lower-case HRP. */
function bech32Encode(hrp: string, data: Uint8Array): string {
  const lowerHrp = hrp.toLowerCase();
  const words = convertBits(data, 8, 5, true)!;
  const mod = bech32Polymod([...bech32HrpExpand(lowerHrp), ...words, 0, 0, 0, 0, 0, 0]) ^ 1;
  let out = lowerHrp + '1';
  for (const w of words) out += BECH32_CHARSET[w];
  for (let i = 0; i < 6; i++) out += BECH32_CHARSET[(mod >>> (5 * (5 - i))) & 31];
  return out;
}

/** Returns the HRP in the case it was written in (age is strict about case), or undefined. */
function bech32Decode(s: string): { hrp: string; data: Buffer } | undefined {
  const lower = s.toLowerCase();
  if (s !== lower && s !== s.toUpperCase()) return undefined; // mixed case
  const pos = lower.lastIndexOf('1');
  if (pos < 1 || pos + 7 > lower.length) return undefined;
  const hrp = lower.slice(0, pos);
  for (let i = 0; i < hrp.length; i++) {
    const c = hrp.charCodeAt(i);
    if (c < 33 || c > 126) return undefined;
  }
  const words: number[] = [];
  for (let i = pos + 1; i < lower.length; i++) {
    const w = BECH32_CHARSET.indexOf(lower[i]);
    if (w < 0) return undefined;
    words.push(w);
  }
  if (bech32Polymod([...bech32HrpExpand(hrp), ...words]) !== 1) return undefined;
  const bytes = convertBits(words.slice(0, -6), 5, 8, false);
  if (bytes === undefined) return undefined;
  return { hrp: s.slice(0, pos), data: Buffer.from(bytes) };
}

// ---------------------------------------------------------------------------
// Primitives

export function hkdf(ikm: Buffer, salt: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
}

export function b64(data: Buffer): string {
  return data.toString('base64').replace(/=+$/, '');
}

const B64_CHARS = /^[A-Za-z0-9+/]*$/;

/** Strict unpadded base64: Buffer.from is lenient, so re-encode to reject non-canonical input. */
export function decodeB64(s: string): Buffer | undefined {
  if (!B64_CHARS.test(s) || s.length % 4 === 1) return undefined;
  const data = Buffer.from(s, 'base64');
  return b64(data) === s ? data : undefined;
}

export function seal(key: Buffer, nonce: Buffer, plaintext: Buffer): Buffer {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE });
  const ct = cipher.update(plaintext);
  cipher.final();
  return Buffer.concat([ct, cipher.getAuthTag()]);
}

export function open(key: Buffer, nonce: Buffer, sealed: Buffer): Buffer | undefined {
  if (sealed.length < TAG_SIZE) return undefined;
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  const pt = decipher.update(sealed.subarray(0, sealed.length - TAG_SIZE));
  try {
    decipher.final();
  } catch {
    return undefined;
  }
  return pt;
}

export function x25519PrivateKey(scalar: Buffer): KeyObject {
  return createPrivateKey({
    key: Buffer.concat([PKCS8_X25519_PREFIX, scalar]),
    format: 'der',
    type: 'pkcs8',
  });
}

export function x25519PublicBytes(privateKey: KeyObject): Buffer {
  const der = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return der.subarray(SPKI_X25519_PREFIX.length);
}

/** X25519; undefined when the result is all zeros (a low-order point), which age rejects. */
export function x25519(privateKey: KeyObject, publicPoint: Buffer): Buffer | undefined {
  try {
    const publicKey = createPublicKey({
      key: Buffer.concat([SPKI_X25519_PREFIX, publicPoint]),
      format: 'der',
      type: 'spki',
    });
    const shared = diffieHellman({ privateKey, publicKey });
    // OpenSSL already refuses an all-zero result (it throws); checked again to not depend on it.
    return shared.some((b) => b !== 0) ? shared : undefined;
  } catch {
    return undefined;
  }
}

export function scryptKey(passphrase: string, salt: Buffer, workFactor: number): Promise<Buffer> {
  const N = 2 ** workFactor;
  const r = 8;
  return new Promise((resolve, reject) => {
    scrypt(
      Buffer.from(passphrase, 'utf8'),
      Buffer.concat([SCRYPT_SALT_LABEL, salt]),
      32,
      // Node refuses to use more than 32 MiB by default; scrypt needs about 128·r·N bytes.
      { N, r, p: 1, maxmem: 256 * r * N + 64 * 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

// ---------------------------------------------------------------------------
// Keys

export interface X25519Identity {
  privateKey: KeyObject;
  publicKey: Buffer;
}

export function parseIdentity(identity: string): X25519Identity {
  const decoded = bech32Decode(identity.trim());
  // The key itself is never echoed in the message: it is a secret.
  if (decoded === undefined || decoded.hrp !== IDENTITY_HRP || decoded.data.length !== 32) {
    throw new CoffreError(
      'USAGE',
      'The age identity is malformed: expected a secret key of the form AGE-SECRET-KEY-1… as age-keygen writes it.',
    );
  }
  const privateKey = x25519PrivateKey(decoded.data);
  return { privateKey, publicKey: x25519PublicBytes(privateKey) };
}

export function parseRecipient(recipient: string): Buffer {
  const decoded = bech32Decode(recipient);
  if (decoded === undefined || decoded.hrp !== RECIPIENT_HRP || decoded.data.length !== 32) {
    throw new CoffreError(
      'USAGE',
      `"${recipient}" is not an age recipient: expected a public key of the form age1….`,
      { details: { recipient } },
    );
  }
  return decoded.data;
}

export function generateAgeKeyPair(): AgeKeyPair {
  const scalar = randomBytes(32);
  const publicKey = x25519PublicBytes(x25519PrivateKey(scalar));
  return {
    identity: bech32Encode(IDENTITY_HRP, scalar).toUpperCase(),
    recipient: bech32Encode(RECIPIENT_HRP, publicKey),
  };
}

export function recipientOf(identity: string): string {
  return bech32Encode(RECIPIENT_HRP, parseIdentity(identity).publicKey);
}

export function isAgeRecipient(s: string): boolean {
  const decoded = bech32Decode(s);
  return decoded !== undefined && decoded.hrp === RECIPIENT_HRP && decoded.data.length === 32;
}

export function parseIdentities(text: string): string[] {
  const identities: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    try {
      parseIdentity(line);
    } catch {
      throw new CoffreError(
        'USAGE',
        `Line ${i + 1} of the identity file is not an age secret key (AGE-SECRET-KEY-1…).`,
        { details: { line: i + 1 } },
      );
    }
    identities.push(line);
  }
  if (identities.length === 0) {
    throw new CoffreError(
      'USAGE',
      'The identity file contains no age secret key (AGE-SECRET-KEY-1…).',
    );
  }
  return identities;
}
