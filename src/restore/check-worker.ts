// Runs in a worker thread: the checks of a staged database, while the main
// thread takes the safety backup.

import { workerData } from 'node:worker_threads';
import { answer } from '../source/worker.js';
import { checkStagedHere } from './pages.js';

const { staged, key, writable } = workerData as {
  staged: string;
  key: string | null;
  writable?: boolean;
};
answer(() => checkStagedHere(staged, key, writable === true));
