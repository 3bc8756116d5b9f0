// Pure: Coffre's own event journal, one hash-chained entry per thing Coffre
// did (a backup, a restore, a deletion, a fiscal export, a settings change)
// and who did it. The chain is checked with the same code as a register's
// receipts, so an edited, removed or reordered line shows.

import { PREVIOUS, type ChainFormat, type ChainRecord } from './fiscal/chain.js';

export interface JournalEntry {
  seq: number;
  at: string;
  /** Who: a user name, or "scheduler" for a scheduled job. */
  actor: string;
  action: string;
  /** What, as data (ids, names, counts): never a secret. */
  detail: Record<string, unknown>;
  previous: string;
  hash: string;
}

export const JOURNAL_GENESIS = '0'.repeat(64);

/** The entry's fields and the previous hash as a JSON array (detail as its JSON text), SHA-256 in hex. */
export const JOURNAL_CHAIN: ChainFormat = {
  fields: ['seq', 'at', 'actor', 'action', 'detail', PREVIOUS],
  join: { kind: 'json' },
  algorithm: 'sha256',
  encoding: 'hex',
  genesis: JOURNAL_GENESIS,
};

/** The hashed row of an entry: `detail` as the JSON text it was written with. */
export function journalRow(e: Omit<JournalEntry, 'previous' | 'hash'>): Record<string, unknown> {
  return {
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    action: e.action,
    detail: JSON.stringify(e.detail),
  };
}

export function journalRecord(e: JournalEntry): ChainRecord {
  return { seq: e.seq, at: e.at, row: journalRow(e), previousHash: e.previous, hash: e.hash };
}

/** One setting changed, as the journal keeps it: its path, and what it was and became. */
export interface SettingChange {
  path: string;
  from?: unknown;
  to?: unknown;
}

/**
 * How a setting's values may be written to the journal: as they are, or
 * only whether it was set (a command or hook may hold a password), or only
 * the web address's origin (a webhook's path may hold a token).
 */
export type Shown = 'value' | 'presence' | 'origin';

function shownValue(value: unknown, how: Shown): unknown {
  if (how === 'value' || value === null || value === undefined) return value;
  if (how === 'origin') {
    try {
      return `${new URL(typeof value === 'string' ? value : '').origin}/…`;
    } catch {
      return 'set';
    }
  }
  return 'set';
}

/**
 * What changed between two settings objects, leaf by leaf (an array is one
 * value), skipping `ignored` paths; values shown as `shown` says.
 */
export function settingChanges(
  before: unknown,
  after: unknown,
  shown: (path: string) => Shown = () => 'value',
  ignored: readonly string[] = [],
  at = '',
): SettingChange[] {
  if (ignored.includes(at)) return [];
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) =>
      settingChanges(before[k], after[k], shown, ignored, at ? `${at}.${k}` : k),
    );
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const how = shown(at);
  const change: SettingChange = { path: at };
  if (before !== undefined) change.from = shownValue(before, how);
  if (after !== undefined) change.to = shownValue(after, how);
  if (how === 'presence' && before != null && after != null) change.to = 'changed';
  return [change];
}
