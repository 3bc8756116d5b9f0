// Pure: the profile of Actual Budget (actualbudget.org), a personal and
// small-business budgeting app whose budget is a folder holding db.sqlite,
// metadata.json and cache.sqlite. Its tables were read from a budget the
// app's own engine (@actual-app/api) made. Actual declares no foreign keys,
// marks deleted rows with `tombstone = 1`, keeps its schema version as the
// applied migrations in __migrations__ (user_version stays 0), and syncs
// through a server from its CRDT messages and the positions in
// metadata.json: after a restore these are reset, as Actual's own "reset
// sync" does on the device, so that the server does not undo the restore;
// the user then uploads the budget again from Actual.

import { declareProfile } from './profiles.js';

const deleted = 'tombstone = 1';

export const ACTUAL_PROFILE = declareProfile({
  name: 'actual',
  label: 'Actual Budget (a budget folder: db.sqlite, metadata.json)',
  headline: { table: 'transactions', label: 'transactions' },
  sections: [
    {
      name: 'accounts',
      label: 'Accounts',
      tables: ['accounts', 'account_groups', 'banks'],
    },
    {
      name: 'transactions',
      label: 'Transactions',
      tables: ['transactions', 'pending_transactions'],
    },
    {
      name: 'payees',
      label: 'Payees',
      tables: ['payees', 'payee_mapping', 'payee_locations'],
    },
    {
      name: 'budget',
      label: 'Categories and budgets',
      tables: [
        'categories',
        'category_groups',
        'category_mapping',
        'zero_budgets',
        'zero_budget_months',
        'reflect_budgets',
        'created_budgets',
      ],
    },
    {
      name: 'rules',
      label: 'Rules and schedules',
      tables: ['rules', 'schedules', 'schedules_next_date', 'schedules_json_paths'],
    },
    {
      name: 'reports',
      label: 'Reports, dashboards and saved filters',
      tables: [
        'custom_reports',
        'dashboard',
        'dashboard_pages',
        'transaction_filters',
        'cleanup_groups',
      ],
    },
    { name: 'notes', label: 'Notes and tags', tables: ['notes', 'tags'] },
    {
      name: 'settings',
      label: 'Preferences and the budget file (metadata.json)',
      tables: ['preferences'],
      settings: true,
    },
    {
      name: 'internal',
      label: 'Sync history, caches and migrations (the app rebuilds or resets them)',
      tables: [
        '__migrations__',
        '__meta__',
        'messages_crdt',
        'messages_clock',
        'kvcache',
        'kvcache_key',
      ],
    },
  ],
  // Not category_mapping.transferId: a new budget maps default category ids
  // that an imported budget never creates, and the app does not mind.
  relations: [
    { child: 'transactions.acct', parent: 'accounts.id' },
    { child: 'transactions.category', parent: 'categories.id' },
    { child: 'transactions.description', parent: 'payees.id' },
    { child: 'transactions.parent_id', parent: 'transactions.id' },
    { child: 'transactions.schedule', parent: 'schedules.id' },
    { child: 'categories.cat_group', parent: 'category_groups.id' },
    { child: 'payees.transfer_acct', parent: 'accounts.id' },
    { child: 'payee_mapping.targetId', parent: 'payees.id' },
    { child: 'accounts.account_group_id', parent: 'account_groups.id' },
    { child: 'schedules.rule', parent: 'rules.id' },
    { child: 'schedules_next_date.schedule_id', parent: 'schedules.id' },
    { child: 'zero_budgets.category', parent: 'categories.id' },
    { child: 'reflect_budgets.category', parent: 'categories.id' },
    { child: 'dashboard.dashboard_page_id', parent: 'dashboard_pages.id' },
  ],
  tombstones: Object.fromEntries(
    [
      'accounts',
      'account_groups',
      'banks',
      'transactions',
      'payees',
      'payee_locations',
      'categories',
      'category_groups',
      'rules',
      'schedules',
      'schedules_next_date',
      'custom_reports',
      'dashboard',
      'dashboard_pages',
      'transaction_filters',
      'cleanup_groups',
      'tags',
    ].map((t) => [t, deleted]),
  ),
  schemaVersion: { query: 'SELECT max(id) FROM __migrations__' },
  // A new budget holds its migrations, a few default categories and groups,
  // a default dashboard, and its sync clock.
  freshInstall: {
    rows: {
      __migrations__: 10000,
      __meta__: 10,
      categories: 50,
      category_groups: 20,
      category_mapping: 50,
      dashboard: 50,
      dashboard_pages: 5,
      messages_clock: 1,
      preferences: 20,
    },
  },
  caches: { files: ['cache.sqlite'], tables: ['kvcache', 'kvcache_key'] },
  syncReset: {
    statements: ['DELETE FROM messages_crdt', 'DELETE FROM messages_clock'],
    settings: {
      unset: [],
      set: { groupId: null, lastSyncedTimestamp: null, lastUploaded: null, resetClock: true },
    },
    // What Actual 26 does then: the server refuses the next sync
    // (file-has-reset) and Actual offers Revert, which downloads the
    // server's copy over the restore, or "upload this file", which makes the
    // restored budget the server's (test/integration/actual-sync.test.ts).
    message:
      'this budget is no longer linked to your sync server, which still holds the changes made after the backup. Open it in Actual: when it says that syncing has been reset on this cloud file, choose "upload this file", not Revert (Revert would bring those changes back over the restore). Your other devices are then told the same: there, choose Revert, which downloads the restored budget.',
  },
  mustClose: true,
});
