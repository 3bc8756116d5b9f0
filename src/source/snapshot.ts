// A consistent snapshot of a live SQLite database while the app keeps writing.
//
// A plain database is copied with the online backup API in one step: copied
// in small steps, a backup restarts each time another connection writes, and
// under a steady writer it never ends; in one step it reads one consistent
// state (WAL readers do not block writers). An encrypted (SQLCipher) database
// is copied with VACUUM INTO, which keeps its cipher and key, so the snapshot
// is as encrypted as the source; the backup API refuses that pair.

import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { CoffreError, type ErrorCode } from '../core/errors.js';
import type { ProfileReading } from '../core/profiles.js';
import { diskFullAt } from '../state/disk.js';
import { openDatabase, readFacts, type DatabaseFacts } from './sqlite.js';

export interface SnapshotRequest {
  source: string;
  target: string;
  key: string | null;
  /** How the profile reads the copy: tombstones, schema and app versions. */
  reading?: ProfileReading;
}

export interface SnapshotResult extends DatabaseFacts {
  encrypted: boolean;
}

export async function takeSnapshotHere(request: SnapshotRequest): Promise<SnapshotResult> {
  fs.rmSync(request.target, { force: true });
  const db = openDatabase(request.source, { key: request.key });
  try {
    if (request.key) {
      db.prepare('VACUUM INTO ?').run(request.target);
    } else {
      // The first step copies 100 pages; returning a huge step size makes
      // the rest (or a restart after a concurrent write) one step.
      await db.backup(request.target, { progress: () => 1 << 30 });
    }
  } catch (err) {
    fs.rmSync(request.target, { force: true });
    // The copy goes to the home's scratch folder: a full disk there is not the app's fault.
    if (diskFullAt(err, path.dirname(request.target))) {
      throw new CoffreError(
        'DISK_FULL',
        `There is no room for the database snapshot in ${path.dirname(request.target)}: the disk that holds the Coffre home is full.`,
        { cause: err, details: { place: 'home', path: path.dirname(request.target) } },
      );
    }
    throw new CoffreError(
      'SOURCE_UNAVAILABLE',
      `Could not snapshot ${request.source}: ${(err as Error).message}.`,
      {
        cause: err,
        details: {
          file: request.source,
          ...((err as { code?: string }).code?.startsWith('SQLITE_BUSY')
            ? { reason: 'locked' }
            : {}),
        },
      },
    );
  } finally {
    db.close();
  }
  const snap = openDatabase(request.target, { key: request.key });
  try {
    // The copy of a WAL database is a single file: no -wal to ship or replay.
    if (!request.key) snap.pragma('journal_mode = DELETE');
    const facts = readFacts(snap, request.reading);
    return { ...facts, bytes: fs.statSync(request.target).size, encrypted: request.key !== null };
  } finally {
    snap.close();
  }
}

/** Takes the snapshot in a worker thread. */
export function takeSnapshot(request: SnapshotRequest): Promise<SnapshotResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./snapshot-worker.js', import.meta.url), {
      workerData: request,
    });
    let settled = false;
    worker.once(
      'message',
      (
        msg:
          | { ok: true; result: SnapshotResult }
          | {
              ok: false;
              error: { message: string; code?: string; details?: Record<string, unknown> };
            },
      ) => {
        settled = true;
        if (msg.ok) resolve(msg.result);
        else {
          const code = (msg.error.code ?? 'INTERNAL') as ErrorCode;
          reject(new CoffreError(code, msg.error.message, { details: msg.error.details ?? {} }));
        }
        void worker.terminate();
      },
    );
    worker.once('error', (err) => {
      if (!settled) reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled)
        reject(new CoffreError('INTERNAL', `The snapshot worker stopped (exit ${code}).`));
    });
  });
}
