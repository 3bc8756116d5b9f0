// Runs in a worker thread: the checks of a staged database (or its share of
// them), while the main thread takes the safety backup.

import { workerData } from 'node:worker_threads';
import { answer } from '../source/worker.js';
import { checkStagedHere } from './pages.js';

const { staged, key, writable, claim } = workerData as {
  staged: string;
  key: string | null;
  writable?: boolean;
  /** Shared with the other workers of the same check: the next part to claim. */
  claim?: Int32Array;
};
answer(() => checkStagedHere(staged, key, writable === true, claim));
