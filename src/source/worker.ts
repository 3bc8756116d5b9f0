// One answer from a module run in a worker thread: the work that reads a
// whole database (a snapshot, the checks of a staged copy, a fiscal audit)
// runs there, so that the main thread goes on. The worker posts
// `{ ok: true, result }` or `{ ok: false, error }` once (`answer`); the
// caller gets a promise, and a CoffreError keeps its code and details.

import { parentPort, Worker } from 'node:worker_threads';
import { CoffreError, type ErrorCode } from '../core/errors.js';

/** What `answer` posts. */
export type WorkerAnswer<T> =
  | { ok: true; result: T }
  | { ok: false; error: { message: string; code?: string; details?: Record<string, unknown> } };

/** A worker's answer under way. */
export interface WorkerCall<T> {
  readonly result: Promise<T>;
  /** Stops the worker; `result` then rejects. */
  stop(): Promise<void>;
}

/** The error a worker's answer carries, as a CoffreError with its code and details. */
export function workerError(
  error: Extract<WorkerAnswer<unknown>, { ok: false }>['error'],
): CoffreError {
  const { code, message, details } = error;
  return new CoffreError((code ?? 'INTERNAL') as ErrorCode, message, { details: details ?? {} });
}

/** Starts `module` (a worker that calls `answer`) with `data`; `what` names it in errors. */
export function callWorker<T>(module: URL, data: unknown, what: string): WorkerCall<T> {
  const worker = new Worker(module, { workerData: data });
  const result = new Promise<T>((resolve, reject) => {
    let settled = false;
    worker.once('message', (msg: WorkerAnswer<T>) => {
      settled = true;
      if (msg.ok) resolve(msg.result);
      else reject(workerError(msg.error));
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
  const post = (msg: WorkerAnswer<unknown>) => parentPort!.postMessage(msg);
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
