// Runs in a worker thread: the audit of the live database, which reads every
// fiscal record, so that the server and the scheduler go on meanwhile.

import { workerData } from 'node:worker_threads';
import type { FiscalRecipe } from '../core/fiscal/recipe.js';
import { openDatabase } from '../source/sqlite.js';
import { answer } from '../source/worker.js';
import { auditDatabase, type AuditInput } from './read.js';

const { file, key, recipe, input } = workerData as {
  file: string;
  key: string | null;
  recipe: FiscalRecipe;
  input: AuditInput;
};
answer(() => {
  const db = openDatabase(file, { key, readonly: true });
  try {
    return auditDatabase(db, recipe, input);
  } finally {
    db.close();
  }
});
