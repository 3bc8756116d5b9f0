// Issue 11: an app Coffre did not write, declared in a profile FILE. The
// schema is made here: no foreign keys (a relation declared instead), rows
// deleted by a tombstone column, its schema version in a migrations table
// (user_version stays 0), its version in a table, seed rows a fresh install
// has, a cache file and a cache table, and sync state reset after a restore.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { BackupCenter, isCoffreError, type ArchiveHeader } from '../../src/index.js';
import { validateConfig } from '../../src/state/config.js';
import { removeDir, tempDir } from '../helpers.js';

const SCHEMA = `
CREATE TABLE __migrations__ (id INTEGER PRIMARY KEY);
CREATE TABLE app_info (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE seed_categories (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE customers (id TEXT PRIMARY KEY, name TEXT, deleted INTEGER NOT NULL DEFAULT 0);
CREATE TABLE orders (id TEXT PRIMARY KEY, customer TEXT, total INTEGER, created_at TEXT, deleted INTEGER NOT NULL DEFAULT 0);
CREATE TABLE sync_messages (id INTEGER PRIMARY KEY, payload TEXT);
CREATE TABLE computed_cache (key TEXT PRIMARY KEY, value TEXT);
INSERT INTO __migrations__ VALUES (1), (2), (3);
INSERT INTO app_info VALUES ('version', 'shop 7.2.0');
INSERT INTO seed_categories (name) VALUES ('food'), ('drinks'), ('other');
`;

const PROFILE = {
  name: 'shop',
  label: 'The corner shop app',
  headline: { table: 'orders', label: 'orders' },
  filesLabel: 'attachments',
  sections: [
    { name: 'customers', label: 'Customers', tables: ['customers'] },
    { name: 'orders', label: 'Orders', tables: ['orders', 'loyalty_cards'] },
    {
      name: 'setup',
      label: 'Setup (categories, versions, settings)',
      tables: ['seed_categories', 'app_info', '__migrations__', 'computed_cache'],
      settings: true,
    },
    { name: 'attachments', label: 'Attachments', tables: [], files: true },
  ],
  relations: [{ child: 'orders.customer', parent: 'customers.id' }],
  tombstones: { customers: 'deleted = 1', orders: 'deleted = 1' },
  schemaVersion: { query: 'SELECT max(id) FROM __migrations__' },
  appVersion: { query: "SELECT value FROM app_info WHERE key = 'version'" },
  freshInstall: { rows: { __migrations__: 100, app_info: 5, seed_categories: 10 } },
  caches: { files: ['shop.cache'], tables: ['computed_cache'] },
  syncReset: {
    statements: ['DELETE FROM sync_messages'],
    settings: { unset: ['lastSync'], set: { syncGroup: null } },
    message: 'upload the shop to the sync server again.',
  },
  mustClose: true,
};

interface App {
  dir: string;
  db: string;
  files: string;
  settings: string;
  home: string;
}

function exec(db: string, sql: string): void {
  const h = new Database(db);
  try {
    h.exec(sql);
  } finally {
    h.close();
  }
}

function value(db: string, sql: string): unknown {
  const h = new Database(db, { readonly: true });
  try {
    return (h.prepare(sql).raw().get() as unknown[] | undefined)?.[0];
  } finally {
    h.close();
  }
}

function makeApp(root: string, name: string, data: boolean): App {
  const dir = path.join(root, `${name}-app`);
  const files = path.join(dir, 'attachments');
  fs.mkdirSync(files, { recursive: true });
  const db = path.join(dir, 'shop.db');
  exec(db, SCHEMA);
  if (data) {
    exec(
      db,
      `INSERT INTO customers VALUES ('c1', 'Ana', 0), ('c2', 'Ben', 0), ('c3', 'Cy', 0), ('c0', 'Gone', 1);
       INSERT INTO orders VALUES ('o1', 'c1', 500, '2026-11-01', 0), ('o2', 'c2', 700, '2026-11-02', 0);
       INSERT INTO sync_messages (payload) VALUES ('m1'), ('m2');`,
    );
    fs.writeFileSync(path.join(files, 'a.txt'), 'first');
    fs.writeFileSync(path.join(files, 'b.txt'), 'second');
  }
  const settings = path.join(dir, 'settings.json');
  fs.writeFileSync(
    settings,
    JSON.stringify({ theme: 'dark', syncGroup: 'g-42', lastSync: 1234 }) + '\n',
  );
  return { dir, db, files, settings, home: path.join(root, `${name}-home`) };
}

describe('an app declared in a profile file (issue 11)', () => {
  const root = tempDir();
  const profileFile = path.join(root, 'shop-profile.json');
  const shop = makeApp(root, 'shop', true);
  let center: BackupCenter;
  let backupId: string;
  let backupArchive: string;

  before(async () => {
    fs.writeFileSync(profileFile, JSON.stringify(PROFILE, null, 2));
    const c = await BackupCenter.init({
      home: shop.home,
      name: 'Corner shop',
      profileFile,
      database: shop.db,
      files: shop.files,
      settings: shop.settings,
    });
    c.close();
    // The declaration lives in the config, which loads again.
    center = await BackupCenter.open(shop.home);
  });
  after(() => {
    center.close();
    removeDir(root);
  });

  it('is kept in the config, and `profile check` runs it against the live database', () => {
    assert.equal(center.configuration.source.profile, 'shop');
    assert.equal(center.configuration.profiles.shop?.label, PROFILE.label);
    exec(shop.db, "INSERT INTO orders VALUES ('o-ghost', 'nobody', 1, '2026-11-03', 0)");
    const check = center.checkProfile();
    exec(shop.db, "DELETE FROM orders WHERE id = 'o-ghost'");
    assert.deepEqual(check.unknownTables, ['loyalty_cards']);
    assert.deepEqual(check.unnamedTables, ['sync_messages']);
    assert.deepEqual(check.relations, [
      { child: 'orders.customer', parent: 'customers.id', rows: 1 },
    ]);
    assert.equal(check.schemaVersion, 3);
    assert.deepEqual(check.appVersion, { value: 'shop 7.2.0', detected: true });
    // The ghost order counts: it is still there while the check runs.
    assert.deepEqual(check.beyondFreshInstall, { customers: 3, orders: 3, sync_messages: 2 });
    assert.equal(check.ok, false);
  });

  it('backs up with the schema version of the migrations table, the app version read, real rows only', async () => {
    const b = await center.backup({ note: 'base' });
    backupId = b.id;
    const archive = path.join(shop.home, 'backups', b.archive);
    const header = (
      JSON.parse(fs.readFileSync(`${archive}.coffre.json`, 'utf8')) as { header: ArchiveHeader }
    ).header;
    backupArchive = archive;
    assert.equal(header.app.schemaVersion, 3);
    assert.equal(value(shop.db, 'PRAGMA user_version'), 0);
    assert.equal(header.app.version, 'shop 7.2.0');
    const customers = header.sections.find((s) => s.name === 'customers');
    assert.deepEqual(customers?.tables, { customers: 3 }, 'the tombstoned customer does not count');
    assert.equal((await center.status()).source.headline?.count, 2);
  });

  it('counts what a restore loses in every table, by section, tombstones left out, and the files', async () => {
    exec(
      shop.db,
      `INSERT INTO customers VALUES ('c4', 'Dee', 0), ('c5', 'Eve', 0), ('c6', 'Flo', 1);
       INSERT INTO orders VALUES ('o3', 'c4', 900, '2026-11-20', 0);`,
    );
    fs.writeFileSync(path.join(shop.files, 'c.txt'), 'new');
    fs.writeFileSync(path.join(shop.files, 'a.txt'), 'FIRST');
    fs.rmSync(path.join(shop.files, 'b.txt'));
    const r = await center.restore(backupId, { confirm: () => false });
    assert.equal(r.applied, false);
    const losses = r.plan.losses.map((l) => [l.sectionLabel, l.table, l.label, l.rows]);
    assert.deepEqual(losses, [
      ['Orders', 'orders', 'orders', 1],
      ['Customers', 'customers', 'rows of customers', 2],
    ]);
    assert.equal(r.plan.losses[0]?.from, '2026-11-20');
    assert.deepEqual(r.plan.fileChanges && { ...r.plan.fileChanges, examples: undefined }, {
      added: 1,
      removed: 1,
      changed: 1,
      examples: undefined,
    });
    assert.deepEqual(r.plan.fileChanges?.examples.added, ['c.txt']);
    assert.equal(r.plan.app.mustClose, true);
    assert.ok(r.plan.notes.some((n) => n.includes('upload the shop to the sync server again')));
  });

  it('checks the declared relation in a section restore, as a foreign key', async () => {
    // Order o3 points to customer c4, which the backup does not have.
    await assert.rejects(
      center.restore(backupId, { sections: ['customers'] }),
      (err: unknown) =>
        isCoffreError(err, 'RESTORE_CONFLICT') &&
        /orders would point to customers/.test(err.message),
    );
    assert.equal(value(shop.db, "SELECT count(*) FROM customers WHERE id = 'c4'"), 1);
  });

  it('after a restore drops the caches and resets the sync state, and says what to do next', async () => {
    fs.writeFileSync(path.join(shop.dir, 'shop.cache'), 'stale figures');
    exec(
      shop.db,
      "INSERT INTO computed_cache VALUES ('total', '999'); INSERT INTO sync_messages (payload) VALUES ('m3')",
    );
    const r = await center.restore(backupId);
    assert.equal(r.applied, true);
    assert.equal(fs.existsSync(path.join(shop.dir, 'shop.cache')), false);
    assert.equal(value(shop.db, 'SELECT count(*) FROM computed_cache'), 0);
    assert.equal(value(shop.db, 'SELECT count(*) FROM sync_messages'), 0);
    assert.deepEqual(JSON.parse(fs.readFileSync(shop.settings, 'utf8')), {
      theme: 'dark',
      syncGroup: null,
    });
    assert.deepEqual(r.after?.cachesDropped.sort(), ['computed_cache', 'shop.cache']);
    assert.deepEqual(
      r.after?.nextSteps.map((s) => s.code),
      ['RESTART_APP', 'RESYNC'],
    );
    assert.equal(value(shop.db, 'SELECT count(*) FROM customers'), 4);
    assert.equal(value(shop.db, 'PRAGMA user_version'), 0);
  });

  it('refuses a backup from a newer schema (its migrations table), SCHEMA_TOO_NEW', async () => {
    exec(shop.db, 'INSERT INTO __migrations__ VALUES (4)');
    const newer = await center.backup({ note: 'app 8 schema' });
    exec(shop.db, 'DELETE FROM __migrations__ WHERE id = 4');
    await assert.rejects(
      center.restore(newer.id, { confirm: () => true }),
      (err: unknown) => isCoffreError(err, 'SCHEMA_TOO_NEW') && err.details.backup === 4,
    );
  });

  it('adopts on a fresh install holding only its seed rows, and asks consent over data', async () => {
    const fresh = makeApp(root, 'fresh', false);
    const c = await BackupCenter.init({
      home: fresh.home,
      name: 'new machine',
      profileFile,
      database: fresh.db,
      files: fresh.files,
      settings: fresh.settings,
    });
    try {
      const r = await c.restore(backupArchive, { adopt: true });
      assert.equal(r.applied, true);
      assert.equal(r.plan.adopt?.replacesData, null);
      assert.match(r.plan.adopt?.keyFingerprint ?? '', /\w/);
      assert.equal(c.identity.id, center.identity.id);
    } finally {
      c.close();
    }

    const used = makeApp(root, 'used', false);
    exec(used.db, "INSERT INTO customers VALUES ('x1', 'Own customer', 0)");
    const u = await BackupCenter.init({
      home: used.home,
      name: 'used machine',
      profileFile,
      database: used.db,
      files: used.files,
      settings: used.settings,
    });
    try {
      await assert.rejects(
        u.restore(backupArchive, { adopt: true }),
        (err: unknown) =>
          isCoffreError(err, 'FOREIGN_REGISTER') &&
          err.details.notFresh === true &&
          (err.details.data as Record<string, number>).customers === 1,
      );
      const ownId = u.identity.id;
      assert.notEqual(ownId, center.identity.id);
      let seen: unknown = null;
      const r = await u.restore(backupArchive, {
        adopt: true,
        replaceData: true,
        confirm: (plan) => {
          seen = plan.adopt?.replacesData;
          return true;
        },
      });
      assert.deepEqual(seen, { customers: 1 });
      assert.equal(r.applied, true);
      assert.equal(u.identity.id, center.identity.id);
    } finally {
      u.close();
    }
  });
});

describe('declared profiles in the config (issue 11)', () => {
  const root = tempDir();
  after(() => removeDir(root));
  const base = { version: 1, source: { profile: 'pos', database: '/srv/pos.db' } };

  it('loads a config older than declared profiles', () => {
    const r = validateConfig(base);
    assert.equal(r.ok, true);
    assert.deepEqual(r.ok && r.config.profiles, {});
  });

  it('names the valid keys and profiles in its errors', () => {
    const misspelt = { ...PROFILE, tombstone: {} };
    const r = validateConfig({
      ...base,
      source: { ...base.source, profile: 'shop' },
      profiles: { shop: misspelt },
    });
    assert.equal(r.ok, false);
    assert.ok(
      !r.ok && r.errors.some((e) => /profiles\.shop.*"tombstone".*tombstones/.test(e)),
      JSON.stringify(r),
    );
    const unknown = validateConfig({ ...base, source: { ...base.source, profile: 'shopp' } });
    assert.ok(
      !unknown.ok &&
        unknown.errors.some((e) =>
          /no profile named "shopp".*pos, accounting, generic, actual/.test(e),
        ),
    );
    const shadow = validateConfig({ ...base, profiles: { pos: { ...PROFILE, name: 'pos' } } });
    assert.ok(!shadow.ok && shadow.errors.some((e) => /"pos" is a built-in profile/.test(e)));
    const twice = validateConfig({
      ...base,
      profiles: {
        shop: {
          ...PROFILE,
          sections: [...PROFILE.sections, { name: 'again', label: 'x', tables: ['customers'] }],
        },
      },
    });
    assert.ok(
      !twice.ok &&
        twice.errors.some((e) => /"customers" is already in section "customers"/.test(e)),
    );
  });

  it('init refuses layouts that cannot work, and accepts sources not there yet', async () => {
    const app = path.join(root, 'app');
    fs.mkdirSync(path.join(app, 'files'), { recursive: true });
    const layout = async (o: { db: string; files: string; settings?: string; home?: string }) =>
      BackupCenter.init({
        home: o.home ?? path.join(root, `home-${Math.random().toString(36).slice(2)}`),
        name: 'x',
        profile: 'generic',
        database: o.db,
        files: o.files,
        settings: o.settings ?? null,
      });
    const refused = (problem: string) => (err: unknown) =>
      isCoffreError(err, 'USAGE') &&
      (err.details.problems as { code: string }[]).some((p) => p.code === problem);
    await assert.rejects(
      layout({ db: path.join(app, 'files', 'app.db'), files: path.join(app, 'files') }),
      refused('FILES_HOLD_DATABASE'),
    );
    await assert.rejects(
      layout({ db: path.join(app, 'app.db'), files: app }),
      refused('FILES_HOLD_DATABASE'),
    );
    await assert.rejects(
      layout({
        db: path.join(app, 'app.db'),
        files: path.join(app, 'files'),
        settings: path.join(app, 'files', 'settings.json'),
      }),
      refused('SETTINGS_IN_FILES'),
    );
    await assert.rejects(
      layout({
        db: path.join(app, 'app.db'),
        files: path.join(app, 'files'),
        home: path.join(app, 'files', 'coffre'),
      }),
      refused('FILES_HOLD_HOME'),
    );
    // A new machine before the app's first start: nothing there yet.
    const later = path.join(root, 'later');
    const c = await layout({
      db: path.join(later, 'app.db'),
      files: path.join(later, 'files'),
      settings: path.join(later, 'settings.json'),
    });
    try {
      assert.deepEqual(
        c.checkProfile().missing.map((m) => m.what),
        ['database', 'files', 'settings'],
      );
    } finally {
      c.close();
    }
  });
});
