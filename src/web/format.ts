// Words and numbers as the page shows them: times in the register's zone,
// "how long ago", sizes, and the header's data volume.

import { formatBytes } from '../index.js';

// Making an Intl.DateTimeFormat costs far more than using one: one per zone.
const formats = new Map<string, Intl.DateTimeFormat>();

/** "2026-11-30 18:05" in the register's time zone. */
export function when(at: string | Date, timeZone: string): string {
  const d = typeof at === 'string' ? new Date(at) : at;
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(timeZone, format);
  }
  // en-CA writes "2026-11-30, 18:05".
  return format.format(d).replace(', ', ' ');
}

/** "5 minutes ago", "3 hours ago", "2 days ago". */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return 'just now';
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} minute${m === 1 ? '' : 's'} ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} hour${h === 1 ? '' : 's'} ago`;
  const d = Math.floor(h / 24);
  return `${d} days ago`;
}

export function bytes(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : formatBytes(n);
}

export function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

export function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** A short id for tables: the backup id without its register prefix noise. */
export function shortSha(sha: string): string {
  return sha.slice(0, 12);
}
