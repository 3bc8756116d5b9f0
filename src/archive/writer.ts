// Writes one archive as a stream: tar entries -> zstd -> (age) -> outputs.
//
// Entry order: the settings file, the app's files, then the database snapshot
// (which a worker thread takes while the files stream), then the header, the
// register's public key, SHA256SUMS and its signature. Memory stays flat: every
// stage is a stream with bounded buffers, and several outputs (destinations)
// are fed the same bytes with backpressure from the slowest. An output that
// fails (a full USB stick, a cloud that went away) is dropped and reported;
// the archive fails only when no output is left.

import crypto from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CoffreError } from '../core/errors.js';
import { warning, type Warning } from '../core/warnings.js';
import { ENTRY, formatSums, type ArchiveHeader } from '../core/manifest.js';
import type { SourceFile } from '../source/files.js';
import type { HeldSnapshot, SnapshotResult } from '../source/snapshot.js';
import { publicKeyPem, sign, type Identity } from '../state/identity.js';
import { createAgeEncryptor } from './age.js';
import { checkArchive, readArchive, type ArchiveContents } from './reader.js';
import { TAR_END, tarFileHeader, tarPaddingSize } from './tar.js';
import { ChunkedCompressor } from './zstd-parallel.js';

export interface ArchiveSnapshot {
  file: string;
  /** The name under database/ in the archive. */
  entryName: string;
  result: SnapshotResult;
  /**
   * The live file itself, held still by a read transaction (holdSnapshot):
   * `result.bytes` of it are archived as a rollback-journal database, and
   * `release` is called once they are read.
   */
  inPlace?: HeldSnapshot;
}

/** SQLite's header bytes 18 and 19: 2 for a WAL database, 1 for a rollback journal. */
const FILE_FORMAT_OFFSET = 18;

export interface ArchiveInput {
  identity: Identity;
  settingsFile: string | null;
  files: SourceFile[];
  /** Pending while the worker copies the database. */
  snapshot: Promise<ArchiveSnapshot>;
  /** Called when the database's entry is next: a snapshot held in place may start now. */
  beforeDatabase?: () => void;
  /** Builds the header once the snapshot's facts are known. */
  makeHeader(
    snapshot: ArchiveSnapshot,
    files: { count: number; bytes: number },
    settings: { entry: string; bytes: number } | null,
  ): ArchiveHeader;
  encryption: { recipients: string[]; passphrase: string | null };
  /** A zstd level, or 'store': raw zstd blocks, no compression (see storedFrame). */
  compressionLevel: number | 'store';
  outputs: Writable[];
  /** Estimated total of the bytes read from the sources, for progress. */
  estimatedBytes: number;
  onProgress?: (done: number, total: number) => void;
  /**
   * Read the archive back while it is written, before encryption: every frame
   * decoded (in worker threads), every entry hashed against SHA256SUMS and the
   * list's signature checked, as `verify` does with the key. For an archive
   * whose key the register does not hold (docs/VERIFY.md).
   */
  checkContent?: boolean;
}

/** What reading the plaintext stream back while it was written found. */
export interface ContentCheck {
  /** Entries read back, every one matching SHA256SUMS. */
  entries: number;
}

export interface ArchiveOutput {
  header: ArchiveHeader;
  size: number;
  sha256: string;
  warnings: Warning[];
  /** The outputs that failed on the way (by index in `outputs`); the others have the whole archive. */
  failedOutputs: Map<number, Error>;
  /** With `checkContent`: what the read-back proved (it throws when it fails). */
  contentCheck: ContentCheck | null;
}

export async function writeArchive(input: ArchiveInput): Promise<ArchiveOutput> {
  const sums: { name: string; sha256: string }[] = [];
  const warnings: Warning[] = [];
  let header: ArchiveHeader | undefined;
  let done = 0;
  let total = input.estimatedBytes;
  const progress = (n: number) => {
    done += n;
    if (done > total) total = done;
    input.onProgress?.(done, total);
  };
  const now = Math.floor(Date.now() / 1000);

  async function bufferEntry(out: ChunkedCompressor, name: string, data: Buffer): Promise<void> {
    sums.push({ name, sha256: crypto.createHash('sha256').update(data).digest('hex') });
    await out.write(tarFileHeader(name, data.length, now));
    await out.write(data);
    await out.write(Buffer.alloc(tarPaddingSize(data.length)));
  }

  /** Archives a file as it was when listed: exactly `size` bytes. */
  async function fileEntry(
    out: ChunkedCompressor,
    name: string,
    abs: string,
    size: number,
    mtimeMs: number,
    head?: Buffer,
  ): Promise<void> {
    let fd: number;
    try {
      fd = fs.openSync(abs, 'r');
    } catch (err) {
      throw new CoffreError(
        'SOURCE_UNAVAILABLE',
        `Cannot read ${abs}: ${(err as Error).message}.`,
        {
          cause: err,
        },
      );
    }
    const hash = crypto.createHash('sha256');
    try {
      await out.write(tarFileHeader(name, size, Math.floor(mtimeMs / 1000)));
      // `head` stands for the file's first bytes (a database header patched).
      if (head) {
        hash.update(head);
        await out.write(head);
        progress(head.length);
      }
      const skip = head?.length ?? 0;
      const read = skip + (await out.readFile(fd, size - skip, hash, progress, skip));
      if (read < size) {
        // The file shrank while it was read: keep the archive well formed.
        warnings.push(
          warning(
            'FILE_CHANGED',
            `${abs} changed while it was read; its archived copy may be incomplete.`,
            {
              file: abs,
            },
          ),
        );
        const zeros = Buffer.alloc(size - read);
        hash.update(zeros);
        await out.write(zeros);
      }
    } finally {
      fs.closeSync(fd);
    }
    await out.write(Buffer.alloc(tarPaddingSize(size)));
    sums.push({ name, sha256: hash.digest('hex') });
  }

  async function produce(out: ChunkedCompressor): Promise<void> {
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
      await bufferEntry(out, settings.entry, data);
    }
    let fileBytes = 0;
    for (const file of input.files) {
      fileBytes += file.size;
      await fileEntry(out, ENTRY.filesDir + file.rel, file.abs, file.size, file.mtimeMs);
    }
    input.beforeDatabase?.();
    const snapshot = await input.snapshot;
    const stat = await fsp.stat(snapshot.file);
    if (snapshot.inPlace) {
      try {
        // The archived database is a single file in rollback-journal mode,
        // as a copied snapshot is: no WAL can ever be replayed onto it.
        const head = Buffer.alloc(100);
        const fd = fs.openSync(snapshot.file, 'r');
        try {
          fs.readSync(fd, head, 0, head.length, 0);
        } finally {
          fs.closeSync(fd);
        }
        if (head[FILE_FORMAT_OFFSET] === 2) head[FILE_FORMAT_OFFSET] = 1;
        if (head[FILE_FORMAT_OFFSET + 1] === 2) head[FILE_FORMAT_OFFSET + 1] = 1;
        const size = snapshot.result.bytes;
        await fileEntry(
          out,
          ENTRY.databaseDir + snapshot.entryName,
          snapshot.file,
          size,
          stat.mtimeMs,
          head,
        );
        // Nothing may write the file while it is held; should another
        // program have done so anyway, the archive would hold a torn copy.
        const after = await fsp.stat(snapshot.file);
        if (
          after.size !== stat.size ||
          after.mtimeMs !== stat.mtimeMs ||
          after.ctimeMs !== stat.ctimeMs
        ) {
          throw new CoffreError(
            'SOURCE_UNAVAILABLE',
            `The database ${snapshot.file} was written to while the backup read it, although it was held still; nothing was saved. Run the backup again.`,
            { details: { file: snapshot.file, reason: 'changed' } },
          );
        }
      } finally {
        await snapshot.inPlace.release();
      }
    } else {
      await fileEntry(
        out,
        ENTRY.databaseDir + snapshot.entryName,
        snapshot.file,
        stat.size,
        stat.mtimeMs,
      );
    }
    header = input.makeHeader(snapshot, { count: input.files.length, bytes: fileBytes }, settings);
    await bufferEntry(out, ENTRY.header, Buffer.from(JSON.stringify(header, null, 2) + '\n'));
    await bufferEntry(out, ENTRY.publicKey, Buffer.from(publicKeyPem(input.identity.publicKey)));
    const sumsText = Buffer.from(formatSums(sums));
    await bufferEntry(out, ENTRY.sums, sumsText);
    // The signature covers SHA256SUMS, which covers every other entry.
    const signature = sign(input.identity, sumsText);
    await out.write(tarFileHeader(ENTRY.signature, signature.length, now));
    await out.write(signature);
    await out.write(Buffer.alloc(tarPaddingSize(signature.length)));
    await out.write(TAR_END);
  }

  const { recipients, passphrase } = input.encryption;
  const encrypt: Transform | null =
    recipients.length > 0 || passphrase
      ? await createAgeEncryptor(passphrase ? { passphrase } : { recipients })
      : null;

  const whole = crypto.createHash('sha256');
  let size = 0;
  const outputs = input.outputs;
  const failedOutputs = new Map<number, Error>();
  // An output can fail at any moment (full disk, unplugged stick): listen from
  // the start so the failure drops that output instead of crashing the process;
  // the pipeline fails when none is left.
  let fail: (err: Error) => void = () => undefined;
  const failure = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failure.catch(() => undefined);
  const dropped = outputs.map(
    (out, index) =>
      new Promise<void>((resolve) =>
        out.on('error', (err: Error) => {
          if (!failedOutputs.has(index)) failedOutputs.set(index, err);
          resolve();
          if (failedOutputs.size === outputs.length) fail(failedOutputs.get(0) ?? err);
        }),
      ),
  );
  const live = () =>
    outputs.map((out, index) => ({ out, index })).filter((o) => !failedOutputs.has(o.index));
  const sink = async function (source: AsyncIterable<Buffer>): Promise<void> {
    for await (const chunk of source) {
      whole.update(chunk);
      size += chunk.length;
      const waits: Promise<unknown>[] = [];
      for (const { out, index } of live()) {
        if (!out.write(chunk))
          waits.push(Promise.race([once(out, 'drain').catch(() => undefined), dropped[index]]));
      }
      if (waits.length > 0) await Promise.race([Promise.all(waits), failure]);
    }
    await Promise.race([
      // 'finish', not end()'s callback: that one also waits for 'close', which a
      // destination that keeps its file open to fsync it does not emit yet.
      Promise.all(
        live().map(
          ({ out, index }) =>
            new Promise<void>((resolve) => {
              out.once('finish', resolve).end();
              void dropped[index].then(resolve);
            }),
        ),
      ),
      failure,
    ]);
    if (failedOutputs.size === outputs.length) await failure;
  };

  const compressed = new PassThrough({ highWaterMark: 1 << 20 });
  const downstream = encrypt ? pipeline(compressed, encrypt, sink) : pipeline(compressed, sink);
  downstream.catch(() => undefined);
  // The read-back gets its own copy of each frame: its decoder hands frames
  // to workers by transfer, which must never take the bytes being written.
  const readBack = input.checkContent ? new PassThrough({ highWaterMark: 1 << 20 }) : null;
  const readingBack: Promise<ArchiveContents> | null = readBack
    ? readArchive(readBack, { fingerprint: false })
    : null;
  readingBack?.catch(() => undefined);
  const compressor = new ChunkedCompressor(
    // zstd works in worker threads; this thread reads, frames and hashes.
    { level: input.compressionLevel, threads: os.availableParallelism() },
    async (frame) => {
      const waits: Promise<unknown>[] = [];
      if (!compressed.write(frame)) waits.push(once(compressed, 'drain'));
      if (readBack && !readBack.write(Buffer.from(frame))) waits.push(once(readBack, 'drain'));
      if (waits.length > 0) {
        await Promise.race([
          Promise.all(waits),
          downstream,
          ...(readingBack ? [readingBack.then(() => undefined)] : []),
        ]);
      }
    },
  );
  try {
    await produce(compressor);
    await compressor.end();
    compressed.end();
    readBack?.end();
  } catch (err) {
    await compressor.close();
    compressed.destroy(err as Error);
    readBack?.destroy(err as Error);
    await downstream.catch(() => undefined);
    await readingBack?.catch(() => undefined);
    throw err;
  }
  await downstream;
  if (!header) throw new CoffreError('INTERNAL', 'The archive ended without a header.');
  const contentCheck = readingBack ? checkReadBack(await readingBack) : null;
  return { header, size, sha256: whole.digest('hex'), warnings, failedOutputs, contentCheck };
}

/** The read-back must find every entry, each matching the signed list. */
function checkReadBack(contents: ArchiveContents): ContentCheck {
  let problems: string[];
  try {
    problems = checkArchive(contents).problems;
  } catch (err) {
    problems = [(err as Error).message];
  }
  if (problems.length > 0) {
    throw new CoffreError(
      'CORRUPT_ARCHIVE',
      `The archive did not read back as it was written: ${problems.slice(0, 5).join('; ')}. Nothing was saved.`,
      { details: { problems } },
    );
  }
  return { entries: contents.entries.size };
}
