// Pure: how the demo register (the `pos` profile) chains its fiscal records.
// The demo writes its hashes with these formats and the audit checks them
// with the same ones: the hashed field lists exist once, here.

import { LINES, PREVIOUS, type ChainFormat } from './chain.js';

/** What the first record of each chain links to, as a register's initial value. */
export const POS_GENESIS = '0'.repeat(64);

/** A receipt's lines, in line order, as hashed inside the receipt. */
export const POS_RECEIPT_LINE_FIELDS = [
  'line_no',
  'product_id',
  'label',
  'quantity',
  'unit_price_cents',
  'vat_rate_bp',
  'total_cents',
] as const;

/** A receipt: its fields, the previous receipt's hash, then its lines, as a JSON array, SHA-256 in hex. */
export const POS_RECEIPT_CHAIN: ChainFormat = {
  fields: [
    'number',
    'created_at',
    'employee_id',
    'item_count',
    'total_cents',
    'vat_cents',
    PREVIOUS,
    LINES,
  ],
  join: { kind: 'json' },
  algorithm: 'sha256',
  encoding: 'hex',
  genesis: POS_GENESIS,
};
