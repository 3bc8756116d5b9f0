// Pure: which tables and columns of the demo books (the `accounting`
// profile) feed the FEC.

import { fecRecipeSchema, type FecRecipe } from './fec.js';

export const ACCOUNTING_FEC_RECIPE: FecRecipe = fecRecipeSchema.parse({
  entries: {
    table: 'ledger_entries',
    number: 'entry_no',
    journal: 'journal',
    date: 'entry_date',
    account: 'account',
    label: 'label',
    debit: 'debit_cents',
    credit: 'credit_cents',
  },
  accounts: { table: 'accounts', code: 'code', label: 'label' },
  journals: { VE: 'Ventes', AC: 'Achats', BQ: 'Banque' },
});
