// zstd decompression of independent frames in worker threads, in order.
//
// Coffre's archives are a sequence of zstd frames of at most 4 MiB of data
// each (zstd-parallel.ts). Where a frame ends is known from its block headers
// without decoding it, so the frames are cut out of the stream here and
// decoded by one worker per core while this thread hashes, parses the tar
// stream and writes. A frame that does not say how big it is, or is bigger
// than a Coffre frame (an archive recompressed with the zstd program as one
// frame), sends the rest of the stream through a streaming decoder on this
// thread instead: memory stays bounded either way.

import os from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Worker } from 'node:worker_threads';

const ZSTD_MAGIC = 0xfd2fb528;
/** Skippable frames: 0x184D2A50 to 0x184D2A5F. */
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** Frames bigger than this (data or compressed) go to the streaming decoder. */
const FRAME_LIMIT = 16 << 20;

/** Unread input as a list of buffers, addressed by absolute stream offset. */
class Input {
  private readonly list: Buffer[] = [];
  /** Absolute offset of list[0][0]. */
  start = 0;
  /** Absolute offset just past the last byte received. */
  end = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.list.push(chunk);
    this.end += chunk.length;
  }

  has(offset: number, n: number): boolean {
    return offset + n <= this.end;
  }

  byte(offset: number): number {
    let at = offset - this.start;
    for (const b of this.list) {
      if (at < b.length) return b[at];
      at -= b.length;
    }
    throw new RangeError('read past the input');
  }

  uint32(offset: number): number {
    return (
      (this.byte(offset) |
        (this.byte(offset + 1) << 8) |
        (this.byte(offset + 2) << 16) |
        (this.byte(offset + 3) << 24)) >>>
      0
    );
  }

  uintLE(offset: number, n: number): number {
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + this.byte(offset + i);
    return v;
  }

  /** Removes and returns the bytes up to `offset`, as the parts they are held in. */
  take(offset: number): Buffer[] {
    const parts: Buffer[] = [];
    let need = offset - this.start;
    while (need > 0) {
      const b = this.list[0];
      if (b.length <= need) {
        parts.push(b);
        this.list.shift();
        need -= b.length;
      } else {
        parts.push(b.subarray(0, need));
        this.list[0] = b.subarray(need);
        need = 0;
      }
    }
    this.start = offset;
    return parts;
  }

  /** Everything left, in order. */
  rest(): Buffer[] {
    const out = this.list.splice(0);
    this.start = this.end;
    return out;
  }
}

interface Cursor {
  /** The next block header to read. */
  next: number;
  checksum: boolean;
  /** Where the frame ends, once its last block header was read. */
  end: number | null;
}

type Scan = { kind: 'frame' | 'skip'; end: number } | { kind: 'stream' } | null;

/**
 * Where the frame starting at `start` ends, if the input holds its headers:
 * null when more input is needed; 'stream' for a frame to decode as a stream.
 * Keeps its place in `cursor` between calls (block headers already walked).
 */
function scan(input: Input, start: number, cursor: Cursor): Scan {
  if (cursor.end !== null) return { kind: 'frame', end: cursor.end };
  if (cursor.next === start) {
    if (!input.has(start, 5)) return null;
    const magic = input.uint32(start);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (!input.has(start, 8)) return null;
      return { kind: 'skip', end: start + 8 + input.uint32(start + 4) };
    }
    if (magic !== ZSTD_MAGIC) throw new Error('not a zstd frame');
    const fhd = input.byte(start + 4);
    const fcsFlag = fhd >> 6;
    const single = (fhd >> 5) & 1;
    const dictSize = [0, 1, 2, 4][fhd & 3];
    const fcsSize = [single ? 1 : 0, 2, 4, 8][fcsFlag];
    const headerSize = 5 + (single ? 0 : 1) + dictSize + fcsSize;
    if (fcsSize === 0) return { kind: 'stream' };
    if (!input.has(start, headerSize)) return null;
    const fcsAt = start + headerSize - fcsSize;
    const contentSize = input.uintLE(fcsAt, Math.min(fcsSize, 6)) + (fcsSize === 2 ? 256 : 0);
    if (fcsSize === 8 && input.uintLE(fcsAt + 6, 2) !== 0) return { kind: 'stream' };
    if (contentSize > FRAME_LIMIT) return { kind: 'stream' };
    cursor.checksum = ((fhd >> 2) & 1) === 1;
    cursor.next = start + headerSize;
  }
  for (;;) {
    if (cursor.next - start > FRAME_LIMIT) return { kind: 'stream' };
    if (!input.has(cursor.next, 3)) return null;
    const header = input.uintLE(cursor.next, 3);
    const last = header & 1;
    const type = (header >> 1) & 3;
    const size = header >> 3;
    if (type === 3) throw new Error('a zstd block of a reserved type');
    cursor.next += 3 + (type === 1 ? 1 : size);
    if (last) {
      cursor.end = cursor.next + (cursor.checksum ? 4 : 0);
      return { kind: 'frame', end: cursor.end };
    }
  }
}

interface Pending {
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
}

/** A pool of decoding workers; results come back by sequence number. */
class Pool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private failure: Error | null = null;

  constructor(threads: number) {
    this.workers = Array.from({ length: threads }, () => {
      const worker = new Worker(new URL('./zstd-decode-worker.js', import.meta.url));
      worker.on('message', (msg: { seq: number; data?: Uint8Array; error?: string }) => {
        const p = this.pending.get(msg.seq);
        this.pending.delete(msg.seq);
        if (msg.error !== undefined) p?.reject(new Error(msg.error));
        else p?.resolve(Buffer.from(msg.data!.buffer, msg.data!.byteOffset, msg.data!.byteLength));
      });
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', () => this.fail(new Error('A decompression worker stopped.')));
      return worker;
    });
  }

  get size(): number {
    return this.workers.length;
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /**
   * Decodes one frame, given as the parts of the input that hold it: the
   * worker joins them, so this thread copies nothing but the edges.
   */
  decode(parts: Buffer[]): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    const seq = this.seq++;
    const result = new Promise<Buffer>((resolve, reject) =>
      this.pending.set(seq, { resolve, reject }),
    );
    result.catch(() => undefined);
    // A part that owns its whole memory (a read chunk this frame used up,
    // never a slice of Node's shared pool nor one shared with the next frame)
    // is handed over without a copy; the others are copied by postMessage.
    const transfer = parts
      .filter((b) => b.byteOffset === 0 && b.buffer.byteLength === b.length)
      .map((b) => b.buffer as ArrayBuffer);
    this.workers[seq % this.workers.length].postMessage({ seq, parts }, transfer);
    return result;
  }

  async close(): Promise<void> {
    this.fail(new Error('decompression stopped'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

export interface FrameDecoder {
  /** A stream transform for `pipeline`: compressed bytes in, decompressed buffers out, in order. */
  decompress(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer>;
  /** Stops the workers (when the pipeline failed, the transform may never hear of it). */
  close(): Promise<void>;
}

/** Decompresses a zstd stream, frames in parallel. Close it once the pipeline is over. */
export function frameDecoder(threads = os.availableParallelism()): FrameDecoder {
  const pool = new Pool(Math.max(1, threads));
  return {
    decompress: (source) => decompressFrames(source, pool),
    close: () => pool.close(),
  };
}

async function* decompressFrames(
  source: AsyncIterable<Buffer>,
  pool: Pool,
): AsyncGenerator<Buffer> {
  const input = new Input();
  const inFlight: Promise<Buffer>[] = [];
  const iterator = source[Symbol.asyncIterator]();
  let start = 0;
  const cursor: Cursor = { next: 0, checksum: false, end: null };
  let ended = false;
  try {
    for (;;) {
      const found = scan(input, start, cursor);
      if (found === null) {
        if (ended) {
          if (input.end > start) throw new Error('the zstd stream is truncated');
          break;
        }
        const next = await iterator.next();
        if (next.done) ended = true;
        else input.push(next.value);
        continue;
      }
      if (found.kind === 'stream') {
        // Everything already cut out comes first, then the rest as a stream.
        for (const p of inFlight.splice(0)) yield await p;
        const rest = input.rest();
        const tail = async function* () {
          yield* rest;
          if (ended) return;
          for (;;) {
            const next = await iterator.next();
            if (next.done) return;
            yield next.value;
          }
        };
        // Loaded only here: the main thread needs no zstd otherwise.
        const { DecompressStream } = await import('zstd-napi');
        const decoder = new DecompressStream();
        pipeline(Readable.from(tail()), decoder).catch((err: unknown) =>
          decoder.destroy(err as Error),
        );
        for await (const chunk of decoder) yield chunk as Buffer;
        return;
      }
      if (!input.has(found.end, 0)) {
        if (ended) throw new Error('the zstd stream is truncated');
        const next = await iterator.next();
        if (next.done) ended = true;
        else input.push(next.value);
        continue;
      }
      const parts = input.take(found.end);
      start = found.end;
      cursor.next = start;
      cursor.end = null;
      if (found.kind === 'skip') continue;
      inFlight.push(pool.decode(parts));
      // One frame in each worker and one waiting: enough to keep them busy.
      while (inFlight.length > pool.size * 2) yield await inFlight.shift()!;
    }
    for (const p of inFlight.splice(0)) yield await p;
  } finally {
    await pool.close();
  }
}
