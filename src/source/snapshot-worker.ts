// Runs in a worker thread so that the main thread keeps streaming files into
// the archive while the database snapshot is taken.

import { parentPort, workerData } from 'node:worker_threads';
import { takeSnapshotHere, type SnapshotRequest } from './snapshot.js';

const request = workerData as SnapshotRequest;
takeSnapshotHere(request).then(
  (result) => parentPort!.postMessage({ ok: true, result }),
  (err: unknown) =>
    parentPort!.postMessage({
      ok: false,
      error: {
        message: (err as Error).message,
        code: (err as { code?: string }).code,
        details: (err as { details?: unknown }).details,
      },
    }),
);
