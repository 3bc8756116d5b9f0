// Sizes as people write them, and the quota rules of a cloud destination: a
// backup that would go over the plan the shop pays for is refused (after
// retention had its chance to make room), and 80 % full is worth a warning.

import { warning, type Warning } from './warnings.js';
import { CoffreError } from './errors.js';

/** Binary units, as file managers show them: 1.5 GiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/**
 * A size in the unit system it was most likely given in: a round decimal
 * size (30MB, 1.5TB, as plans are sold) in decimal units with its binary
 * value beside it, "30 MB (28.6 MiB)"; anything else as formatBytes does.
 */
export function formatSize(n: number): string {
  if (n < 1000 || n % 1000 !== 0) return formatBytes(n);
  // A whole number of its binary unit (10 GiB) was given in binary units.
  const k = Math.min(4, Math.floor(Math.log(n) / Math.log(1024)));
  if (k >= 1 && n % 1024 ** k === 0) return formatBytes(n);
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  do {
    v /= 1000;
    i++;
  } while (v >= 1000 && i < units.length - 1);
  const decimal = `${Number.isInteger(v) ? v : Number(v.toFixed(2))} ${units[i]}`;
  const binary = ['KiB', 'MiB', 'GiB', 'TiB'];
  let b = n / 1024;
  let j = 0;
  while (b >= 1024 && j < binary.length - 1) {
    b /= 1024;
    j++;
  }
  return `${decimal} (${b.toFixed(1)} ${binary[j]})`;
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/**
 * "10GB", "1.5 TB", "500MiB", "2000000": storage plans are sold in decimal
 * units (GB = 10^9 bytes), so GB means that; GiB is 2^30. Throws USAGE.
 */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? UNITS[match[2].toLowerCase()] : undefined;
  const bytes = match && unit ? Math.round(Number(match[1]) * unit) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new CoffreError(
      'USAGE',
      `"${text}" is not a size: write a number and a unit, e.g. 10GB, 500MB or 1.5TB.`,
    );
  }
  return bytes;
}

/** Warn from this share of the quota on. */
export const QUOTA_WARNING_RATIO = 0.8;

export interface QuotaState {
  usedBytes: number;
  quotaBytes: number;
}

/** Room kept for the sidecar written after each archive (a few KiB in practice). */
export const SIDECAR_ALLOWANCE = 64 * 1024;

/** Whether a backup of about `estimate` bytes (and its sidecar) fits; unknown sizes fit while any room is left. */
export function fitsInQuota(state: QuotaState, estimate: number | null): boolean {
  return state.usedBytes + (estimate ?? 0) + SIDECAR_ALLOWANCE <= state.quotaBytes;
}

/** The most an archive may grow to in the room left. */
export function roomLeft(state: QuotaState): number {
  return Math.max(0, state.quotaBytes - state.usedBytes - SIDECAR_ALLOWANCE);
}

export function quotaPercent(state: QuotaState): number {
  return Math.round((state.usedBytes / state.quotaBytes) * 100);
}

/** The warning once a destination is 80 % full, or null. */
export function quotaWarning(destination: string, state: QuotaState): Warning | null {
  if (state.usedBytes < state.quotaBytes * QUOTA_WARNING_RATIO) return null;
  const percent = quotaPercent(state);
  return warning(
    'QUOTA_NEARLY_FULL',
    `Cloud destination "${destination}" is ${percent} % full (${formatBytes(state.usedBytes)} of ${formatSize(state.quotaBytes)}): keep fewer backups there or take a larger plan before it refuses backups.`,
    { destination, ...state, percent },
  );
}

/** The refusal when a backup does not fit even after retention made room. */
export function quotaExceeded(
  destination: string,
  state: QuotaState,
  estimate: number | null,
  retention: string,
  pruned: number,
  /** The backups left there: how many are manual (kept until deleted) of how many. */
  kept?: { manual: number; total: number },
): CoffreError {
  const after =
    pruned > 0
      ? `after its retention (${retention}) removed ${pruned} older backup(s)`
      : `and its retention (${retention}) keeps every backup there`;
  const message =
    estimate !== null && estimate + SIDECAR_ALLOWANCE > state.quotaBytes
      ? `This backup (about ${formatBytes(estimate)}) is larger than the whole quota of cloud destination "${destination}" (${formatBytes(state.quotaBytes)}). Nothing was uploaded.`
      : `Cloud destination "${destination}" has no room for this backup${estimate === null ? '' : ` (about ${formatBytes(estimate)})`}: ${formatBytes(state.usedBytes)} of its ${formatBytes(state.quotaBytes)} quota are used ${after}. Nothing was uploaded.`;
  return new CoffreError('QUOTA_EXCEEDED', message, {
    details: {
      destination,
      ...state,
      estimate,
      pruned,
      ...(kept ? { keptManual: kept.manual, kept: kept.total } : {}),
      // Mostly manual backups: retention cannot free their space, deleting can.
      ...(kept && kept.manual * 2 > kept.total ? { mostlyManual: true } : {}),
    },
  });
}
