// A progress bar on a terminal (stderr), nothing when output is not a TTY or
// when --json asks for machine output.

import type { Progress } from '../index.js';
import { formatBytes } from './output.js';

export function progressBar(enabled: boolean): { update(p: Progress): void; done(): void } {
  const stream = process.stderr;
  if (!enabled || !stream.isTTY) return { update: () => undefined, done: () => undefined };
  let last = 0;
  // Rate and time left are per phase: each phase moves at its own speed.
  let phase: Progress['phase'] | null = null;
  let started = Date.now();
  const labels: Record<Progress['phase'], string> = {
    snapshot: 'Snapshot',
    archive: 'Backing up',
    read: 'Reading',
    download: 'Download',
    check: 'Checking',
    safety: 'Safety',
    checks: 'Checking',
    apply: 'Applying',
  };
  return {
    update(p) {
      const now = Date.now();
      if (p.phase !== phase) {
        phase = p.phase;
        started = now;
      }
      if (now - last < 100 && p.done < p.total) return;
      last = now;
      const width = 30;
      const ratio = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
      const filled = Math.round(ratio * width);
      const elapsed = p.elapsed ?? (now - started) / 1000;
      const rate = p.done / Math.max(0.001, elapsed);
      // The library's estimate when it gives one (a restore does), else this one.
      const left =
        p.secondsLeft !== undefined
          ? p.secondsLeft
          : rate > 0 && p.done < p.total && elapsed >= 1
            ? (p.total - p.done) / rate
            : null;
      const amount =
        p.phase === 'checks'
          ? `integrity and references of the restored database, ${formatLeft(elapsed)}`
          : p.unit === 'rows'
            ? `${p.done} / ${p.total} rows  ${Math.round(rate)} rows/s`
            : `${formatBytes(p.done)} / ${formatBytes(p.total)}  ${formatBytes(rate)}/s`;
      stream.write(
        `\r${labels[p.phase].padEnd(10)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}%  ${amount}${left === null || left === 0 ? '' : `  ${formatLeft(left)} left`}   \x1b[K`,
      );
    },
    done() {
      stream.write('\r\x1b[K');
    },
  };
}

function formatLeft(seconds: number): string {
  const s = Math.ceil(seconds);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}
