// Runs in a worker thread: the audit of the live database, which reads every
// fiscal record, so that the server and the scheduler go on meanwhile.

import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../source/sqlite.js';
import { auditDatabase, type AuditInput } from './read.js';
import type { FiscalRecipe } from '../core/fiscal/recipe.js';

const { file, key, recipe, input } = workerData as {
  file: string;
  key: string | null;
  recipe: FiscalRecipe;
  input: AuditInput;
};
try {
  const db = openDatabase(file, { key, readonly: true });
  try {
    parentPort!.postMessage({ ok: true, audit: auditDatabase(db, recipe, input) });
  } finally {
    db.close();
  }
} catch (err) {
  parentPort!.postMessage({
    ok: false,
    error: { message: (err as Error).message, code: (err as { code?: string }).code },
  });
}
