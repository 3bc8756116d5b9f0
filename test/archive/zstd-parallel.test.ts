// Stored zstd frames (the safety backup's "compression") read back with the
// real zstd program and with the library, byte for byte.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { decompress } from 'zstd-napi';
import { ChunkedCompressor, CHUNK, storedFrame } from '../../src/archive/zstd-parallel.js';

const zstdDecode = (data: Buffer): Buffer => {
  const r = spawnSync('zstd', ['-d', '-c', '-q'], { input: data, maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout;
};

describe('stored zstd frames', () => {
  for (const size of [0, 1, 128 << 10, (128 << 10) + 1, 1_000_003, CHUNK]) {
    it(`${size} bytes read back by zstd -d and by the library`, () => {
      const data = crypto.randomBytes(size);
      const frame = storedFrame(data);
      assert.ok(frame.length <= size + 9 + 3 * Math.max(1, Math.ceil(size / (128 << 10))));
      assert.ok(zstdDecode(frame).equals(data));
      assert.ok(decompress(frame).equals(data));
    });
  }

  it("a compressor at level 'store' writes a stream zstd -d reads", async () => {
    const frames: Buffer[] = [];
    const compressor = new ChunkedCompressor({ level: 'store', threads: 2 }, (frame) => {
      frames.push(frame);
      return Promise.resolve();
    });
    const parts = [crypto.randomBytes(100), crypto.randomBytes(CHUNK + 5), crypto.randomBytes(7)];
    for (const p of parts) await compressor.write(p);
    await compressor.end();
    assert.equal(frames.length, 2);
    assert.ok(zstdDecode(Buffer.concat(frames)).equals(Buffer.concat(parts)));
  });
});
