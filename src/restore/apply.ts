// Chooses how the staged database replaces the live one, and starts what can
// run ahead of it. A full restore of a plain database copies pages (see
// pages.ts), in a worker thread (copy-worker.ts): in WAL mode the copy starts
// as soon as the safety backup has secured its snapshot (startEarly), and its
// commit waits for apply(). Its integrity check runs on the staged copy in
// another worker, started as soon as the archive is staged, so that it
// overlaps the wait for confirmation, the safety backup and the copy, whose
// commit waits for it. When the register checked these very bytes as it
// wrote the archive (a signed content check, and the staging proved every
// byte unchanged since), that check is the proof and none runs again.
// Everything else (a section restore, an encrypted database, a page size that
// a WAL database cannot take) copies rows in one transaction (database.ts),
// checked inside that transaction.

import fsp from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { CoffreError } from '../core/errors.js';
import type { Sidecar } from '../core/manifest.js';
import { recordedContentCheck } from '../core/sidecar.js';
import { syncTree } from '../state/files.js';
import { applyDatabase, type ApplyOptions } from './database.js';
import { openDatabase } from '../source/sqlite.js';
import { workerError } from '../source/worker.js';
import type { CopyMessage } from './copy-worker.js';
import { assertIntact, canCopyPages, checkStaged, type CopyOptions } from './pages.js';

export type IntegrityProof = 'staged' | 'at-write' | 'in-transaction';

export interface DatabaseApply {
  readonly method: 'pages' | 'rows';
  /** What the apply's progress counts: bytes of pages, or rows. */
  readonly unit: 'bytes' | 'rows';
  /**
   * How the database's integrity is proven: checked on the staged copy, by
   * the content check recorded when the archive was written, or inside the
   * row copy's transaction.
   */
  readonly integrity: IntegrityProof;
  /** Seconds the commit waited for the checks of the staged copy (0 when they ended first). */
  readonly waited: number;
  /**
   * Replaces the live database, or throws (RESTORE_CONFLICT on a failed
   * check) having changed nothing. `onProgress` gets bytes for a page copy,
   * rows for a row copy; `onWaiting` is called, about every 20 ms, while the
   * copy is done and its commit waits for the checks, then once with true
   * when they ended.
   */
  apply(
    onProgress?: (done: number, total: number) => void,
    onWaiting?: (ended: boolean) => void,
  ): Promise<void>;
  /**
   * Starts the page copy ahead of `apply`, where the live database allows it:
   * in WAL mode the copy writes to the WAL only, so the file stays as a
   * safety backup reading it in place sees it. Call once the safety backup
   * has secured its snapshot; the commit still waits for `apply`.
   */
  startEarly(): void;
  /** Stops the checks running ahead, and a copy started early (the restore will not apply). */
  cancel(): Promise<void>;
}

/**
 * Whether the register's signed content check, made as the archive was
 * written, proves the staged database intact: call only once the staging
 * matched the whole archive to this sidecar's fingerprint and every entry to
 * its SHA-256 (readChecked, checkArchive), and only for this register's own
 * archive (an adopted key is not yet trusted to vouch for anything).
 * BAD_SIGNATURE when the record was altered.
 */
export function checkedAtWrite(
  sidecar: Sidecar | null | undefined,
  archived: { id: string; publicKey: string },
  trusted: (register: { id: string; publicKey: string }) => boolean,
): boolean {
  if (!sidecar) return false;
  // The record vouches for nothing unless its signer is this register, and
  // the one whose header is inside the archive: with --adopt a sidecar
  // signed by any key is accepted, and could carry a forged record.
  const signer = sidecar.header.register;
  if (signer.id !== archived.id || signer.publicKey !== archived.publicKey) return false;
  return trusted(signer) && recordedContentCheck(sidecar) !== null;
}

/**
 * No live database (a lost disk): the staged one is checked, unless proven
 * intact at write, then copied to `fresh`, which the restore renames in.
 */
export async function copyFresh(
  staged: string,
  fresh: string,
  key: string | null,
  intactAtWrite: boolean,
): Promise<void> {
  // Nothing else runs meanwhile: the check is shared by the workers it may have.
  if (!intactAtWrite) assertIntact(await checkStaged(staged, key).result);
  await fsp.copyFile(staged, fresh);
  // Renamed in as the commit: its bytes must be on the disk first.
  await syncTree(fresh);
}

/** Call once the live database exists and the staged one is checked against the archive. */
export function prepareDatabaseApply(
  live: string,
  staged: string,
  options: ApplyOptions,
  copy: Omit<CopyOptions, 'onProgress' | 'gate' | 'onWaiting'> & {
    /**
     * integrity_check passed on these bytes when the archive was written
     * (this register's signed content check), so it need not run again.
     */
    intactAtWrite?: boolean;
  } = {},
): DatabaseApply {
  if (!options.full || !canCopyPages(live, staged, options.key)) {
    return {
      method: 'rows',
      unit: 'rows',
      integrity: 'in-transaction',
      waited: 0,
      startEarly: () => undefined,
      apply: (onProgress) => Promise.resolve(applyDatabase(live, staged, options, onProgress)),
      cancel: () => Promise.resolve(),
    };
  }
  const { intactAtWrite = false, ...copyOptions } = copy;
  // One worker: it overlaps the plan, the safety backup and the copy, and a
  // second one took the main thread's core from them (measured: no faster).
  const checks = intactAtWrite ? null : checkStaged(staged, options.key, false, 1);
  const intact = checks?.result.then(assertIntact);
  intact?.catch(() => undefined);
  const early = walMode(live);
  let running: RunningCopy | null = null;
  const start = () => (running ??= startCopy(live, staged, copyOptions));
  let waited = 0;
  return {
    method: 'pages',
    unit: 'bytes',
    integrity: intactAtWrite ? 'at-write' : 'staged',
    get waited() {
      return waited;
    },
    startEarly() {
      // Checked again: the app may have left WAL mode since the plan.
      if (!early || !walMode(live)) return;
      try {
        start();
      } catch {
        // The worker could not start: apply() starts it again, or says why.
        running = null;
      }
    },
    async apply(onProgress, onWaiting) {
      const copy = start();
      if (onProgress) copy.report(onProgress);
      if (intact) {
        let since: number | null = null;
        // The copy holds its last page until the checks answer: that is a wait.
        const ticker = setInterval(() => {
          if (!copy.ready) return;
          since ??= performance.now();
          copy.guard(() => onWaiting?.(false));
        }, 100);
        try {
          await Promise.race([intact, copy.result]);
        } catch (err) {
          await copy.abort();
          throw err;
        } finally {
          clearInterval(ticker);
        }
        if (since !== null) {
          waited = (performance.now() - since) / 1000;
          onWaiting?.(true);
        }
      }
      copy.commit();
      await copy.result;
    },
    cancel: async () => {
      await running?.abort();
      await checks?.stop();
    },
  };
}

function walMode(live: string): boolean {
  try {
    const db = openDatabase(live, { readonly: true });
    try {
      return db.pragma('journal_mode', { simple: true }) === 'wal';
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}

/** A page copy under way in a worker thread (copy-worker.ts). */
interface RunningCopy {
  /** Settles once the copy committed, or failed (rolled back). */
  readonly result: Promise<void>;
  /** Every page but the last is copied: the commit waits for `commit()`. */
  readonly ready: boolean;
  /** Progress from now on (and the last one reported, at once). */
  report(onProgress: (done: number, total: number) => void): void;
  commit(): void;
  /** Rolls the copy back, having changed nothing, and waits for it. */
  abort(): Promise<void>;
  /** Runs a caller's callback; if it throws, the copy is rolled back and fails with that error. */
  guard(callback: () => void): void;
}

function startCopy(
  live: string,
  staged: string,
  options: Pick<CopyOptions, 'busyMs' | 'stepPages'>,
): RunningCopy {
  const worker = new Worker(new URL('./copy-worker.js', import.meta.url), {
    workerData: { live, staged, ...options },
  });
  let last: [number, number] | null = null;
  let listener: ((done: number, total: number) => void) | null = null;
  let ready = false;
  // A caller's callback that threw: the copy is abandoned, with its error.
  let thrown: Error | null = null;
  let committing = false;
  const guard = (callback: () => void) => {
    try {
      callback();
    } catch (err) {
      thrown ??= err instanceof Error ? err : new Error(String(err));
      worker.postMessage('abort');
    }
  };
  const result = new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (err: Error | null) => {
      if (settled) return;
      settled = true;
      // Committed is committed: a callback that threw once the commit was
      // asked for cannot undo it, so only the copy's own answer counts then.
      if (err) reject(thrown ?? err);
      else if (thrown && !committing) reject(thrown);
      else resolve();
      void worker.terminate();
    };
    worker.on('message', (msg: CopyMessage) => {
      if ('progress' in msg) {
        last = msg.progress;
        guard(() => listener?.(...msg.progress));
      } else if ('ready' in msg) ready = true;
      else settle(msg.ok ? null : workerError(msg.error));
    });
    worker.once('error', settle);
    worker.once('exit', (code) =>
      settle(new CoffreError('INTERNAL', `The page copy stopped (exit ${code}).`)),
    );
  });
  result.catch(() => undefined);
  return {
    result,
    get ready() {
      return ready;
    },
    report(onProgress) {
      listener = onProgress;
      if (last) guard(() => onProgress(...last!));
    },
    guard,
    commit: () => {
      committing = true;
      worker.postMessage('commit');
    },
    abort: async () => {
      worker.postMessage('abort');
      await result.catch(() => undefined);
    },
  };
}

export interface PhaseTime {
  phase: string;
  seconds: number;
}

/** Times the steps of a restore, for its result (and the bench). */
export function phaseTimer(): {
  phases: PhaseTime[];
  /** Ends a step; `waited` (seconds) of it are reported as a 'checks' step after it. */
  mark(phase: string, waited?: number): void;
} {
  let last = performance.now();
  const phases: PhaseTime[] = [];
  return {
    phases,
    mark(phase, waited = 0) {
      const now = performance.now();
      const seconds = (now - last) / 1000;
      phases.push({ phase, seconds: seconds - waited });
      if (waited > 0) phases.push({ phase: 'checks', seconds: waited });
      last = now;
    },
  };
}
