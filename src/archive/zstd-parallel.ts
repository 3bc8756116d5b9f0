// zstd compression in worker threads, fed without copies.
//
// The archive is cut into 4 MiB chunks, each compressed as an independent zstd
// frame in a worker and emitted in order; a sequence of frames is a valid zstd
// stream that `zstd -d` and every decoder read. Files are read straight into
// the chunk that goes to the worker, so the main thread only reads, frames
// the tar entries and hashes. (zstd's own nbWorkers mode was measured here to
// keep the calling thread blocked in the compressor, so nothing overlapped.)

import { Worker } from 'node:worker_threads';
import fs from 'node:fs';
import type { Hash } from 'node:crypto';

/** Large enough for a good ratio at level 3 (2 MiB window), small enough for flat memory. */
export const CHUNK = 4 << 20;

/** zstd's largest block. */
const MAX_BLOCK = 128 << 10;

/**
 * A zstd frame that stores `data` as it is, in raw blocks: what `zstd -d`
 * reads like any frame, made at the cost of a copy. For the safety backup of
 * a restore, which the shop waits on and which only has to last until the
 * restore is known to be good.
 */
export function storedFrame(data: Buffer): Buffer {
  const blocks = Math.max(1, Math.ceil(data.length / MAX_BLOCK));
  const out = Buffer.allocUnsafe(4 + 1 + 4 + blocks * 3 + data.length);
  out.writeUInt32LE(0xfd2fb528, 0);
  // Frame header: a 4-byte content size, single segment (the window is the
  // content), no checksum, no dictionary.
  out[4] = 0xa0;
  out.writeUInt32LE(data.length, 5);
  let at = 9;
  for (let i = 0; i < blocks; i++) {
    const start = i * MAX_BLOCK;
    const size = Math.min(MAX_BLOCK, data.length - start);
    const last = i === blocks - 1 ? 1 : 0;
    // Block header: last-block bit, type 0 (raw), size.
    out.writeUIntLE((size << 3) | last, at, 3);
    data.copy(out, at + 3, start, start + size);
    at += 3 + size;
  }
  return out;
}

export class ChunkedCompressor {
  private readonly workers: Worker[];
  private readonly pending = new Map<
    number,
    { resolve: (b: Buffer) => void; reject: (e: Error) => void }
  >();
  private readonly inFlight: Promise<Buffer>[] = [];
  private chunk = Buffer.allocUnsafeSlow(CHUNK);
  private filled = 0;
  private seq = 0;
  private failure: Error | undefined;

  /**
   * @param options level 'store' writes raw blocks on this thread (no workers).
   * @param emit receives compressed frames in order; its promise is the backpressure.
   */
  constructor(
    options: { level: number | 'store'; threads: number },
    private readonly emit: (frame: Buffer) => Promise<void>,
  ) {
    const level = options.level;
    const threads = level === 'store' ? 0 : Math.max(1, options.threads);
    this.workers = Array.from({ length: threads }, () => {
      const worker = new Worker(new URL('./zstd-worker.js', import.meta.url), {
        workerData: { level },
      });
      worker.on('message', (msg: { seq: number; data: Uint8Array }) => {
        const p = this.pending.get(msg.seq);
        this.pending.delete(msg.seq);
        p?.resolve(Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength));
      });
      worker.on('error', (err) => this.fail(err));
      // A worker that stops without an error would leave its chunks pending forever.
      worker.on('exit', () => this.fail(new Error('A compression worker stopped.')));
      return worker;
    });
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private async dispatch(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.filled === 0) return;
    const data = this.filled === CHUNK ? this.chunk : this.chunk.subarray(0, this.filled);
    if (this.workers.length === 0) {
      // Stored: the frame is made here, and the chunk can be reused.
      this.inFlight.push(Promise.resolve(storedFrame(data)));
      this.filled = 0;
      await this.settle(0);
      return;
    }
    const seq = this.seq++;
    const result = new Promise<Buffer>((resolve, reject) =>
      this.pending.set(seq, { resolve, reject }),
    );
    result.catch(() => undefined);
    this.inFlight.push(result);
    this.workers[seq % this.workers.length].postMessage({ seq, data }, [data.buffer]);
    this.chunk = Buffer.allocUnsafeSlow(CHUNK);
    this.filled = 0;
    // One chunk in each worker and one more: enough to keep them busy (one
    // waiting per worker peaked 25-30 MiB higher, no faster).
    await this.settle(this.workers.length + 1);
  }

  private async settle(maxInFlight: number): Promise<void> {
    while (this.inFlight.length > maxInFlight) {
      await this.emit(await this.inFlight.shift()!);
    }
  }

  /** Appends bytes (tar headers, padding, small entries). */
  async write(data: Buffer): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      const n = Math.min(CHUNK - this.filled, data.length - offset);
      data.copy(this.chunk, this.filled, offset, offset + n);
      this.filled += n;
      offset += n;
      if (this.filled === CHUNK) await this.dispatch();
    }
  }

  /**
   * Reads `length` bytes of an open file from `position` straight into the
   * chunks, hashing them on the way. Returns how many bytes the file really
   * had (less than asked when it shrank while being read).
   *
   * Reads are synchronous on purpose: for the thousands of small, cached
   * files of a files folder, a thread-pool round trip per read cost more than
   * the read itself (measured: 3.4 s against 1.9 s for 2,000 images), and
   * the compression workers keep running meanwhile.
   */
  async readFile(
    fd: number,
    length: number,
    hash: Hash,
    onBytes: (n: number) => void,
    position = 0,
  ): Promise<number> {
    let done = 0;
    while (done < length) {
      const want = Math.min(CHUNK - this.filled, length - done);
      const bytesRead = fs.readSync(fd, this.chunk, this.filled, want, position + done);
      if (bytesRead === 0) return done;
      hash.update(this.chunk.subarray(this.filled, this.filled + bytesRead));
      this.filled += bytesRead;
      done += bytesRead;
      onBytes(bytesRead);
      if (this.filled === CHUNK) await this.dispatch();
    }
    return done;
  }

  /** Compresses what is left and emits every remaining frame. */
  async end(): Promise<void> {
    try {
      await this.dispatch();
      await this.settle(0);
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    this.fail(new Error('compression stopped'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
