// Pure: what a restore would take out of the fiscal chain. Restoring a
// backup older than the newest receipts removes the receipts recorded since
// (and the closings and events made since): they leave the chain. The plan
// says so in the shop's words (its locale, currency and time zone), such a
// restore asks for a second explicit confirmation, and those records go
// into a fiscal archive first.

export interface ChainTail {
  /** The records recorded after the backup: numbers, dates, total (minor units). */
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
  /** The backup's last number in each chain: the live rows beyond them leave the chain. */
  after: { records: number; closings: number; events: number };
}

/** How the shop writes amounts and times. */
export interface ShopFormat {
  locale: string;
  currency: string;
  timeZone: string;
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
  after?: FiscalRewind['after'];
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
    after: input.after ?? { records: 0, closings: 0, events: 0 },
  };
}

/** An amount in minor units as the shop writes it: "2 345,67 €" (fr-FR), "€2,345.67" (en-GB). */
export function formatMoney(
  minor: number,
  format: Pick<ShopFormat, 'locale' | 'currency'>,
): string {
  const nf = new Intl.NumberFormat(format.locale, { style: 'currency', currency: format.currency });
  const digits = nf.resolvedOptions().maximumFractionDigits ?? 2;
  return nf.format(minor / 10 ** digits);
}

/** A stored date as the shop reads it: day/month and time in its zone ("30/11 09:00"). */
function shortDate(stored: string, format: ShopFormat, withDay: boolean): string {
  // A date stored without a zone is already the register's local time.
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(stored);
  const at = new Date(zoned ? stored : `${stored.slice(0, 19).replace(' ', 'T')}Z`);
  if (Number.isNaN(at.getTime())) return stored;
  return new Intl.DateTimeFormat(format.locale, {
    timeZone: zoned ? format.timeZone : 'UTC',
    ...(withDay ? { day: '2-digit', month: '2-digit' } : {}),
    hour: '2-digit',
    minute: '2-digit',
  }).format(at);
}

function localDay(stored: string, format: ShopFormat): string {
  return shortDate(stored, format, true).slice(0, 5);
}

/**
 * "receipts #1201–#1255 (30/11 09:00–17:42, 2 345,67 €) will leave the
 * fiscal chain; they are written to a fiscal archive first."
 */
export function describeRewind(rewind: FiscalRewind, format: ShopFormat): string {
  const r = rewind.records;
  const [one, many] = rewind.label;
  const parts: string[] = [];
  if (r.count > 0 && r.fromSeq !== null && r.toSeq !== null) {
    const range = r.count === 1 ? `${one} #${r.fromSeq}` : `${many} #${r.fromSeq}–#${r.toSeq}`;
    let when = '';
    if (r.fromAt && r.toAt) {
      const sameDay = localDay(r.fromAt, format) === localDay(r.toAt, format);
      when = `${shortDate(r.fromAt, format, true)}–${shortDate(r.toAt, format, !sameDay)}, `;
    }
    parts.push(`${range} (${when}${formatMoney(r.total, format)})`);
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
