// Progress of a job: which phase, how far in bytes or rows, and the time left
// of that phase, estimated from its own rate so far (each phase moves at its
// own speed: reading an archive, writing a safety backup, copying pages).

export interface Progress {
  phase: 'snapshot' | 'archive' | 'read' | 'download' | 'check' | 'safety' | 'checks' | 'apply';
  /**
   * How far: bytes, or rows for a restore that copies rows. In the `checks`
   * phase (the commit waiting for the integrity checks of the staged
   * database, which tell nothing of their progress) done stays 0 until they end.
   */
  done: number;
  total: number;
  /** What done and total count (bytes when absent). */
  unit?: 'bytes' | 'rows';
  /** Seconds the phase has run. */
  elapsed?: number;
  /** Seconds left in this phase; null while unknown. */
  secondsLeft?: number | null;
}

/**
 * The time left of a phase at its rate so far: null until a second has
 * passed and something was done (a rate from less is noise), 0 once done.
 */
export function secondsLeft(done: number, total: number, elapsed: number): number | null {
  if (total > 0 && done >= total) return 0;
  if (done <= 0 || total <= 0 || elapsed < 1) return null;
  return ((total - done) * elapsed) / done;
}

/**
 * Adds the time left to each report and drops the ones that come within
 * `everyMs` of the last one of the same phase; a phase's first and last
 * reports always pass. `now` is in milliseconds.
 */
export function progressMeter(now: () => number, everyMs = 100): (p: Progress) => Progress | null {
  let phase: Progress['phase'] | null = null;
  let started = 0;
  let last = -Infinity;
  return (p) => {
    const t = now();
    if (p.phase !== phase) {
      phase = p.phase;
      started = t;
      last = -Infinity;
    }
    const ended = p.total > 0 && p.done >= p.total;
    if (!ended && t - last < everyMs) return null;
    last = t;
    const elapsed = (t - started) / 1000;
    return { ...p, elapsed, secondsLeft: secondsLeft(p.done, p.total, elapsed) };
  };
}
