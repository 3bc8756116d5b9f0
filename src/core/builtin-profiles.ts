// Pure: the profiles Coffre ships, declared as data with the same schema a
// user's own profile follows (./profiles.ts). `pos` and `accounting` map the
// demo schemas (../source/demo.ts); `actual` maps Actual Budget
// (./actual-profile.ts); `generic` is one section holding everything.

import { declareProfile, findProfile, type Profile } from './profiles.js';
import { POS_FISCAL_RECIPE } from './fiscal/pos.js';
import { ACCOUNTING_FEC_RECIPE } from './fiscal/accounting.js';
import { ACTUAL_PROFILE } from './actual-profile.js';

const pos = declareProfile({
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
  // A fresh register holds only its default settings.
  freshInstall: { rows: { settings: 50 } },
  fiscal: POS_FISCAL_RECIPE,
});

const accounting = declareProfile({
  name: 'accounting',
  label: 'Accounting (books of a small company)',
  headline: { table: 'invoices', label: 'invoices' },
  filesLabel: 'attachments',
  sections: [
    { name: 'customers', label: 'Customers', tables: ['customers'] },
    { name: 'suppliers', label: 'Suppliers and purchases', tables: ['suppliers', 'purchases'] },
    { name: 'invoices', label: 'Invoices', tables: ['invoices', 'invoice_lines'] },
    { name: 'payments', label: 'Payments', tables: ['payments'] },
    {
      name: 'ledger',
      label: 'Chart of accounts and ledger',
      tables: ['accounts', 'ledger_entries'],
    },
    { name: 'settings', label: 'Settings', tables: ['settings'], settings: true },
    // The index of the scanned files lives with the files themselves.
    {
      name: 'attachments',
      label: 'Attachments (scanned receipts)',
      tables: ['attachments'],
      files: true,
    },
  ],
  // A fresh set of books holds its settings and the chart of accounts.
  freshInstall: { rows: { settings: 50, accounts: 1000 } },
  fec: ACCOUNTING_FEC_RECIPE,
});

const generic = declareProfile({
  name: 'generic',
  label: 'Any app (database, files and settings)',
  sections: [{ name: 'all', label: 'Everything', tables: '*', files: true, settings: true }],
});

/** The built-in profiles by name. */
export const BUILT_IN_PROFILES: Readonly<Record<string, Profile>> = {
  pos,
  accounting,
  generic,
  actual: ACTUAL_PROFILE,
};

/** The built-in profiles by name (pos, accounting, generic, actual). */
export const PROFILES = BUILT_IN_PROFILES;

/** Looks a built-in profile up by the name a user typed; USAGE names the valid ones. */
export function getProfile(name: string): Profile {
  return findProfile(name, BUILT_IN_PROFILES, {});
}
