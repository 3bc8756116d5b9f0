// Decoding zstd frames in parallel: Coffre's chunked frames, a single frame
// from the zstd program (streamed on the main thread), skippable frames, and
// damaged streams, fed in awkward pieces.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { ChunkedCompressor, CHUNK } from '../../src/archive/zstd-parallel.js';
import { frameDecoder } from '../../src/archive/zstd-decode.js';

/** Compressible, not trivial: text-like rows with random parts. */
function sample(bytes: number): Buffer {
  const rows: string[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const row = `${i},receipt ${i},${crypto.randomBytes(6).toString('hex')},${(i * 37) % 1000}\n`;
    rows.push(row);
    n += row.length;
  }
  return Buffer.from(rows.join('')).subarray(0, bytes);
}

/** The stream in pieces of these sizes, in turn, each after a turn of the event loop. */
async function* pieces(data: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length];
    if (i % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
    yield data.subarray(at, at + n);
    at += n;
  }
}

async function decode(data: Buffer, sizes = [1000, 70_000, 3, 1 << 20]): Promise<Buffer> {
  const out: Buffer[] = [];
  const decoder = frameDecoder(2);
  try {
    for await (const b of decoder.decompress(pieces(data, sizes))) out.push(b);
  } finally {
    await decoder.close();
  }
  return Buffer.concat(out);
}

async function coffreFrames(data: Buffer, level: number | 'store' = 3): Promise<Buffer> {
  const frames: Buffer[] = [];
  const c = new ChunkedCompressor({ level, threads: 2 }, (f) => {
    frames.push(f);
    return Promise.resolve();
  });
  await c.write(data);
  await c.end();
  return Buffer.concat(frames);
}

describe('parallel zstd decoding', () => {
  const data = sample(3 * CHUNK + 12345);

  it("reads Coffre's frames in order, whatever the input pieces", async () => {
    const stream = await coffreFrames(data);
    assert.ok((await decode(stream)).equals(data));
    // Byte by byte: headers and block headers split across pieces.
    const small = data.subarray(0, 300_000);
    assert.ok((await decode(await coffreFrames(small), [1, 2, 5])).equals(small));
    assert.ok((await decode(stream, [stream.length])).equals(data));
  });

  it('reads stored frames and skips skippable frames', async () => {
    const stored = await coffreFrames(data, 'store');
    const skippable = Buffer.alloc(8 + 5);
    skippable.writeUInt32LE(0x184d2a53, 0);
    skippable.writeUInt32LE(5, 4);
    const stream = Buffer.concat([skippable, stored]);
    assert.ok((await decode(stream)).equals(data));
  });

  it('reads one frame of unknown size from the zstd program (as a stream)', async () => {
    const r = spawnSync('zstd', ['-3', '-c', '-q', '-'], { input: data, maxBuffer: 64 << 20 });
    assert.equal(r.status, 0);
    assert.ok(
      (await decode(Buffer.concat([await coffreFrames(data), r.stdout]))).equals(
        Buffer.concat([data, data]),
      ),
    );
  });

  it('fails on a truncated stream and on bytes that are not zstd', async () => {
    const stream = await coffreFrames(data);
    await assert.rejects(decode(stream.subarray(0, stream.length - 10)), /truncated/);
    await assert.rejects(decode(Buffer.from('this is not zstd at all')), /not a zstd frame/);
    const damaged = Buffer.from(stream);
    damaged[Math.floor(damaged.length / 2)] ^= 0xff;
    await assert.rejects(async () => {
      const out = await decode(damaged);
      if (!out.equals(data)) throw new Error('decoded to other bytes');
    });
  });
});
