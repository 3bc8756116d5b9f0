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
