// The home's index of the fiscal archives this register made
// (`fiscal-archives.json`): what the audit needs to warn when one under the
// 6-year hold is no longer held anywhere, and where the series stands.

import fs from 'node:fs';
import { CoffreError } from '../core/errors.js';
import type { RecordRef } from '../core/fiscal/chain.js';
import type { Period } from '../core/fiscal/period.js';
import { archiveExtension } from '../core/manifest.js';
import { writeFileAtomic } from '../state/files.js';
import type { Stored } from './store.js';

/** What the index keeps of each fiscal archive made. */
export interface FiscalIndexEntry {
  archive: string;
  id: string;
  createdAt: string;
  period: Period;
  sha256: string;
  size: number;
  recordsLast: RecordRef | null;
  destinations: string[];
  /** rewind: the records a restore took out of the chain, beside the series of period archives. */
  kind?: 'rewind';
}

export function readIndex(file: string): FiscalIndexEntry[] {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as FiscalIndexEntry[];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CoffreError('CONFIG_INVALID', `${file} cannot be read: ${(err as Error).message}.`);
  }
}

/** Adds an archive stored somewhere to the index of archives made. */
export async function addToIndex(
  file: string,
  result: Stored,
  recordsLast: RecordRef | null,
  kind: 'period' | 'rewind',
): Promise<void> {
  if (result.destinations.length === 0) return;
  const h = result.header;
  const entries: FiscalIndexEntry[] = [
    ...readIndex(file),
    {
      archive: h.id + archiveExtension(result.encrypted),
      id: h.id,
      createdAt: h.createdAt,
      period: h.period,
      sha256: result.sha256,
      size: result.size,
      recordsLast,
      destinations: result.destinations.map((d) => d.name),
      ...(kind === 'rewind' ? { kind } : {}),
    },
  ];
  await writeFileAtomic(file, JSON.stringify(entries, null, 2) + '\n');
}
