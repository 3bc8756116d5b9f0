// Runs in a worker thread: the checks of a staged database, while the main
// thread takes the safety backup.

import { parentPort, workerData } from 'node:worker_threads';
import { checkStagedHere } from './pages.js';

const { staged, key, writable } = workerData as {
  staged: string;
  key: string | null;
  writable?: boolean;
};
try {
  parentPort!.postMessage({ ok: true, result: checkStagedHere(staged, key, writable === true) });
} catch (err) {
  parentPort!.postMessage({
    ok: false,
    error: { message: (err as Error).message, code: (err as { code?: string }).code },
  });
}
