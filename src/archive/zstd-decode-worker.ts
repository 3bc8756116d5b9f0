// A decompression worker for decompressFrames: decodes whole zstd frames,
// off the main thread.

import { parentPort } from 'node:worker_threads';
import { Decompressor } from 'zstd-napi';

const decompressor = new Decompressor();

parentPort!.on('message', (msg: { seq: number; data: Uint8Array }) => {
  let out: Buffer;
  try {
    out = decompressor.decompress(msg.data);
  } catch (err) {
    parentPort!.postMessage({ seq: msg.seq, error: (err as Error).message });
    return;
  }
  const owned =
    out.byteOffset === 0 && out.buffer.byteLength === out.length ? out : Buffer.from(out);
  parentPort!.postMessage({ seq: msg.seq, data: owned }, [owned.buffer as ArrayBuffer]);
});
