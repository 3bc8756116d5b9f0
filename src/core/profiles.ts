// Pure: the kinds of app Coffre knows how to present. A profile groups the
// app's tables, its files folder and its settings file into named sections, so
// that status, backups and partial restores speak the shop's language
// ("catalog", "sales") rather than listing raw table names. Table names match
// the demo schemas in ../source/demo.ts.

import { CoffreError } from './errors.js';
import { POS_FISCAL_RECIPE } from './fiscal/pos.js';
import type { FiscalRecipe } from './fiscal/recipe.js';
import { ACCOUNTING_FEC_RECIPE } from './fiscal/accounting.js';
import type { FecRecipe } from './fiscal/fec.js';

export interface SectionDef {
  name: string;
  label: string;
  /** Tables of this section; empty means every table of the database. */
  tables: string[];
  /** The app's files folder belongs to this section. */
  files?: boolean;
  /** The settings file belongs to this section. */
  settings?: boolean;
}

export interface Profile {
  name: 'pos' | 'accounting' | 'generic';
  label: string;
  sections: SectionDef[];
  /** The count shown in status, e.g. receipts. */
  headline?: { table: string; label: string };
  /** What the files folder holds, in words: 'images' | 'attachments' | 'files'. */
  filesLabel: string;
  /** Where the app keeps its chained fiscal records and how it hashes them (core/fiscal/recipe.ts). */
  fiscal?: FiscalRecipe;
  /** Which tables and columns feed the FEC (core/fiscal/fec.ts). */
  fec?: FecRecipe;
}

export const PROFILES: Record<Profile['name'], Profile> = {
  pos: {
    name: 'pos',
    label: 'Point of sale (cash register)',
    headline: { table: 'receipts', label: 'receipts' },
    filesLabel: 'images',
    sections: [
      {
        name: 'catalog',
        label: 'Catalog (products, categories, images)',
        tables: ['categories', 'products'],
        files: true,
      },
      { name: 'employees', label: 'Employees and rights', tables: ['employees', 'rights'] },
      { name: 'settings', label: 'Settings', tables: ['settings'], settings: true },
      { name: 'layouts', label: 'Register layouts', tables: ['layouts', 'layout_buttons'] },
      {
        name: 'sales',
        label: 'Sales (receipts, payments, closings and their journal)',
        tables: ['receipts', 'receipt_lines', 'payments', 'closings', 'fiscal_events'],
      },
    ],
    fiscal: POS_FISCAL_RECIPE,
  },
  accounting: {
    name: 'accounting',
    label: 'Accounting (books of a small company)',
    headline: { table: 'invoices', label: 'invoices' },
    filesLabel: 'attachments',
    sections: [
      { name: 'customers', label: 'Customers', tables: ['customers'] },
      { name: 'suppliers', label: 'Suppliers and purchases', tables: ['suppliers', 'purchases'] },
      { name: 'invoices', label: 'Invoices', tables: ['invoices', 'invoice_lines'] },
      { name: 'payments', label: 'Payments', tables: ['payments'] },
      { name: 'ledger', label: 'Ledger', tables: ['accounts', 'ledger_entries'] },
      { name: 'settings', label: 'Settings', tables: ['settings'], settings: true },
      // Not `tables: []`, which would mean every table: the index of the
      // scanned files lives with the files themselves.
      {
        name: 'attachments',
        label: 'Attachments (scanned receipts)',
        tables: ['attachments'],
        files: true,
      },
    ],
    fec: ACCOUNTING_FEC_RECIPE,
  },
  generic: {
    name: 'generic',
    label: 'Any app (database, files and settings)',
    filesLabel: 'files',
    sections: [{ name: 'all', label: 'Everything', tables: [], files: true, settings: true }],
  },
};

/** Looks a profile up by the name a user typed. */
export function getProfile(name: string): Profile {
  if (Object.hasOwn(PROFILES, name)) return PROFILES[name as Profile['name']];
  const valid = Object.keys(PROFILES);
  throw new CoffreError(
    'USAGE',
    `Unknown profile "${name}": valid profiles are ${valid.join(', ')}.`,
    { details: { profile: name, valid } },
  );
}
