// Runs in a worker thread: the page copy of a full restore (copyPages), so
// that it can run while the main thread takes the safety backup. The parent
// opens the gate with 'commit' or closes it with 'abort'; the worker posts
// its progress (at most every 100 ms), 'ready' once every page but the last
// is copied and the commit waits for the gate, then its answer.

import { parentPort, workerData } from 'node:worker_threads';
import { answer, type WorkerAnswer } from '../source/worker.js';
import { copyPages, type CopyOptions } from './pages.js';

export type CopyMessage =
  { progress: [done: number, total: number] } | { ready: true } | WorkerAnswer<unknown>;

const { live, staged, busyMs, stepPages } = workerData as {
  live: string;
  staged: string;
} & Pick<CopyOptions, 'busyMs' | 'stepPages'>;

const gate = new Promise<void>((resolve, reject) => {
  parentPort!.on('message', (msg: 'commit' | 'abort') => {
    if (msg === 'commit') resolve();
    else reject(new Error('The copy was abandoned: the restore stopped before its commit.'));
  });
});
gate.catch(() => undefined);

const post = (msg: CopyMessage) => parentPort!.postMessage(msg);
let lastPost = 0;
let ready = false;
answer(() =>
  copyPages(live, staged, {
    ...(busyMs === undefined ? {} : { busyMs }),
    ...(stepPages === undefined ? {} : { stepPages }),
    gate,
    onProgress: (done, total) => {
      const now = performance.now();
      if (done === total || now - lastPost >= 100) {
        lastPost = now;
        post({ progress: [done, total] });
      }
    },
    onWaiting: () => {
      if (!ready) post({ ready: (ready = true) });
    },
  }),
);
