// A compression worker for ParallelCompressor: compresses whole chunks into
// independent zstd frames, off the main thread.

import { parentPort, workerData } from 'node:worker_threads';
import { Compressor } from 'zstd-napi';

const compressor = new Compressor();
compressor.setParameters({ compressionLevel: (workerData as { level: number }).level });

parentPort!.on('message', (msg: { seq: number; data: Uint8Array }) => {
  const out = compressor.compress(msg.data);
  // Hand the bytes over without a copy when the buffer owns its memory.
  const owned =
    out.byteOffset === 0 && out.buffer.byteLength === out.length ? out : Buffer.from(out);
  parentPort!.postMessage({ seq: msg.seq, data: owned }, [owned.buffer as ArrayBuffer]);
});
