// Runs in a worker thread so that the main thread keeps streaming files into
// the archive while the database snapshot is taken (or held still, to be read
// in place).

import { parentPort, workerData } from 'node:worker_threads';
import type { ProfileReading } from '../core/profiles.js';
import { integrityOf } from './sqlite.js';
import {
  holdSnapshotHere,
  takeSnapshotHere,
  type HoldOptions,
  type SnapshotRequest,
} from './snapshot.js';
import { answer } from './worker.js';

const request = workerData as
  SnapshotRequest | { source: string; reading?: ProfileReading; hold: HoldOptions };
const fail = (err: unknown) =>
  parentPort!.postMessage({
    ok: false,
    error: { message: (err as Error).message, code: (err as { code?: string }).code },
  });
if ('hold' in request) {
  // Holds a read transaction until the main thread has read the file; a
  // content check runs in it meanwhile (a release waits for its end).
  try {
    const held = holdSnapshotHere(request.source, request.reading, request.hold);
    parentPort!.postMessage({ ok: true, result: held?.result ?? null });
    parentPort!.once('message', () => {
      held?.release();
      // Nothing else keeps this thread alive: it ends.
      parentPort!.close();
    });
    if (held && request.hold.check) {
      parentPort!.postMessage({ ok: true, check: { integrity: integrityOf(held.db) } });
    }
  } catch (err) {
    fail(err);
  }
} else answer(() => takeSnapshotHere(request));
