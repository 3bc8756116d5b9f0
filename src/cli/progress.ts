// A progress bar on a terminal (stderr), nothing when output is not a TTY or
// when --json asks for machine output.

import type { Progress } from '../index.js';
import { formatBytes } from './output.js';

export function progressBar(enabled: boolean): { update(p: Progress): void; done(): void } {
  const stream = process.stderr;
  if (!enabled || !stream.isTTY) return { update: () => undefined, done: () => undefined };
  let last = 0;
  const started = Date.now();
  const labels: Record<Progress['phase'], string> = {
    snapshot: 'Snapshot',
    archive: 'Backing up',
    read: 'Reading',
    download: 'Download',
    check: 'Checking',
  };
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 100 && p.done < p.total) return;
      last = now;
      const width = 30;
      const ratio = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
      const filled = Math.round(ratio * width);
      const rate = p.done / Math.max(0.001, (now - started) / 1000);
      stream.write(
        `\r${labels[p.phase].padEnd(10)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}%  ${formatBytes(p.done)} / ${formatBytes(p.total)}  ${formatBytes(rate)}/s   `,
      );
    },
    done() {
      stream.write('\r\x1b[K');
    },
  };
}
