// A decompression worker for decompressFrames: decodes whole zstd frames,
// off the main thread.

import { parentPort } from 'node:worker_threads';
import { Decompressor } from 'zstd-napi';

const decompressor = new Decompressor();

parentPort!.on('message', (msg: { seq: number; parts: Uint8Array[] }) => {
  let out: Buffer;
  try {
    // The frame comes in the parts the main thread read it in: joined here, off its thread.
    const frame = msg.parts.length === 1 ? msg.parts[0] : Buffer.concat(msg.parts);
    out = decompressor.decompress(frame);
  } catch (err) {
    parentPort!.postMessage({ seq: msg.seq, error: (err as Error).message });
    return;
  }
  const owned =
    out.byteOffset === 0 && out.buffer.byteLength === out.length ? out : Buffer.from(out);
  parentPort!.postMessage({ seq: msg.seq, data: owned }, [owned.buffer as ArrayBuffer]);
});
