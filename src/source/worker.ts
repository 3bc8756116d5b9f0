// One answer from a module run in a worker thread: the work that reads a
// whole database (a snapshot, the checks of a staged copy, a fiscal audit)
// runs there, so that the main thread goes on. The worker posts
// `{ ok: true, result }` or `{ ok: false, error }` once (`answer`); the
// caller gets a promise, and a CoffreError keeps its code and details.

import { parentPort, Worker } from 'node:worker_threads';
import { CoffreError, type ErrorCode } from '../core/errors.js';

type Message<T> =
  | { ok: true; result: T }
  | { ok: false; error: { message: string; code?: string; details?: Record<string, unknown> } };

/** A worker's answer under way. */
export interface WorkerCall<T> {
  readonly result: Promise<T>;
  /** Stops the worker; `result` then rejects. */
  stop(): Promise<void>;
}

/** Starts `module` (a worker that calls `answer`) with `data`; `what` names it in errors. */
export function callWorker<T>(module: URL, data: unknown, what: string): WorkerCall<T> {
  const worker = new Worker(module, { workerData: data });
  const result = new Promise<T>((resolve, reject) => {
    let settled = false;
    worker.once('message', (msg: Message<T>) => {
      settled = true;
      if (msg.ok) resolve(msg.result);
      else {
        const { code, message, details } = msg.error;
        reject(
          new CoffreError((code ?? 'INTERNAL') as ErrorCode, message, { details: details ?? {} }),
        );
      }
      void worker.terminate();
    });
    worker.once('error', (err) => {
      if (!settled) reject(err);
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new CoffreError('INTERNAL', `The ${what} stopped (exit ${code}).`));
    });
  });
  return {
    result,
    stop: async () => {
      await worker.terminate();
    },
  };
}

/** In a worker: posts what `work` returns (awaited), or the error it throws. */
export function answer(work: () => unknown): void {
  const post = (msg: Message<unknown>) => parentPort!.postMessage(msg);
  Promise.resolve()
    .then(work)
    .then(
      (result) => post({ ok: true, result }),
      (err: unknown) =>
        post({
          ok: false,
          error: {
            message: (err as Error).message,
            code: (err as { code?: string }).code,
            details: (err as { details?: Record<string, unknown> }).details,
          },
        }),
    );
}
