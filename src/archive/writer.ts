// Writes one archive as a stream: tar entries -> zstd -> (age) -> outputs.
//
// Entry order: the settings file, the app's files, then the database snapshot
// (which a worker thread takes while the files stream), then the header, the
// register's public key, SHA256SUMS and its signature. Memory stays flat: every
// stage is a stream with bounded buffers, and several outputs (destinations)
// are fed the same bytes with backpressure from the slowest.

import crypto from 'node:crypto';
import { once } from 'node:events';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, type Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CompressStream } from 'zstd-napi';
import { CoffreError } from '../core/errors.js';
import { ENTRY, formatSums, type ArchiveHeader } from '../core/manifest.js';
import type { SourceFile } from '../source/files.js';
import type { SnapshotResult } from '../source/snapshot.js';
import { publicKeyPem, sign, type Identity } from '../state/identity.js';
import { createAgeEncryptor } from './age.js';
import { TAR_END, tarFileHeader, tarPaddingSize } from './tar.js';

export interface ArchiveSnapshot {
  file: string;
  /** The name under database/ in the archive. */
  entryName: string;
  result: SnapshotResult;
}

export interface ArchiveInput {
  identity: Identity;
  settingsFile: string | null;
  files: SourceFile[];
  /** Pending while the worker copies the database. */
  snapshot: Promise<ArchiveSnapshot>;
  /** Builds the header once the snapshot's facts are known. */
  makeHeader(
    snapshot: ArchiveSnapshot,
    files: { count: number; bytes: number },
    settings: { entry: string; bytes: number } | null,
  ): ArchiveHeader;
  encryption: { recipients: string[]; passphrase: string | null };
  compressionLevel: number;
  outputs: Writable[];
  /** Estimated total of the bytes read from the sources, for progress. */
  estimatedBytes: number;
  onProgress?: (done: number, total: number) => void;
}

export interface ArchiveOutput {
  header: ArchiveHeader;
  size: number;
  sha256: string;
  warnings: string[];
}

const READ_CHUNK = 1 << 20;

export async function writeArchive(input: ArchiveInput): Promise<ArchiveOutput> {
  const sums: { name: string; sha256: string }[] = [];
  const warnings: string[] = [];
  let header: ArchiveHeader | undefined;
  let done = 0;
  let total = input.estimatedBytes;
  const progress = (n: number) => {
    done += n;
    if (done > total) total = done;
    input.onProgress?.(done, total);
  };

  function* bufferEntry(name: string, data: Buffer): Generator<Buffer> {
    sums.push({ name, sha256: crypto.createHash('sha256').update(data).digest('hex') });
    yield tarFileHeader(name, data.length, Math.floor(Date.now() / 1000));
    yield data;
    const pad = tarPaddingSize(data.length);
    if (pad > 0) yield Buffer.alloc(pad);
  }

  /** Streams a file as it was when listed: exactly `size` bytes. */
  async function* fileEntry(
    name: string,
    abs: string,
    size: number,
    mtimeMs: number,
  ): AsyncGenerator<Buffer> {
    const hash = crypto.createHash('sha256');
    yield tarFileHeader(name, size, Math.floor(mtimeMs / 1000));
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(abs, 'r');
    } catch (err) {
      throw new CoffreError(
        'SOURCE_UNAVAILABLE',
        `Cannot read ${abs}: ${(err as Error).message}.`,
        { cause: err },
      );
    }
    let remaining = size;
    try {
      while (remaining > 0) {
        const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, remaining));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, size - remaining);
        if (bytesRead === 0) {
          // The file shrank while we read it: keep the archive well formed.
          warnings.push(`${abs} changed while it was read; its archived copy may be incomplete.`);
          chunk.fill(0);
          hash.update(chunk);
          remaining -= chunk.length;
          progress(chunk.length);
          yield chunk;
          continue;
        }
        const part = chunk.subarray(0, bytesRead);
        hash.update(part);
        remaining -= bytesRead;
        progress(bytesRead);
        yield part;
      }
    } finally {
      await handle.close();
    }
    const pad = tarPaddingSize(size);
    if (pad > 0) yield Buffer.alloc(pad);
    sums.push({ name, sha256: hash.digest('hex') });
  }

  async function* tarStream(): AsyncGenerator<Buffer> {
    let settings: { entry: string; bytes: number } | null = null;
    if (input.settingsFile) {
      let data: Buffer;
      try {
        data = await fsp.readFile(input.settingsFile);
      } catch (err) {
        throw new CoffreError(
          'SOURCE_UNAVAILABLE',
          `Cannot read the settings file ${input.settingsFile}: ${(err as Error).message}.`,
          { cause: err },
        );
      }
      settings = {
        entry: ENTRY.settingsDir + path.basename(input.settingsFile),
        bytes: data.length,
      };
      progress(data.length);
      yield* bufferEntry(settings.entry, data);
    }
    let fileBytes = 0;
    for (const file of input.files) {
      fileBytes += file.size;
      yield* fileEntry(ENTRY.filesDir + file.rel, file.abs, file.size, file.mtimeMs);
    }
    const snapshot = await input.snapshot;
    const stat = await fsp.stat(snapshot.file);
    yield* fileEntry(
      ENTRY.databaseDir + snapshot.entryName,
      snapshot.file,
      stat.size,
      stat.mtimeMs,
    );
    header = input.makeHeader(snapshot, { count: input.files.length, bytes: fileBytes }, settings);
    yield* bufferEntry(ENTRY.header, Buffer.from(JSON.stringify(header, null, 2) + '\n'));
    yield* bufferEntry(ENTRY.publicKey, Buffer.from(publicKeyPem(input.identity.publicKey)));
    const sumsText = Buffer.from(formatSums(sums));
    yield* bufferEntry(ENTRY.sums, sumsText);
    // The signature covers SHA256SUMS, which covers every other entry.
    const signature = sign(input.identity, sumsText);
    yield tarFileHeader(ENTRY.signature, signature.length, Math.floor(Date.now() / 1000));
    yield signature;
    yield Buffer.alloc(tarPaddingSize(signature.length));
    yield TAR_END;
  }

  const compress = new CompressStream({
    compressionLevel: input.compressionLevel,
    // zstd's threads compress while this thread reads and hashes: one core
    // is left for this thread (measured: 2 workers on 2 cores were slower).
    nbWorkers: Math.max(1, os.availableParallelism() - 1),
  });
  const { recipients, passphrase } = input.encryption;
  const encrypt: Transform | null =
    recipients.length > 0 || passphrase
      ? await createAgeEncryptor(passphrase ? { passphrase } : { recipients })
      : null;

  const whole = crypto.createHash('sha256');
  let size = 0;
  const outputs = input.outputs;
  // An output can fail at any moment (full disk, unplugged stick): listen from
  // the start so the failure ends the pipeline instead of crashing the process.
  let fail: (err: Error) => void = () => undefined;
  const failure = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failure.catch(() => undefined);
  for (const out of outputs) out.on('error', (err: Error) => fail(err));
  const sink = async function (source: AsyncIterable<Buffer>): Promise<void> {
    for await (const chunk of source) {
      whole.update(chunk);
      size += chunk.length;
      const waits: Promise<unknown>[] = [];
      for (const out of outputs) {
        if (!out.write(chunk)) waits.push(once(out, 'drain'));
      }
      if (waits.length > 0) await Promise.race([Promise.all(waits), failure]);
    }
    await Promise.race([
      // 'finish', not end()'s callback: that one also waits for 'close', which a
      // destination that keeps its file open to fsync it does not emit yet.
      Promise.all(
        outputs.map((out) => new Promise<void>((resolve) => out.once('finish', resolve).end())),
      ),
      failure,
    ]);
  };
  const source = Readable.from(tarStream(), { objectMode: false, highWaterMark: 1 << 20 });
  if (encrypt) await pipeline(source, compress, encrypt, sink);
  else await pipeline(source, compress, sink);
  if (!header) throw new CoffreError('INTERNAL', 'The archive ended without a header.');
  return { header, size, sha256: whole.digest('hex'), warnings };
}
