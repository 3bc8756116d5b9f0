// The restore plan, pure: which sections a restore takes, rows now against
// rows in the backup, the notes and the losses in the user's words.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCoffreError } from '../../src/core/errors.js';
import type { ArchiveHeader } from '../../src/core/manifest.js';
import { OTHER_SECTION } from '../../src/core/sections.js';
import { buildPlan, describeLoss, selectSections } from '../../src/restore/plan.js';

function header(overrides: Partial<ArchiveHeader> = {}): ArchiveHeader {
  return {
    format: 'coffre-archive',
    formatVersion: 1,
    id: 'boulangerie_20261120-180000-000_c0ffee12',
    createdAt: '2026-11-20T18:00:00.000Z',
    origin: 'manual',
    note: null,
    register: {
      id: 'c0ffee12-0000-0000-0000-000000000000',
      name: 'Boulangerie',
      publicKey: 'AAAA',
      keyFingerprint: 'ab:cd',
    },
    app: { profile: 'pos', version: '4.8.1', schemaVersion: 3 },
    coffre: { version: '0.1.0' },
    database: {
      entry: 'database/register.db',
      bytes: 4096,
      pageSize: 4096,
      sourceEncrypted: false,
      tables: { products: 10, receipts: 50, receipt_lines: 90, settings: 5, audit: 2 },
    },
    files: { label: 'images', count: 8, bytes: 1000 },
    settings: { entry: 'settings/settings.json', bytes: 100 },
    sections: [
      { name: 'catalog', label: 'Catalog', tables: { products: 10 }, files: 8 },
      { name: 'sales', label: 'Sales', tables: { receipts: 50, receipt_lines: 90 } },
      { name: 'settings', label: 'Settings', tables: { settings: 5 }, settings: true },
      { name: OTHER_SECTION, label: 'Other tables', tables: { audit: 2 } },
    ],
    encryption: { encrypted: false, method: null, recipients: [] },
    ...overrides,
  };
}

const current = { products: 12, receipts: 55, receipt_lines: 99, settings: 5 };

describe('selectSections', () => {
  it('takes everything when no section is named', () => {
    const s = selectSections(header());
    assert.equal(s.full, true);
    assert.deepEqual(s.tables.sort(), [
      'audit',
      'products',
      'receipt_lines',
      'receipts',
      'settings',
    ]);
    assert.equal(s.files, true);
    assert.equal(s.settings, true);
    // An empty list is not "everything": it is refused (an empty shell variable).
    assert.throws(() => selectSections(header(), []), /USAGE|section/i);
  });

  it('takes the named sections only, with their tables, files and settings', () => {
    const sales = selectSections(header(), ['sales']);
    assert.equal(sales.full, false);
    assert.deepEqual(sales.tables, ['receipts', 'receipt_lines']);
    assert.equal(sales.files, false);
    assert.equal(sales.settings, false);
    const two = selectSections(header(), ['catalog', 'settings']);
    assert.deepEqual(two.tables, ['products', 'settings']);
    assert.equal(two.files, true);
    assert.equal(two.settings, true);
  });

  it('refuses an unknown section and lists the valid ones', () => {
    assert.throws(
      () => selectSections(header(), ['sales', 'stock']),
      (err: unknown) =>
        isCoffreError(err, 'USAGE') &&
        err.message.includes('"stock"') &&
        err.message.includes('catalog, sales, settings, other'),
    );
  });

  it('has no settings to restore when the backup holds none', () => {
    assert.equal(selectSections(header({ settings: null })).settings, false);
  });
});

describe('buildPlan', () => {
  const base = {
    currentTables: current,
    currentFiles: 9,
    currentSchema: 3,
    losses: [],
    adopt: null,
  };

  it('puts the rows now next to the rows in the backup', () => {
    const h = header();
    const plan = buildPlan({
      ...base,
      header: h,
      selection: selectSections(h, ['catalog', 'sales']),
    });
    assert.equal(plan.backupId, h.id);
    assert.equal(plan.full, false);
    assert.deepEqual(plan.sections[0], {
      name: 'catalog',
      label: 'Catalog',
      tables: [{ name: 'products', now: 12, backup: 10 }],
      files: { now: 9, backup: 8 },
      settings: false,
    });
    assert.deepEqual(plan.sections[1].tables, [
      { name: 'receipts', now: 55, backup: 50 },
      { name: 'receipt_lines', now: 99, backup: 90 },
    ]);
    assert.deepEqual(plan.notes, []);
    assert.equal(plan.adopt, null);
  });

  it('shows a table the installation does not have as null', () => {
    const h = header();
    const plan = buildPlan({ ...base, header: h, selection: selectSections(h) });
    const other = plan.sections.find((s) => s.name === OTHER_SECTION)!;
    assert.deepEqual(other.tables, [{ name: 'audit', now: null, backup: 2 }]);
  });

  it('notes an older schema, an adoption and the other section', () => {
    const h = header();
    const plan = buildPlan({
      ...base,
      currentSchema: 4,
      adopt: {
        keyFingerprint: 'ab:cd',
        encryption: {
          archive: { method: null, recipients: [] },
          after: 'unencrypted',
          recipients: [],
        },
      },
      header: h,
      selection: selectSections(h, ['other']),
    });
    assert.equal(plan.notes.length, 3);
    assert.match(plan.notes[0], /version 3\) is older than the app's \(version 4\)/);
    assert.match(plan.notes[1], /Boulangerie.*ab:cd/);
    assert.equal(plan.adopt?.registerId, h.register.id);
    assert.equal(plan.adopt?.registerName, 'Boulangerie');
    assert.equal(plan.adopt?.keyFingerprint, 'ab:cd');
    assert.deepEqual(plan.schema, { backup: 3, current: 4 });
  });

  it('keeps only the losses that lose rows', () => {
    const h = header();
    const plan = buildPlan({
      ...base,
      header: h,
      selection: selectSections(h),
      losses: [
        {
          table: 'receipts',
          label: 'receipts',
          section: 'sales',
          sectionLabel: 'Sales',
          rows: 5,
          from: null,
          to: null,
        },
        {
          table: 'products',
          label: 'rows of products',
          section: 'catalog',
          sectionLabel: 'Catalog',
          rows: 0,
          from: null,
          to: null,
        },
      ],
    });
    assert.deepEqual(
      plan.losses.map((l) => l.table),
      ['receipts'],
    );
  });
});

describe('describeLoss', () => {
  it('says how many rows and when, to the minute', () => {
    assert.equal(
      describeLoss({
        table: 'receipts',
        label: 'receipts',
        section: 'sales',
        sectionLabel: 'Sales',
        rows: 37,
        from: '2026-11-20T18:02:31Z',
        to: '2026-11-21T19:40:00Z',
      }),
      '37 receipts recorded after this backup (2026-11-20 18:02 to 2026-11-21 19:40) will no longer exist.',
    );
  });

  it('leaves the dates out when the table has none', () => {
    assert.equal(
      describeLoss({
        table: 'notes',
        label: 'notes',
        section: 'other',
        sectionLabel: 'Other',
        rows: 2,
        from: null,
        to: null,
      }),
      '2 notes recorded after this backup will no longer exist.',
    );
  });
});
