// The sidecar (`<archive>.coffre.json`, or a cloud object next to the
// archive), read as untrusted input: a pure validating parser, and the one
// check that verify and restore both run before they trust what it says.
// Every sidecar that is not exactly what Coffre writes is CORRUPT_ARCHIVE
// (BAD_SIGNATURE when only its signature is missing or malformed); a sidecar
// never reaches the rest of the code with a field of the wrong type.

import crypto from 'node:crypto';
import { z } from 'zod';
import { CoffreError } from './errors.js';
import {
  FORMAT_NAME,
  FORMAT_VERSION,
  ORIGINS,
  contentCheckMessage,
  fingerprintMessage,
  parseArchiveName,
  type ArchiveHeader,
  type ContentCheckRecord,
  type Sidecar,
} from './manifest.js';

const count = z.number().int().nonnegative();
const rowCounts = z.record(z.string(), count);

/** What a reader relies on in a header; unknown keys (a later Coffre's) are allowed. */
export const headerSchema = z.looseObject({
  format: z.literal(FORMAT_NAME),
  formatVersion: z.number().int().positive(),
  id: z.string().min(1),
  createdAt: z.iso.datetime(),
  origin: z.enum(ORIGINS),
  note: z.string().nullable(),
  register: z.looseObject({
    id: z.string().min(1),
    name: z.string(),
    publicKey: z.base64().refine((k) => Buffer.from(k, 'base64').length === 32, {
      error: 'an Ed25519 public key (32 bytes in base64)',
    }),
    keyFingerprint: z.string(),
  }),
  app: z.looseObject({
    profile: z.string().min(1),
    version: z.string().nullable(),
    schemaVersion: z.number().int(),
  }),
  coffre: z.looseObject({ version: z.string() }),
  database: z.looseObject({
    entry: z.string().min(1),
    bytes: count,
    pageSize: count,
    sourceEncrypted: z.boolean(),
    tables: rowCounts,
  }),
  files: z.looseObject({ label: z.string(), count, bytes: count }),
  settings: z.looseObject({ entry: z.string().min(1), bytes: count }).nullable(),
  sections: z.array(
    z.looseObject({
      name: z.string().min(1),
      label: z.string(),
      tables: rowCounts,
      files: count.optional(),
      settings: z.boolean().optional(),
    }),
  ),
  encryption: z.looseObject({
    encrypted: z.boolean(),
    method: z.enum(['age-x25519', 'age-scrypt']).nullable(),
    recipients: z.array(z.string()),
  }),
});

const SIGNATURE_BYTES = 64;

const sidecarSchema = z.looseObject({
  sidecarVersion: z.literal(1),
  archive: z.string(),
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in lower-case hex'),
  header: headerSchema,
  contentCheck: z
    .looseObject({
      at: z.iso.datetime(),
      entries: count,
      integrity: z.string(),
      signature: z.base64(),
    })
    .optional(),
});

function corrupt(archive: string, problem: string): CoffreError {
  return new CoffreError(
    'CORRUPT_ARCHIVE',
    `The metadata (sidecar) of ${archive} is damaged: ${problem}.`,
    { details: { archive, problem } },
  );
}

function problems(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || 'sidecar'}: ${i.message}`)
    .join('; ');
}

/**
 * Pure: checks that a parsed JSON value is a sidecar as Coffre writes it,
 * for the archive of that name. Throws CORRUPT_ARCHIVE naming the first
 * problems, UNSUPPORTED_FORMAT for a newer format, and BAD_SIGNATURE when
 * the structure is sound but the signature is missing or malformed.
 * Returns the value as it was given (unknown keys kept).
 */
export function parseSidecar(value: unknown, archive: string): Sidecar {
  const v = value as { sidecarVersion?: unknown; header?: { formatVersion?: unknown } } | null;
  if (typeof v?.sidecarVersion === 'number' && v.sidecarVersion > 1) {
    throw new CoffreError(
      'UNSUPPORTED_FORMAT',
      `The metadata of ${archive} has version ${v.sidecarVersion}; this Coffre reads version 1.`,
    );
  }
  if (typeof v?.header?.formatVersion === 'number' && v.header.formatVersion > FORMAT_VERSION) {
    throw new CoffreError(
      'UNSUPPORTED_FORMAT',
      `The archive uses format version ${v.header.formatVersion}; this Coffre reads up to version ${FORMAT_VERSION}.`,
    );
  }
  const parsed = sidecarSchema.safeParse(value);
  if (!parsed.success) throw corrupt(archive, problems(parsed.error));
  const s = parsed.data;
  if (s.archive !== archive) {
    throw corrupt(archive, `it names another archive (${JSON.stringify(s.archive)})`);
  }
  const name = parseArchiveName(archive);
  if (name === null) throw corrupt(archive, 'the archive name is not a Coffre archive name');
  if (s.header.id !== name.id) {
    throw corrupt(archive, `its header names backup ${JSON.stringify(s.header.id)}`);
  }
  if (s.header.encryption.encrypted !== name.encrypted) {
    throw corrupt(archive, "its encryption state does not match the archive's name");
  }
  const signature = (value as { fingerprintSignature?: unknown }).fingerprintSignature;
  if (
    typeof signature !== 'string' ||
    !z.base64().safeParse(signature).success ||
    Buffer.from(signature, 'base64').length !== SIGNATURE_BYTES
  ) {
    throw new CoffreError(
      'BAD_SIGNATURE',
      `The metadata (sidecar) of ${archive} has no valid signature: it may have been altered.`,
      { details: { archive } },
    );
  }
  return value as Sidecar;
}

/** Pure: a sidecar file's text, checked as by `parseSidecar`. */
export function parseSidecarText(text: string, archive: string): Sidecar {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw corrupt(archive, 'it is not valid JSON');
  }
  return parseSidecar(json, archive);
}

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function signedBy(publicKeyB64: string, message: Buffer, signatureB64: string): boolean {
  try {
    const key = crypto.createPublicKey({
      key: Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(publicKeyB64, 'base64')]),
      format: 'der',
      type: 'spki',
    });
    return crypto.verify(null, message, key, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}

/** The keys this register trusts as its own: its id and every key it has signed with. */
export interface TrustedRegister {
  id: string;
  keys: readonly string[];
}

export interface SidecarCheck {
  /** The archive file's size as the destination reports it; null when unknown. */
  actualSize: number | null;
  /**
   * The register the backup must belong to; null only when any register's
   * backup is acceptable (adopting a replaced register's identity).
   */
  trusted: TrustedRegister | null;
}

/**
 * Pure: everything a sidecar must satisfy before its fingerprint is used.
 * Verify and restore both call it, on a value from `parseSidecar`:
 * the fingerprint signature (BAD_SIGNATURE), the register (FOREIGN_REGISTER),
 * and the archive's size against the file (CORRUPT_ARCHIVE).
 */
export function checkSidecar(sidecar: Sidecar, check: SidecarCheck): void {
  const { archive, header } = sidecar;
  if (
    !signedBy(
      header.register.publicKey,
      fingerprintMessage(archive, sidecar.sha256),
      sidecar.fingerprintSignature,
    )
  ) {
    throw new CoffreError(
      'BAD_SIGNATURE',
      `The metadata of ${archive} is not signed by the key it names: it may have been altered.`,
      { details: { archive } },
    );
  }
  if (
    check.trusted &&
    (header.register.id !== check.trusted.id ||
      !check.trusted.keys.includes(header.register.publicKey))
  ) {
    throw new CoffreError(
      'FOREIGN_REGISTER',
      header.register.id === check.trusted.id
        ? `${archive} names this register but is signed by a key this register does not trust: it may have been altered or forged.`
        : `${archive} was made by another register: "${header.register.name}" (${header.register.id}).`,
      {
        details: {
          registerId: header.register.id,
          registerName: header.register.name,
          untrustedKey: header.register.id === check.trusted.id,
        },
      },
    );
  }
  if (check.actualSize !== null && check.actualSize !== sidecar.size) {
    throw new CoffreError(
      'CORRUPT_ARCHIVE',
      `${archive} is ${check.actualSize} bytes, but its metadata says ${sidecar.size}: the file is truncated or was replaced.`,
      { details: { archive, actual: check.actualSize, expected: sidecar.size } },
    );
  }
}

/**
 * Pure: the content check recorded when the archive was written, once its
 * signature holds (by the key that signed the fingerprint, which checkSidecar
 * checked): null when none was recorded, BAD_SIGNATURE when it was altered.
 */
export function recordedContentCheck(sidecar: Sidecar): ContentCheckRecord | null {
  const check = sidecar.contentCheck;
  if (!check) return null;
  if (
    check.integrity !== 'ok' ||
    !signedBy(
      sidecar.header.register.publicKey,
      contentCheckMessage(sidecar.archive, sidecar.sha256, check),
      check.signature,
    )
  ) {
    throw new CoffreError(
      'BAD_SIGNATURE',
      `The content check recorded in the metadata of ${sidecar.archive} is not signed by its register: it may have been altered.`,
      { details: { archive: sidecar.archive } },
    );
  }
  return check;
}

/** Pure: the header inside an archive, checked with the same rules as a sidecar's. */
export function parseHeader(value: unknown): ArchiveHeader {
  const h = value as { format?: unknown; formatVersion?: unknown } | null;
  if (!h || typeof h !== 'object' || h.format !== FORMAT_NAME) {
    throw new CoffreError('CORRUPT_ARCHIVE', 'The archive header is not a Coffre header.');
  }
  if (typeof h.formatVersion === 'number' && h.formatVersion > FORMAT_VERSION) {
    throw new CoffreError(
      'UNSUPPORTED_FORMAT',
      `The archive uses format version ${h.formatVersion}; this Coffre reads up to version ${FORMAT_VERSION}.`,
    );
  }
  const parsed = headerSchema.safeParse(value);
  if (!parsed.success) {
    throw new CoffreError(
      'CORRUPT_ARCHIVE',
      `The archive header is incomplete: ${problems(parsed.error)}.`,
    );
  }
  return value as ArchiveHeader;
}

/** How a destination reads the sidecars it lists: backups' by default, fiscal archives' in a fiscal area. */
export type SidecarParser = (text: string, archive: string) => Sidecar;

const fiscalSidecarSchema = z.looseObject({
  sidecarVersion: z.literal(1),
  archive: z.string(),
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in lower-case hex'),
  fingerprintSignature: z.base64(),
  header: z.looseObject({
    format: z.string(),
    id: z.string(),
    createdAt: z.iso.datetime(),
    register: headerSchema.shape.register,
    encryption: z.looseObject({ encrypted: z.boolean() }),
  }),
});

/**
 * Pure: a fiscal archive's sidecar, checked for what a destination lists and
 * signs (its own header is checked by the fiscal verifier). Destinations read
 * only a sidecar's id, time, register and encryption state.
 */
export function parseFiscalSidecarText(text: string, archive: string): Sidecar {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw corrupt(archive, 'it is not valid JSON');
  }
  const parsed = fiscalSidecarSchema.safeParse(json);
  if (!parsed.success) throw corrupt(archive, problems(parsed.error));
  if (parsed.data.archive !== archive) {
    throw corrupt(archive, `it names another archive (${JSON.stringify(parsed.data.archive)})`);
  }
  return json as Sidecar;
}
