// Reads an archive as a stream: (age) -> zstd -> tar, hashing the whole file
// and every entry on the way, optionally extracting entries into a folder.
// The checks that turn what was read into a verdict are pure (checkArchive).

import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CoffreError, isCoffreError } from '../core/errors.js';
import { ENTRY, parseSums, type ArchiveHeader } from '../core/manifest.js';
import { parseHeader } from '../core/sidecar.js';
import { verifySignature } from '../state/identity.js';
import { AGE_MAGIC, createAgeDecryptor, looksAgeEncrypted } from './age.js';
import { readTar } from './tar.js';
import { frameDecoder } from './zstd-decode.js';

export interface ReadOptions {
  identities?: string[];
  passphrase?: string | null;
  /** Extract every entry under this folder (it must exist and be empty). */
  extractTo?: string;
  onProgress?: (bytes: number) => void;
  /** Hash the whole stream for its fingerprint (default true; a read-back while writing has no use for it). */
  fingerprint?: boolean;
}

export interface ArchiveContents {
  /** SHA-256 of the whole archive file as read. */
  sha256: string;
  size: number;
  encrypted: boolean;
  /** Entry name -> SHA-256 of its bytes, in archive order. */
  entries: Map<string, string>;
  /** The small metadata entries, kept in memory. */
  meta: Partial<Record<'header' | 'sums' | 'signature' | 'publicKey', Buffer>>;
}

const META_ENTRIES: Record<string, keyof ArchiveContents['meta']> = {
  [ENTRY.header]: 'header',
  [ENTRY.sums]: 'sums',
  [ENTRY.signature]: 'signature',
  [ENTRY.publicKey]: 'publicKey',
};
const META_LIMIT = 16 << 20;

/** Hashes everything that passes, and tells whether it starts like an age file. */
class Tap extends Transform {
  readonly hash = crypto.createHash('sha256');
  size = 0;
  constructor(
    private readonly onBytes?: (n: number) => void,
    private readonly hashing = true,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    if (this.hashing) this.hash.update(chunk);
    this.size += chunk.length;
    this.onBytes?.(chunk.length);
    this.push(chunk);
    cb();
  }
}

/** Reads the first bytes of a stream without losing them. */
async function peek(input: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const chunks: Buffer[] = [];
  let length = 0;
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  while (length < n) {
    const next = await iterator.next();
    if (next.done) break;
    chunks.push(next.value);
    length += next.value.length;
  }
  const head = Buffer.concat(chunks);
  const rest = async function* () {
    if (head.length > 0) yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  };
  const stream = new PassThrough({ highWaterMark: 1 << 20 });
  pipeline(rest, stream).catch((err: unknown) => stream.destroy(err as Error));
  return { head, stream };
}

function safeTarget(root: string, name: string): string {
  const target = path.resolve(root, name);
  if (!target.startsWith(path.resolve(root) + path.sep) || name.includes('\0')) {
    throw new CoffreError(
      'CORRUPT_ARCHIVE',
      `The archive holds an unsafe entry name: ${JSON.stringify(name)}.`,
    );
  }
  return target;
}

export async function readArchive(
  input: Readable,
  options: ReadOptions = {},
): Promise<ArchiveContents> {
  const tap = new Tap(options.onProgress, options.fingerprint !== false);
  const tapped = input.pipe(tap);
  input.on('error', (err) => tap.destroy(err));
  const { head, stream } = await peek(tapped, AGE_MAGIC.length);
  const encrypted = looksAgeEncrypted(head);
  const entries = new Map<string, string>();
  const meta: ArchiveContents['meta'] = {};

  const decrypt = encrypted
    ? createAgeDecryptor({
        identities: options.identities ?? [],
        ...(options.passphrase ? { passphrase: options.passphrase } : {}),
      })
    : null;
  // Frames decode in worker threads; this thread hashes, reads tar and writes.
  const decoder = frameDecoder();
  const decompress = (source: AsyncIterable<Buffer>) => decoder.decompress(source);

  const consume = async (source: AsyncIterable<Buffer>) => {
    for await (const entry of readTar(source)) {
      if (entries.has(entry.name)) {
        throw new CoffreError('CORRUPT_ARCHIVE', `The archive holds ${entry.name} twice.`);
      }
      const hash = crypto.createHash('sha256');
      const metaKey = META_ENTRIES[entry.name];
      const kept: Buffer[] = [];
      let keptLength = 0;
      let out: fs.WriteStream | undefined;
      if (options.extractTo && entry.type === 'file') {
        const target = safeTarget(options.extractTo, entry.name);
        await fsp.mkdir(path.dirname(target), { recursive: true });
        out = fs.createWriteStream(target, { flags: 'wx' });
      }
      // A write can fail at any time (a full disk while staging): keep the
      // error and end with it, never leave it unhandled.
      let failed: Error | null = null;
      const failure = new Promise<never>((_, reject) => {
        out?.on('error', (err: Error) => {
          failed = err;
          reject(err);
        });
      });
      failure.catch(() => undefined);
      try {
        for await (const chunk of entry.body) {
          hash.update(chunk);
          if (metaKey && keptLength < META_LIMIT) {
            kept.push(chunk);
            keptLength += chunk.length;
          }
          if (failed) await failure;
          if (out && !out.write(chunk)) {
            await Promise.race([new Promise<void>((r) => out.once('drain', () => r())), failure]);
          }
        }
        if (out) {
          await Promise.race([
            new Promise<void>((resolve) => out.once('close', resolve).end()),
            failure,
          ]);
        }
      } catch (err) {
        // A damaged or cut stream: this entry's file is closed before the
        // error goes up, so whoever removes the folder finds nothing writing.
        if (out) await closeNow(out);
        throw err;
      }
      if (metaKey) meta[metaKey] = Buffer.concat(kept);
      entries.set(entry.name, hash.digest('hex'));
    }
  };

  // The pipeline fails as soon as one stage fails, possibly while `consume`
  // is between two awaits (making a folder, opening a file): it is awaited
  // too, so that when readArchive fails, nothing is extracting any more.
  let consuming: Promise<void> = Promise.resolve();
  const run = (source: AsyncIterable<Buffer>) => {
    const done = consume(source);
    consuming = done.catch(() => undefined);
    return done;
  };
  try {
    if (decrypt) await pipeline(stream, decrypt, decompress, run);
    else await pipeline(stream, decompress, run);
  } catch (err) {
    await consuming;
    if (isCoffreError(err)) throw err;
    if ((err as NodeJS.ErrnoException).code?.startsWith('E')) throw err;
    throw new CoffreError(
      'CORRUPT_ARCHIVE',
      `The archive cannot be decompressed: ${(err as Error).message}.`,
      {
        cause: err,
      },
    );
  } finally {
    await decoder.close();
  }
  return { sha256: tap.hash.digest('hex'), size: tap.size, encrypted, entries, meta };
}

/** Stops a file being written and waits until its descriptor is closed. */
async function closeNow(out: fs.WriteStream): Promise<void> {
  if (out.closed) return;
  const closed = new Promise<void>((resolve) => out.once('close', () => resolve()));
  out.on('error', () => undefined);
  out.destroy();
  await closed;
}

/** Hashes a whole archive without opening it (no key needed). */
export async function fingerprint(
  input: Readable,
  onProgress?: (n: number) => void,
): Promise<{ sha256: string; size: number }> {
  const tap = new Tap(onProgress);
  await pipeline(input, tap, async (source: AsyncIterable<Buffer>) => {
    // Only the tap's hash is wanted: read to the end.
    for await (const chunk of source) void chunk;
  });
  return { sha256: tap.hash.digest('hex'), size: tap.size };
}

export interface ArchiveCheck {
  header: ArchiveHeader;
  /** Names of entries whose bytes differ from SHA256SUMS, or that are missing or unlisted. */
  problems: string[];
}

/**
 * Pure: checks what was read. Throws CORRUPT_ARCHIVE when the metadata is
 * missing or unreadable, BAD_SIGNATURE when the signature does not verify;
 * returns the entry problems (hash mismatches, missing or extra entries).
 */
export function checkArchive(contents: ArchiveContents): ArchiveCheck {
  const { header: headerBytes, sums: sumsBytes, signature, publicKey } = contents.meta;
  if (!headerBytes || !sumsBytes || !signature) {
    throw new CoffreError(
      'CORRUPT_ARCHIVE',
      'The archive lacks its header, entry list or signature.',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(headerBytes.toString('utf8'));
  } catch {
    throw new CoffreError('CORRUPT_ARCHIVE', 'The archive header is not valid JSON.');
  }
  // Every field checked before the header is used (a field of the wrong type is CORRUPT_ARCHIVE).
  const header = parseHeader(parsed);
  if (!verifySignature(header.register.publicKey, sumsBytes, signature)) {
    throw new CoffreError(
      'BAD_SIGNATURE',
      "The entry list's signature does not match the register key in the archive.",
    );
  }
  const sums = parseSums(sumsBytes.toString('utf8'));
  const problems: string[] = [];
  for (const [name, expected] of sums) {
    const actual = contents.entries.get(name);
    if (actual === undefined) problems.push(`missing: ${name}`);
    else if (actual !== expected) problems.push(`damaged: ${name}`);
  }
  for (const name of contents.entries.keys()) {
    if (name !== ENTRY.sums && name !== ENTRY.signature && !sums.has(name))
      problems.push(`unlisted: ${name}`);
  }
  if (!sums.has(ENTRY.header)) problems.push(`unlisted: ${ENTRY.header}`);
  if (publicKey && !sums.has(ENTRY.publicKey)) problems.push(`unlisted: ${ENTRY.publicKey}`);
  return { header, problems };
}
