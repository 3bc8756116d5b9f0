// Pure: the fiscal recipe of the demo register (the `pos` profile). The demo
// writes its hashes with these formats and the audit checks them with the
// same ones: each hashed field list exists once, here.

import { LINES, PREVIOUS, type ChainFormat } from './chain.js';
import { chainFormat, parseFiscalRecipe, type FiscalRecipe } from './recipe.js';

/** What the first record of each chain links to, as a register's initial value. */
export const POS_GENESIS = '0'.repeat(64);

/**
 * Receipts: their fields, the previous receipt's hash, then their lines, as
 * a JSON array, SHA-256 in hex. Closings and technical events: the same way,
 * without lines, each in its own chain.
 */
export const POS_FISCAL_RECIPE: FiscalRecipe = parseFiscalRecipe(
  {
    records: {
      table: 'receipts',
      sequence: 'number',
      date: 'created_at',
      key: 'id',
      label: ['receipt', 'receipts'],
      amount: 'total_cents',
      vat: 'vat_cents',
      chain: {
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
        join: 'json',
        algorithm: 'sha256',
        encoding: 'hex',
        genesis: POS_GENESIS,
        hashColumn: 'hash',
        previousColumn: 'previous_hash',
      },
      lines: {
        table: 'receipt_lines',
        foreignKey: 'receipt_id',
        orderBy: 'line_no',
        fields: [
          'line_no',
          'product_id',
          'label',
          'quantity',
          'unit_price_cents',
          'vat_rate_bp',
          'total_cents',
        ],
        vatRate: 'vat_rate_bp',
        amount: 'total_cents',
      },
      payments: {
        table: 'payments',
        foreignKey: 'receipt_id',
        method: 'method',
        amount: 'amount_cents',
      },
    },
    closings: {
      table: 'closings',
      sequence: 'number',
      date: 'closed_at',
      kind: { column: 'kind', day: 'day', month: 'month', year: 'year' },
      period: 'period',
      total: 'total_cents',
      count: 'receipt_count',
      vat: 'vat_cents',
      byVat: 'totals_by_vat',
      byMethod: 'totals_by_method',
      grandTotal: 'grand_total_cents',
      chain: {
        fields: [
          'number',
          'kind',
          'period',
          'closed_at',
          'receipt_count',
          'total_cents',
          'vat_cents',
          'totals_by_vat',
          'totals_by_method',
          'grand_total_cents',
          PREVIOUS,
        ],
        join: 'json',
        genesis: POS_GENESIS,
        hashColumn: 'hash',
        previousColumn: 'previous_hash',
      },
    },
    events: {
      table: 'fiscal_events',
      sequence: 'number',
      date: 'at',
      kind: 'kind',
      chain: {
        fields: ['number', 'at', 'kind', 'employee_id', 'detail', PREVIOUS],
        join: 'json',
        genesis: POS_GENESIS,
        hashColumn: 'hash',
        previousColumn: 'previous_hash',
      },
    },
  },
  'profiles.pos.fiscal',
);

export const POS_RECEIPT_CHAIN: ChainFormat = chainFormat(POS_FISCAL_RECIPE.records.chain);
export const POS_RECEIPT_LINE_FIELDS: readonly string[] = POS_FISCAL_RECIPE.records.lines!.fields;
export const POS_CLOSING_CHAIN: ChainFormat = chainFormat(POS_FISCAL_RECIPE.closings!.chain);
export const POS_EVENT_CHAIN: ChainFormat = chainFormat(POS_FISCAL_RECIPE.events!.chain);
