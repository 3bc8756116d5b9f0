// Runs in a worker thread so that the main thread keeps streaming files into
// the archive while the database snapshot is taken. (A database held still
// to be read in place is held by a process of its own: hold-process.ts.)

import { workerData } from 'node:worker_threads';
import { takeSnapshotHere, type SnapshotRequest } from './snapshot.js';
import { answer } from './worker.js';

answer(() => takeSnapshotHere(workerData as SnapshotRequest));
