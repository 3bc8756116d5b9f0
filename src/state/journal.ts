// Coffre's event journal in the home: `journal.jsonl`, one JSON line per
// entry, appended, each chained to the one before (core/journal.ts). A
// line is written with one append, so a crash leaves at most a torn last
// line, which `verify` reports.

import fs from 'node:fs';
import { checkChain, recordHash, type ChainReport } from '../core/fiscal/chain.js';
import {
  JOURNAL_CHAIN,
  JOURNAL_GENESIS,
  journalRecord,
  journalRow,
  type JournalEntry,
} from '../core/journal.js';

const TAIL_BYTES = 64 * 1024;

export class EventJournal {
  constructor(
    private readonly file: string,
    private readonly clock: () => Date,
  ) {}

  /** The last complete entry, read from the end of the file. */
  private last(): JournalEntry | null {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      const size = fs.fstatSync(fd).size;
      // From the end, reading further back while no whole line is in view:
      // one entry may be longer than the tail (it must still be chained to).
      for (let length = Math.min(size, TAIL_BYTES); ; length = Math.min(size, length * 4)) {
        const buffer = Buffer.alloc(length);
        fs.readSync(fd, buffer, 0, length, size - length);
        const lines = buffer.toString('utf8').split('\n');
        // Unless the whole file is read, the first piece may be the end of a line.
        if (length < size) lines.shift();
        for (let i = lines.length - 1; i >= 0; i--) {
          if (lines[i].trim() === '') continue;
          try {
            return JSON.parse(lines[i]) as JournalEntry;
          } catch {
            // A torn line (a crash mid-append): chain to the last whole one.
          }
        }
        if (length >= size) return null;
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  append(actor: string, action: string, detail: Record<string, unknown>): JournalEntry {
    const last = this.last();
    const base = {
      seq: (last?.seq ?? 0) + 1,
      at: this.clock().toISOString(),
      actor,
      action,
      detail,
    };
    const previous = last?.hash ?? JOURNAL_GENESIS;
    const entry: JournalEntry = {
      ...base,
      previous,
      hash: recordHash(JOURNAL_CHAIN, journalRow(base), previous),
    };
    fs.appendFileSync(this.file, JSON.stringify(entry) + '\n', { mode: 0o600 });
    return entry;
  }

  /** Every entry, oldest first; a line that is not JSON becomes a problem, not an error. */
  read(): { entries: JournalEntry[]; unreadable: number[] } {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], unreadable: [] };
      throw err;
    }
    const entries: JournalEntry[] = [];
    const unreadable: number[] = [];
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        entries.push(JSON.parse(line) as JournalEntry);
      } catch {
        unreadable.push(i + 1);
      }
    });
    return { entries, unreadable };
  }

  verify(): ChainReport & { unreadable: number[] } {
    const { entries, unreadable } = this.read();
    const report = checkChain(entries.map(journalRecord), JOURNAL_CHAIN);
    return { ...report, ok: report.ok && unreadable.length === 0, unreadable };
  }
}
