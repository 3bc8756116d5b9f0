// The live fiscal audit in a worker thread: it reads and hashes every record
// (3 s for 100,000 receipts), which on the main thread held every request
// and the scheduler meanwhile.

import { Worker } from 'node:worker_threads';
import { CoffreError, type ErrorCode } from '../core/errors.js';
import type { FiscalRecipe } from '../core/fiscal/recipe.js';
import type { AuditInput } from './read.js';
import type { FiscalAudit } from '../core/fiscal/audit.js';

export function auditInWorker(
  source: { file: string; key: string | null },
  recipe: FiscalRecipe,
  input: AuditInput,
): Promise<FiscalAudit> {
  const worker = new Worker(new URL('./audit-worker.js', import.meta.url), {
    workerData: { ...source, recipe, input },
  });
  return new Promise<FiscalAudit>((resolve, reject) => {
    let settled = false;
    worker.once(
      'message',
      (
        msg:
          | { ok: true; audit: FiscalAudit }
          | { ok: false; error: { message: string; code?: string } },
      ) => {
        settled = true;
        if (msg.ok) resolve(msg.audit);
        else
          reject(new CoffreError((msg.error.code ?? 'INTERNAL') as ErrorCode, msg.error.message));
        void worker.terminate();
      },
    );
    worker.once('error', (err) => {
      if (!settled) reject(err);
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new CoffreError('INTERNAL', `The fiscal audit stopped (exit ${code}).`));
    });
  });
}
