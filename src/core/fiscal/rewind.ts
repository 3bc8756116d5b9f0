// Pure: what a restore would take out of the fiscal chain. Restoring a
// backup older than the newest receipts removes the receipts recorded since
// (and the closings and events made since): they leave the chain. The plan
// says so in the shop's words, such a restore asks for a second explicit
// confirmation, and those records go into a fiscal archive first.

export interface ChainTail {
  /** The records recorded after the backup: numbers, dates, total (cents). */
  count: number;
  fromSeq: number | null;
  toSeq: number | null;
  fromAt: string | null;
  toAt: string | null;
  total: number;
}

export interface FiscalRewind {
  /** "receipt", "receipts" */
  label: [string, string];
  records: ChainTail;
  closings: number;
  events: number;
}

/**
 * The records that would leave the chain: those the live database has
 * beyond the backup's last number. Nothing when the restore does not touch
 * the records' table, or when the backup holds every live record.
 */
export function planRewind(input: {
  label: [string, string];
  /** The restore replaces the records' table (a full restore, or its section). */
  touchesRecords: boolean;
  /** What the live database holds beyond the backup's last record number. */
  liveAfterBackup: ChainTail;
  closingsAfterBackup: number;
  eventsAfterBackup: number;
}): FiscalRewind | null {
  if (!input.touchesRecords) return null;
  const r = input.liveAfterBackup;
  if (r.count === 0 && input.closingsAfterBackup === 0 && input.eventsAfterBackup === 0)
    return null;
  return {
    label: input.label,
    records: r,
    closings: input.closingsAfterBackup,
    events: input.eventsAfterBackup,
  };
}

function shortDate(iso: string): string {
  // 2026-11-30T09:00:12Z -> 30/11 09:00
  return `${iso.slice(8, 10)}/${iso.slice(5, 7)} ${iso.slice(11, 16)}`;
}

/** €2,345.67 */
export function formatEuros(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const units = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}€${units}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * "receipts #1201–#1255 (30/11 09:00–17:42, €2,345.67) will leave the
 * fiscal chain; they are written to a fiscal archive first."
 */
export function describeRewind(rewind: FiscalRewind): string {
  const r = rewind.records;
  const [one, many] = rewind.label;
  const parts: string[] = [];
  if (r.count > 0 && r.fromSeq !== null && r.toSeq !== null) {
    const range = r.count === 1 ? `${one} #${r.fromSeq}` : `${many} #${r.fromSeq}–#${r.toSeq}`;
    let when = '';
    if (r.fromAt && r.toAt) {
      const sameDay = r.fromAt.slice(0, 10) === r.toAt.slice(0, 10);
      when = `${shortDate(r.fromAt)}–${sameDay ? r.toAt.slice(11, 16) : shortDate(r.toAt)}, `;
    }
    parts.push(`${range} (${when}${formatEuros(r.total)})`);
  }
  if (rewind.closings > 0)
    parts.push(`${rewind.closings} closing${rewind.closings === 1 ? '' : 's'}`);
  if (rewind.events > 0)
    parts.push(`${rewind.events} technical event${rewind.events === 1 ? '' : 's'}`);
  const what =
    parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}` : parts[0];
  const plural = r.count + rewind.closings + rewind.events > 1;
  return `${what} will leave the fiscal chain; ${plural ? 'they are' : 'it is'} written to a fiscal archive first.`;
}
