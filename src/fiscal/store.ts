// Writes a fiscal archive (the README, the CSV files, the audit, the signed
// header) to a file in scratch space, then copies it whole to the fiscal
// area of each destination, so that no destination ever sees a part of it.
// Period archives and the archive a restore makes of the records it takes
// out of the chain are written the same way.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { writeBundle } from '../archive/bundle.js';
import { asCoffreError, CoffreError } from '../core/errors.js';
import type { FiscalAudit } from '../core/fiscal/audit.js';
import { fingerprintMessage, type Sidecar } from '../core/manifest.js';
import type { Destination } from '../destinations/types.js';
import { keyFingerprint, sign, type Identity } from '../state/identity.js';
import {
  auditSummary,
  FISCAL_AUDIT,
  FISCAL_FORMAT,
  FISCAL_FORMAT_VERSION,
  FISCAL_README,
  fiscalReadme,
  type FiscalHeader,
} from './archive.js';

export type FiscalSidecar = Omit<Sidecar, 'header'> & { header: FiscalHeader };

/** Destinations take a backup's sidecar; they only read its id, creation time, register and encryption. */
export function asSidecar(s: FiscalSidecar): Sidecar {
  return s as unknown as Sidecar;
}

export function isFiscal(s: Sidecar): boolean {
  return (s.header as unknown as { format?: string }).format === FISCAL_FORMAT;
}

export interface StoreInput {
  identity: Identity;
  app: FiscalHeader['app'];
  id: string;
  archive: string;
  now: Date;
  work: string;
  /** What the archive describes: the period, the recipe, its files and chains, the link before it. */
  content: Pick<
    FiscalHeader,
    'period' | 'recipe' | 'files' | 'chains' | 'totals' | 'previous' | 'rewind'
  >;
  audit: FiscalAudit;
  encryption: { recipients: string[]; passphrase: string | null };
  compressionLevel: number;
  areas: Destination[];
  /** Whether this cloud destination takes unencrypted archives. */
  allowsUnencrypted(name: string): boolean;
  out: string | null;
}

export interface Stored {
  header: FiscalHeader;
  sha256: string;
  size: number;
  encrypted: boolean;
  destinations: { name: string; location: string }[];
  failed: { destination: string; code: string; message: string }[];
  out: string | null;
}

/** Writes the archive, then stores it in every area; fails only when it is stored nowhere. */
export async function writeAndStore(input: StoreInput): Promise<Stored> {
  const { encryption, identity } = input;
  const encrypted = encryption.recipients.length > 0 || encryption.passphrase !== null;
  const header: FiscalHeader = {
    format: FISCAL_FORMAT,
    formatVersion: FISCAL_FORMAT_VERSION,
    id: input.id,
    createdAt: input.now.toISOString(),
    register: {
      id: identity.id,
      name: identity.name,
      publicKey: identity.publicKey,
      keyFingerprint: keyFingerprint(identity.publicKey),
    },
    app: input.app,
    ...input.content,
    audit: auditSummary(input.audit),
    encryption: {
      encrypted,
      method: !encrypted ? null : encryption.passphrase ? 'age-scrypt' : 'age-x25519',
      recipients: encryption.recipients,
    },
  };
  const file = path.join(input.work, input.archive);
  const written = await writeBundle({
    identity,
    entries: [
      { name: FISCAL_README, data: Buffer.from(fiscalReadme(header)) },
      ...input.content.files.map((f) => ({ name: f.name, file: path.join(input.work, f.name) })),
      { name: FISCAL_AUDIT, data: Buffer.from(JSON.stringify(input.audit, null, 2) + '\n') },
    ],
    header,
    encryption,
    compressionLevel: input.compressionLevel,
    target: file,
    mtime: Math.floor(input.now.getTime() / 1000),
  });
  const sidecar: FiscalSidecar = {
    sidecarVersion: 1,
    archive: input.archive,
    size: written.size,
    sha256: written.sha256,
    fingerprintSignature: sign(
      identity,
      fingerprintMessage(input.archive, written.sha256),
    ).toString('base64'),
    header,
  };
  const stored: Stored['destinations'] = [];
  const failed: Stored['failed'] = [];
  for (const area of input.areas) {
    try {
      if (area.kind === 's3' && !encrypted && !input.allowsUnencrypted(area.name)) {
        throw new CoffreError(
          'UNENCRYPTED_UPLOAD',
          `This fiscal archive is not encrypted, and "${area.name}" is a cloud destination: the provider could read the sales. Nothing was uploaded there.`,
          { details: { destination: area.name } },
        );
      }
      await area.check();
      const upload = await area.put(input.archive, { expectedBytes: written.size });
      try {
        await pipeline(fs.createReadStream(file), upload.stream);
        await upload.commit(asSidecar(sidecar));
      } catch (err) {
        await upload.abort().catch(() => undefined);
        throw err;
      }
      stored.push({ name: area.name, location: area.location });
    } catch (err) {
      const e = asCoffreError(err);
      failed.push({ destination: area.name, code: e.code, message: e.message });
    }
  }
  let out: string | null = null;
  if (input.out) {
    out = path.resolve(input.out);
    await fsp.copyFile(file, out, fs.constants.COPYFILE_EXCL);
  }
  if (stored.length === 0 && out === null) {
    throw new CoffreError(
      failed[0]?.code === undefined
        ? 'DESTINATION_UNAVAILABLE'
        : (failed[0].code as CoffreError['code']),
      `The fiscal archive could not be stored anywhere: ${failed.map((f) => f.message).join(' ')}`,
    );
  }
  return {
    header,
    sha256: written.sha256,
    size: written.size,
    encrypted,
    destinations: stored,
    failed,
    out,
  };
}
