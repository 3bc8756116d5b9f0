// Writes a small signed archive of finished files (a fiscal archive) in the
// same container as backups: a tar stream, zstd-compressed, optionally
// encrypted with age, its entries listed in coffre/SHA256SUMS and that list
// signed with the register's key. Unlike a backup, every entry exists before
// the archive starts, so the writer is a plain sequence of entries.

import crypto from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { PassThrough, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ENTRY, formatSums } from '../core/manifest.js';
import { publicKeyPem, sign, type Identity } from '../state/identity.js';
import { createAgeEncryptor } from './age.js';
import { TAR_END, tarFileHeader, tarPaddingSize } from './tar.js';
import { ChunkedCompressor } from './zstd-parallel.js';

export interface BundleEntry {
  name: string;
  /** A file to copy, or the bytes themselves. */
  file?: string;
  data?: Buffer;
}

export interface BundleInput {
  identity: Identity;
  /** The entries, in order; the header, public key, SHA256SUMS and signature follow them. */
  entries: BundleEntry[];
  header: unknown;
  encryption: { recipients: string[]; passphrase: string | null };
  compressionLevel: number;
  /** Where the archive goes; written whole, then fsynced. */
  target: string;
  /** The entries' modification time (seconds). */
  mtime: number;
}

export async function writeBundle(input: BundleInput): Promise<{ sha256: string; size: number }> {
  const sums: { name: string; sha256: string }[] = [];
  const { recipients, passphrase } = input.encryption;
  const encrypt: Transform | null =
    recipients.length > 0 || passphrase
      ? await createAgeEncryptor(passphrase ? { passphrase } : { recipients })
      : null;
  const whole = crypto.createHash('sha256');
  let size = 0;
  const out = fs.createWriteStream(input.target, { flags: 'wx', mode: 0o644 });
  const compressed = new PassThrough({ highWaterMark: 1 << 20 });
  const count = new PassThrough();
  count.on('data', (chunk: Buffer) => {
    whole.update(chunk);
    size += chunk.length;
  });
  const downstream = encrypt
    ? pipeline(compressed, encrypt, count, out)
    : pipeline(compressed, count, out);
  downstream.catch(() => undefined);
  const compressor = new ChunkedCompressor(
    { level: input.compressionLevel, threads: 1 },
    async (frame) => {
      if (!compressed.write(frame)) await Promise.race([once(compressed, 'drain'), downstream]);
    },
  );
  const entry = async (name: string, data: Buffer) => {
    sums.push({ name, sha256: crypto.createHash('sha256').update(data).digest('hex') });
    await compressor.write(tarFileHeader(name, data.length, input.mtime));
    await compressor.write(data);
    await compressor.write(Buffer.alloc(tarPaddingSize(data.length)));
  };
  try {
    for (const e of input.entries) {
      if (e.data) {
        await entry(e.name, e.data);
        continue;
      }
      const size = (await fsp.stat(e.file!)).size;
      const fd = fs.openSync(e.file!, 'r');
      const hash = crypto.createHash('sha256');
      try {
        await compressor.write(tarFileHeader(e.name, size, input.mtime));
        await compressor.readFile(fd, size, hash, () => undefined);
      } finally {
        fs.closeSync(fd);
      }
      await compressor.write(Buffer.alloc(tarPaddingSize(size)));
      sums.push({ name: e.name, sha256: hash.digest('hex') });
    }
    await entry(ENTRY.header, Buffer.from(JSON.stringify(input.header, null, 2) + '\n'));
    await entry(ENTRY.publicKey, Buffer.from(publicKeyPem(input.identity.publicKey)));
    const sumsText = Buffer.from(formatSums(sums));
    await entry(ENTRY.sums, sumsText);
    const signature = sign(input.identity, sumsText);
    await compressor.write(tarFileHeader(ENTRY.signature, signature.length, input.mtime));
    await compressor.write(signature);
    await compressor.write(Buffer.alloc(tarPaddingSize(signature.length)));
    await compressor.write(TAR_END);
    await compressor.end();
    compressed.end();
    await downstream;
    const handle = await fsp.open(input.target, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    await compressor.close();
    compressed.destroy(err as Error);
    await downstream.catch(() => undefined);
    await fsp.rm(input.target, { force: true });
    throw err;
  }
  return { sha256: whole.digest('hex'), size };
}
