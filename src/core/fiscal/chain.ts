// Pure: the hash chain of a register's fiscal records (receipts, closings,
// technical events). Each record's hash covers its fields in a fixed order
// and the previous record's hash, so that an edit, a deletion, an insertion
// or a reordering of past records shows. How the fields are joined and hashed
// is data (a ChainFormat, part of an app's fiscal recipe), so one checker
// serves the demo register and any app that declares its own recipe.

import { createHash } from 'node:crypto';

/** In `ChainFormat.fields`: where the previous record's hash goes. */
export const PREVIOUS = '@previous';
/** In `ChainFormat.fields`: where the record's child rows (receipt lines) go. */
export const LINES = '@lines';

export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512';

export interface ChainFormat {
  /** The hashed parts, in order: column names, PREVIOUS and, optionally, LINES. */
  fields: readonly string[];
  /**
   * json: the parts as one JSON array (child rows as nested arrays), which
   * no field content can make ambiguous. separator: the parts as text joined
   * by this string (child rows flattened in place).
   */
  join: { kind: 'json' } | { kind: 'separator'; separator: string };
  algorithm: HashAlgorithm;
  encoding: 'hex' | 'base64';
  /** What the first record chains to. */
  genesis: string;
}

/** The text a record's hash covers. `row` holds the record's columns by name. */
export function canonicalText(
  format: ChainFormat,
  row: Readonly<Record<string, unknown>>,
  previousHash: string,
  lines: readonly (readonly unknown[])[] = [],
): string {
  const parts = format.fields.map((f) =>
    f === PREVIOUS ? previousHash : f === LINES ? lines : row[f],
  );
  if (format.join.kind === 'json') return JSON.stringify(parts);
  const flat: unknown[] = parts.flatMap((p): unknown[] => (Array.isArray(p) ? p.flat(2) : [p]));
  return flat
    .map((v) =>
      v === null || v === undefined
        ? ''
        : typeof v === 'object'
          ? JSON.stringify(v)
          : String(v as string | number),
    )
    .join(format.join.separator);
}

export function recordHash(
  format: ChainFormat,
  row: Readonly<Record<string, unknown>>,
  previousHash: string,
  lines: readonly (readonly unknown[])[] = [],
): string {
  return createHash(format.algorithm)
    .update(canonicalText(format, row, previousHash, lines))
    .digest(format.encoding);
}

/** One chained record as read from the app's database. */
export interface ChainRecord {
  /** The sequence number (receipt number). */
  seq: number;
  /** The row's own id in its table, when it has one (reported with a break). */
  id?: number;
  /** When it was recorded, as stored (ISO text); null when the recipe names no date. */
  at: string | null;
  row: Readonly<Record<string, unknown>>;
  lines?: readonly (readonly unknown[])[];
  previousHash: string;
  hash: string;
}

export type BreakReason = 'altered' | 'missing' | 'inserted' | 'reordered';

export interface ChainBreak {
  seq: number;
  id?: number;
  at: string | null;
  reason: BreakReason;
  /** What was found, in words: "the hash does not match its fields". */
  detail: string;
}

export interface RecordRef {
  seq: number;
  at: string | null;
  hash: string;
}

export interface ChainReport {
  ok: boolean;
  count: number;
  first: RecordRef | null;
  last: RecordRef | null;
  /** The first broken record and why; null when the chain is intact. */
  broken: ChainBreak | null;
  /** How many records fail a check (each break counted once). */
  brokenCount: number;
}

export interface ChainCheckOptions {
  /**
   * What the first record must chain to: the format's genesis for a whole
   * chain (the default), the last hash of the previous fiscal archive for a
   * period, or null to accept whatever the first record names.
   */
  start?: string | null;
}

/**
 * Checks records in their sequence order, in constant memory (one record of
 * look-ahead tells an insertion or a reordering from a plain broken link).
 * After a break the check goes on from the stored hash, so that one edit
 * flags one record, not every record after it.
 */
export function checkChain(
  records: Iterable<ChainRecord>,
  format: ChainFormat,
  options: ChainCheckOptions = {},
): ChainReport {
  const start = options.start === undefined ? format.genesis : options.start;
  let count = 0;
  let first: RecordRef | null = null;
  let last: ChainRecord | null = null;
  let beforeLast: ChainRecord | null = null;
  let broken: ChainBreak | null = null;
  let brokenCount = 0;
  // A record whose link is wrong waits for the next one to be classified.
  let pending: {
    record: ChainRecord;
    previous: ChainRecord | null;
    twoBack: ChainRecord | null;
  } | null = null;
  const flagged = new Map<number, BreakReason>();

  const flag = (record: ChainRecord, reason: BreakReason, detail: string) => {
    if (flagged.has(record.seq)) return;
    flagged.set(record.seq, reason);
    brokenCount++;
    broken ??= {
      seq: record.seq,
      ...(record.id === undefined ? {} : { id: record.id }),
      at: record.at,
      reason,
      detail,
    };
  };

  const classify = (
    p: { record: ChainRecord; previous: ChainRecord | null; twoBack: ChainRecord | null },
    next: ChainRecord | null,
  ) => {
    const { record, previous, twoBack } = p;
    if (
      previous !== null &&
      twoBack !== null &&
      flagged.get(previous.seq) === 'reordered' &&
      record.previousHash === twoBack.hash
    ) {
      flag(
        record,
        'reordered',
        `it chains to #${twoBack.seq} and was swapped with #${previous.seq}`,
      );
    } else if (next !== null && record.previousHash === next.hash) {
      flag(record, 'reordered', `it chains to record #${next.seq}, which comes after it`);
    } else if (next !== null && previous !== null && next.previousHash === previous.hash) {
      flag(record, 'inserted', `record #${next.seq} chains to #${previous.seq}, not to it`);
    } else if (twoBack !== null && previous !== null && record.previousHash === twoBack.hash) {
      flag(previous, 'inserted', `record #${record.seq} chains to #${twoBack.seq}, not to it`);
    } else if (previous !== null && record.seq > previous.seq + 1) {
      const gap =
        record.seq === previous.seq + 2
          ? `#${previous.seq + 1}`
          : `#${previous.seq + 1}–#${record.seq - 1}`;
      flag(
        record,
        'missing',
        `${gap} before it ${record.seq === previous.seq + 2 ? 'is' : 'are'} missing`,
      );
    } else if (previous !== null && record.seq <= previous.seq) {
      flag(record, 'reordered', `its number does not follow #${previous.seq}`);
    } else {
      flag(
        record,
        'altered',
        previous === null
          ? 'it does not chain to the start of the chain'
          : `its previous hash is not the hash of #${previous.seq}`,
      );
    }
  };

  for (const record of records) {
    count++;
    first ??= { seq: record.seq, at: record.at, hash: record.hash };
    if (pending !== null) {
      classify(pending, record);
      pending = null;
    }
    const computed = recordHash(format, record.row, record.previousHash, record.lines);
    const expectedPrevious = last === null ? start : last.hash;
    if (computed !== record.hash) {
      flag(record, 'altered', 'its hash does not match its fields');
    } else if (expectedPrevious !== null && record.previousHash !== expectedPrevious) {
      pending = { record, previous: last, twoBack: beforeLast };
    }
    beforeLast = last;
    last = record;
  }
  if (pending !== null) classify(pending, null);
  return {
    ok: brokenCount === 0,
    count,
    first,
    last: last === null ? null : { seq: last.seq, at: last.at, hash: last.hash },
    broken,
    brokenCount,
  };
}

/**
 * The report of a whole chain from the report of its start and the report of
 * the records after it (checked with `start` set to the start's last hash):
 * what an audit that only reads the new records of an append-only chain gives.
 */
export function joinReports(before: ChainReport, after: ChainReport): ChainReport {
  return {
    ok: before.ok && after.ok,
    count: before.count + after.count,
    first: before.first ?? after.first,
    last: after.last ?? before.last,
    broken: before.broken ?? after.broken,
    brokenCount: before.brokenCount + after.brokenCount,
  };
}
