// The built-in demo apps Coffre protects when no real app is at hand: a
// French bakery-grocery's cash register ("pos") and a small company's books
// ("accounting"). Each is a real SQLite database in WAL mode with foreign keys,
// a folder of real image files and a settings file, laid out the way such apps
// keep them. Everything comes from a seeded PRNG and fixed dates, so two runs
// with the same seed give identical images and identical `.dump` output, and
// the same code scales from the default few hundred receipts to benchmark
// sizes (millions of receipts, hundreds of megabytes of images).
//
// Receipts are hash-chained like a certified register's: each receipt's hash
// covers its fields, its lines and the previous receipt's hash, so that any
// edit or deletion of a past sale is detectable. The hash and its check live
// in core/fiscal/ (the `pos` recipe's formats); this file only writes data.

import { createHash, pbkdf2Sync } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { CoffreError } from '../core/errors.js';
import { checkChain, recordHash, type ChainRecord } from '../core/fiscal/chain.js';
import {
  POS_CLOSING_CHAIN,
  POS_EVENT_CHAIN,
  POS_GENESIS,
  POS_RECEIPT_CHAIN,
  POS_RECEIPT_LINE_FIELDS,
} from '../core/fiscal/pos.js';
import { Rng, generatePng, subSeed, type ImageKind } from './images.js';

export interface DemoOptions {
  dir: string;
  profile: 'pos' | 'accounting';
  /** pos: receipts (default 255); accounting: invoices (default 120). */
  receipts?: number;
  /** pos: product images (default 244); accounting: scanned receipts (default 60). */
  images?: number;
  /** Range of image file sizes in bytes. */
  imageBytes?: [min: number, max: number];
  seed?: number;
  /**
   * pos: the number of opening days the sales are spread over, ending the
   * day before the demo's "today" (default: a few weeks, more at benchmark
   * sizes). Each day is closed (Z), each month and year too.
   */
  days?: number;
}

export interface DemoData {
  dbPath: string;
  filesDir: string;
  settingsPath: string;
  /** Rows per table, plus `files`: the number of files written. */
  counts: Record<string, number>;
}

/** What the first receipt chains to, as a fiscal register's initial value. */
export const GENESIS_HASH = POS_GENESIS;

const DEFAULTS = {
  pos: { receipts: 255, images: 244, db: 'register.db', files: 'images' },
  accounting: { receipts: 120, images: 60, db: 'books.db', files: 'attachments' },
} as const;
const DEFAULT_IMAGE_BYTES: [number, number] = [4_000, 40_000];
const DEFAULT_SEED = 20261120;
const SETTINGS_FILE = 'settings.json';
/** Demo "today": the data ends the day before. */
const END_DAY = Date.UTC(2026, 10, 20);
const DAY_MS = 86_400_000;
/** Bulk inserts are committed in batches this big: few, large transactions. */
const RECEIPTS_PER_TRANSACTION = 50_000;
/** Images written concurrently while the next ones are drawn. */
const PENDING_WRITES = 8;

export async function createDemoData(opts: DemoOptions): Promise<DemoData> {
  const defaults = DEFAULTS[opts.profile];
  if (defaults === undefined) {
    throw new CoffreError('USAGE', `Unknown demo profile "${String(opts.profile)}".`);
  }
  const receipts = count(opts.receipts ?? defaults.receipts, 'receipts');
  const images = count(opts.images ?? defaults.images, 'images');
  const [minBytes, maxBytes] = opts.imageBytes ?? DEFAULT_IMAGE_BYTES;
  if (!(minBytes > 0 && maxBytes >= minBytes)) {
    throw new CoffreError('USAGE', `Invalid image size range ${minBytes}..${maxBytes}.`);
  }
  const seed = (opts.seed ?? DEFAULT_SEED) >>> 0;
  const days = opts.days === undefined ? undefined : count(opts.days, 'days');
  if (days === 0) throw new CoffreError('USAGE', 'The sales need at least one day.');
  await prepareEmptyDir(opts.dir);

  const dbPath = join(opts.dir, defaults.db);
  const filesDir = join(opts.dir, defaults.files);
  const settingsPath = join(opts.dir, SETTINGS_FILE);
  await mkdir(filesDir, { recursive: true });

  const db = new Database(dbPath);
  let files: PlannedFile[];
  try {
    beginBulkLoad(db);
    files =
      opts.profile === 'pos'
        ? buildRegister(db, seed, receipts, images, days)
        : buildBooks(db, seed, receipts, images);
    await writeImages(db, opts.profile, filesDir, files, seed, minBytes, maxBytes);
    endBulkLoad(db);
  } catch (err) {
    db.close();
    throw err;
  }
  const counts = tableCounts(db);
  db.close();
  counts.files = files.length;
  const settings = opts.profile === 'pos' ? registerSettingsFile() : booksSettingsFile();
  await writeFile(settingsPath, JSON.stringify(settings, null, 2) + '\n');
  return { dbPath, filesDir, settingsPath, counts };
}

function count(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new CoffreError('USAGE', `The number of ${what} must be a whole number ≥ 0.`);
  }
  return value;
}

async function prepareEmptyDir(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      await mkdir(dir, { recursive: true });
      return;
    }
    throw new CoffreError(
      'USAGE',
      `Cannot create the demo data in ${dir}: ${code ?? String(err)}.`,
      {
        cause: err,
        details: { path: dir },
      },
    );
  }
  if (entries.length > 0) {
    throw new CoffreError('USAGE', `${dir} already holds data; the demo needs an empty folder.`, {
      details: { path: dir },
    });
  }
}

function beginBulkLoad(db: Database.Database): void {
  // Durability is pointless while the file is being created from scratch:
  // a crash leaves a half-built demo either way. Foreign keys are declared in
  // the schema and hold by construction; checking them would cost two
  // parent lookups per inserted line (the tests run foreign_key_check).
  db.pragma('journal_mode = MEMORY');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  db.pragma('foreign_keys = OFF');
}

function endBulkLoad(db: Database.Database): void {
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = FULL');
  db.pragma('cache_size = -2000');
  db.pragma('journal_mode = WAL');
  db.pragma('wal_checkpoint(TRUNCATE)');
}

function tableCounts(db: Database.Database): Record<string, number> {
  const names = db
    .prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .pluck()
    .all() as string[];
  const counts: Record<string, number> = {};
  for (const name of names) {
    counts[name] = db
      .prepare(`SELECT count(*) FROM "${name.replace(/"/g, '""')}"`)
      .pluck()
      .get() as number;
  }
  return counts;
}

// ------------------------------------------------------------------ images

/** A file the database already points to, to be drawn and written. */
interface PlannedFile {
  path: string;
  /** For accounting attachments: the row to complete with size and digest. */
  attachmentId?: number;
}

async function writeImages(
  db: Database.Database,
  profile: 'pos' | 'accounting',
  filesDir: string,
  files: PlannedFile[],
  seed: number,
  minBytes: number,
  maxBytes: number,
): Promise<void> {
  const kind: ImageKind = profile === 'pos' ? 'product' : 'receipt';
  const sizes = new Rng(subSeed(seed, 7));
  const digests: [size: number, sha256: string, id: number][] = [];
  const madeDirs = new Set<string>();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    const target = Math.round(sizes.range(minBytes, maxBytes));
    const png = generatePng({ targetBytes: target, seed: subSeed(seed, 1_000_000 + i), kind });
    if (file.attachmentId !== undefined) digests.push([png.length, sha256(png), file.attachmentId]);
    const full = join(filesDir, file.path);
    const parent = dirname(full);
    if (!madeDirs.has(parent)) {
      await mkdir(parent, { recursive: true });
      madeDirs.add(parent);
    }
    const written = writeFile(full, png);
    // Awaited below; until then a failure must not count as unhandled.
    written.catch(() => undefined);
    pending.push(written);
    if (pending.length >= PENDING_WRITES) await pending.shift();
  }
  await Promise.all(pending);
  if (digests.length > 0) {
    const complete = db.prepare('UPDATE attachments SET size_bytes = ?, sha256 = ? WHERE id = ?');
    db.transaction(() => {
      for (const d of digests) complete.run(...d);
    })();
  }
}

// ------------------------------------------------------------------ register (pos)

const REGISTER_SCHEMA = `
CREATE TABLE categories (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  color TEXT NOT NULL,
  position INTEGER NOT NULL
);
CREATE TABLE products (
  id INTEGER PRIMARY KEY,
  category_id INTEGER NOT NULL REFERENCES categories(id),
  name TEXT NOT NULL,
  barcode TEXT UNIQUE,
  price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
  -- VAT in basis points: 550 is France's 5.5 % rate on food.
  vat_rate_bp INTEGER NOT NULL CHECK (vat_rate_bp IN (0, 210, 550, 1000, 2000)),
  -- Path of the photo inside the images folder.
  image TEXT,
  active INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL
);
CREATE INDEX products_category ON products(category_id);
CREATE TABLE employees (
  id INTEGER PRIMARY KEY,
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL,
  role TEXT NOT NULL,
  pin_hash TEXT NOT NULL, -- pbkdf2-sha256$iterations$salt$hash
  active INTEGER NOT NULL DEFAULT 1,
  hired_on TEXT NOT NULL
);
CREATE TABLE rights (
  employee_id INTEGER NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
  permission TEXT NOT NULL,
  PRIMARY KEY (employee_id, permission)
);
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE layouts (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  grid_columns INTEGER NOT NULL,
  grid_rows INTEGER NOT NULL,
  is_default INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE layout_buttons (
  id INTEGER PRIMARY KEY,
  layout_id INTEGER NOT NULL REFERENCES layouts(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  product_id INTEGER NOT NULL REFERENCES products(id),
  label TEXT NOT NULL,
  color TEXT NOT NULL,
  UNIQUE (layout_id, position)
);
CREATE TABLE receipts (
  id INTEGER PRIMARY KEY,
  number INTEGER NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  employee_id INTEGER NOT NULL REFERENCES employees(id),
  item_count INTEGER NOT NULL,
  total_cents INTEGER NOT NULL,
  vat_cents INTEGER NOT NULL, -- the VAT included in total_cents
  -- SHA-256 chain: hash covers this row, its lines and previous_hash.
  previous_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TABLE receipt_lines (
  id INTEGER PRIMARY KEY,
  receipt_id INTEGER NOT NULL REFERENCES receipts(id),
  line_no INTEGER NOT NULL,
  product_id INTEGER NOT NULL REFERENCES products(id),
  label TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  unit_price_cents INTEGER NOT NULL,
  vat_rate_bp INTEGER NOT NULL,
  total_cents INTEGER NOT NULL,
  UNIQUE (receipt_id, line_no)
);
CREATE TABLE payments (
  id INTEGER PRIMARY KEY,
  receipt_id INTEGER NOT NULL REFERENCES receipts(id),
  method TEXT NOT NULL CHECK (method IN ('cash', 'card')),
  amount_cents INTEGER NOT NULL,
  tendered_cents INTEGER,
  change_cents INTEGER
);
CREATE INDEX payments_receipt ON payments(receipt_id);
-- Closings (Z for a day, then month and year), chained like the receipts.
CREATE TABLE closings (
  id INTEGER PRIMARY KEY,
  number INTEGER NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('day', 'month', 'year')),
  period TEXT NOT NULL, -- 2026-11-19, 2026-11 or 2026
  closed_at TEXT NOT NULL,
  receipt_count INTEGER NOT NULL,
  total_cents INTEGER NOT NULL,
  vat_cents INTEGER NOT NULL,
  totals_by_vat TEXT NOT NULL, -- JSON: VAT rate (basis points) -> total including VAT
  totals_by_method TEXT NOT NULL, -- JSON: payment method -> amount
  grand_total_cents INTEGER NOT NULL, -- perpetual grand total since the register started
  previous_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  UNIQUE (kind, period)
);
-- The journal of technical events, chained.
CREATE TABLE fiscal_events (
  id INTEGER PRIMARY KEY,
  number INTEGER NOT NULL UNIQUE,
  at TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('sign-in', 'void', 'reprint', 'closing', 'software-update')),
  employee_id INTEGER REFERENCES employees(id),
  detail TEXT NOT NULL,
  previous_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
`;

interface CategoryDef {
  name: string;
  color: string;
  vat: number;
  /** Packaged goods carry a manufacturer's EAN; bakery items an in-store code. */
  packaged: boolean;
  /** [name, price in cents, variants?]: each variant makes its own product. */
  items: [string, number, string[]?][];
}

const CATEGORIES: CategoryDef[] = [
  {
    name: 'Boulangerie',
    color: '#C8903C',
    vat: 550,
    packaged: false,
    items: [
      ['Baguette tradition', 130],
      ['Baguette classique', 110],
      ['Pain de campagne', 350],
      ['Pain complet', 320],
      ['Pain aux céréales', 380],
      ['Ficelle', 110],
      ['Pain de seigle', 360],
      ['Fougasse aux olives', 420],
      ['Pain aux noix', 450],
      ["Pavé d'épeautre", 390],
      ['Pain de mie', 290],
      ['Baguette viennoise', 150],
    ],
  },
  {
    name: 'Viennoiseries',
    color: '#E0B050',
    vat: 550,
    packaged: false,
    items: [
      ['Croissant', 120],
      ['Pain au chocolat', 135],
      ['Pain aux raisins', 160],
      ['Chausson aux pommes', 170],
      ['Brioche au sucre', 180],
      ['Croissant aux amandes', 230],
      ['Kouign-amann', 260],
      ['Brioche tressée', 650],
    ],
  },
  {
    name: 'Pâtisseries',
    color: '#D96A8A',
    vat: 550,
    packaged: false,
    items: [
      ['Éclair', 350, ['chocolat', 'café', 'vanille']],
      ['Tarte aux fraises', 420],
      ['Tarte au citron meringuée', 390],
      ['Flan pâtissier', 280],
      ['Paris-Brest', 420],
      ['Mille-feuille', 380],
      ['Opéra', 420],
      ['Macaron', 120, ['framboise', 'pistache', 'chocolat', 'citron', 'caramel', 'vanille']],
      ['Cannelé', 190],
      ['Financier', 150],
    ],
  },
  {
    name: 'Boissons chaudes',
    color: '#6B4A3A',
    vat: 1000,
    packaged: false,
    items: [
      ['Café expresso', 150],
      ['Café allongé', 180],
      ['Café crème', 250],
      ['Cappuccino', 320],
      ['Chocolat chaud', 300],
      ['Thé', 250, ['Earl Grey', 'vert à la menthe', 'rooibos', 'Darjeeling']],
    ],
  },
  {
    name: 'Boissons fraîches',
    color: '#3A8FD9',
    vat: 550,
    packaged: true,
    items: [
      ['Eau minérale 50 cl', 120],
      ['Eau pétillante 50 cl', 140],
      ["Jus d'orange 25 cl", 280],
      ['Limonade artisanale 33 cl', 290],
      ['Jus de pomme bio 1 L', 390],
      ['Thé glacé pêche 33 cl', 250],
    ],
  },
  {
    name: 'Cave',
    color: '#7A1F3D',
    vat: 2000,
    packaged: true,
    items: [
      ['Cidre brut 75 cl', 590],
      ['Bière blonde artisanale 33 cl', 350],
      ['Côtes-du-Rhône rouge 75 cl', 990],
      ['Crémant de Loire 75 cl', 1390],
    ],
  },
  {
    name: 'Épicerie fine',
    color: '#8AA63A',
    vat: 550,
    packaged: true,
    items: [
      [
        'Confiture 370 g',
        550,
        ['fraise', 'abricot', 'framboise', 'figue', 'orange amère', 'cerise noire', 'myrtille'],
      ],
      ['Miel 250 g', 790, ['de lavande', "d'acacia", 'de châtaignier', 'toutes fleurs']],
      ["Huile d'olive vierge extra 50 cl", 1190],
      ['Pâtes artisanales 500 g', 350, ['fusilli', 'penne', 'tagliatelles', 'coquillettes']],
      ['Biscuits 200 g', 420, ['sablés au beurre', 'galettes bretonnes', 'palets', 'croquants']],
      ['Chocolat 100 g', 390, ['noir 70 %', 'noir 85 %', 'au lait', 'noisettes entières']],
      ['Thé en vrac 100 g', 690, ['Earl Grey', 'vert jasmin', 'rooibos', 'menthe']],
      ['Café en grains 250 g', 890, ['Éthiopie', 'Colombie', 'Brésil', 'décaféiné']],
      ['Sel de Guérande 250 g', 420],
      ['Moutarde de Dijon 210 g', 290],
      ['Terrine 180 g', 650, ['de campagne', 'de canard', 'de sanglier']],
      ["Sardines à l'huile 115 g", 450],
      ['Caramel au beurre salé 220 g', 590],
    ],
  },
  {
    name: 'Crèmerie',
    color: '#F2E6B0',
    vat: 550,
    packaged: true,
    items: [
      ['Comté 18 mois 200 g', 620],
      ['Beurre demi-sel 250 g', 390],
      ['Yaourts x4', 290, ['nature', 'vanille', 'fraise', 'citron']],
      ['Camembert 250 g', 450],
      ['Tomme de Savoie 200 g', 540],
      ['Crème fraîche 20 cl', 260],
      ['Œufs plein air x6', 320],
      ['Lait entier 1 L', 150],
    ],
  },
  {
    name: 'Snacking',
    color: '#E07A3A',
    vat: 1000,
    packaged: false,
    items: [
      ['Sandwich jambon-beurre', 450],
      ['Sandwich poulet-crudités', 520],
      ['Sandwich thon-mayonnaise', 490],
      ['Quiche lorraine', 420],
      ['Croque-monsieur', 450],
      ['Salade composée', 650],
      ['Wrap végétarien', 550],
      ['Formule déjeuner', 990],
      ['Soupe du jour', 450],
    ],
  },
  {
    name: 'Presse',
    color: '#777777',
    vat: 210,
    packaged: true,
    items: [
      ['Quotidien régional', 140],
      ['Hebdomadaire', 350],
      ['Magazine de cuisine', 590],
    ],
  },
  {
    name: 'Maison & cadeaux',
    color: '#5A5AA0',
    vat: 2000,
    packaged: true,
    items: [
      ['Sac cabas', 150],
      ['Tote bag Boulangerie Martin', 990],
      ['Bougie parfumée', 1290],
      ['Carte postale', 150],
      ['Torchon brodé', 890],
      ['Boîte à biscuits en métal', 1590],
      ['Mug', 1090],
    ],
  },
];

/** Extra editions of packaged goods, for catalogs larger than the base list. */
const EDITIONS = (
  'bio|format familial|édition de Noël|lot de 2|sans sucres ajoutés|mini|coffret cadeau|' +
  'recette traditionnelle|édition limitée|grand format|éco-recharge|origine France'
).split('|');

const ALL_RIGHTS =
  'sell refund discount open_drawer close_register view_reports edit_catalog manage_employees';
/** [first name, last name, role, active, rights]. */
const EMPLOYEES: [string, string, string, boolean, string][] = [
  ['Sophie', 'Martin', 'gérante', true, ALL_RIGHTS],
  [
    'Thomas',
    'Girard',
    'responsable de boutique',
    true,
    ALL_RIGHTS.split(' ').slice(0, 6).join(' '),
  ],
  ['Camille', 'Roux', 'vendeuse', true, 'sell discount open_drawer'],
  ['Lucas', 'Fontaine', 'vendeur', true, 'sell open_drawer'],
  ['Inès', 'Benali', 'vendeuse', true, 'sell open_drawer'],
  ['Hugo', 'Lemaire', 'apprenti', false, 'sell'],
];

const REGISTER_SETTINGS: [string, string][] = [
  ['shop.name', 'Boulangerie Martin'],
  ['shop.address', '12 place du Marché, 69002 Lyon'],
  ['shop.siret', '81234567800021'],
  ['shop.vat_number', 'FR42812345678'],
  ['shop.phone', '04 78 12 34 56'],
  ['register.id', 'CAISSE-01'],
  ['register.currency', 'EUR'],
  ['register.fiscal_genesis', GENESIS_HASH],
  ['receipt.header', 'Boulangerie Martin - Artisan boulanger depuis 1987'],
  ['receipt.footer', 'Merci de votre visite ! À bientôt.'],
  ['receipt.print_vat_summary', 'true'],
  ['drawer.open_on_cash', 'true'],
  ['card.terminal', 'TPE-ING-MOVE5000'],
  ['opening_hours', 'Lun-Sam 7h00-19h30'],
];

interface CatalogItem {
  id: number;
  name: string;
  price: number;
  vat: number;
}

/** Fills the register's database; returns the product images to draw. */
function buildRegister(
  db: Database.Database,
  seed: number,
  receiptCount: number,
  imageCount: number,
  dayCount: number | undefined,
): PlannedFile[] {
  db.exec(REGISTER_SCHEMA);
  const rng = new Rng(subSeed(seed, 1));
  const files: PlannedFile[] = [];
  const catalog: CatalogItem[] = [];

  db.transaction(() => {
    const addCategory = db.prepare(
      'INSERT INTO categories (id, name, color, position) VALUES (?, ?, ?, ?)',
    );
    CATEGORIES.forEach((c, i) => addCategory.run(i + 1, c.name, c.color, i + 1));

    const addProduct = db.prepare(
      `INSERT INTO products (id, category_id, name, barcode, price_cents, vat_rate_bp, image, active, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const barcodes = new Set<string>();
    // At least the whole base catalog, so that sales look the same whatever
    // the number of images; one product per image beyond that.
    const plan = planProducts(imageCount);
    plan.forEach((p, i) => {
      const id = i + 1;
      const category = CATEGORIES[p.category];
      let barcode: string;
      if (category.packaged) {
        do barcode = ean13('3' + digits(rng, 11));
        while (barcodes.has(barcode));
      } else {
        // In-store codes (prefix 2) for goods weighed or made on the premises.
        barcode = ean13('20' + String(id).padStart(10, '0'));
      }
      barcodes.add(barcode);
      let image: string | null = null;
      if (i < imageCount) {
        image = `${slug(category.name)}/${slug(p.name)}-${id}.png`;
        files.push({ path: image });
      }
      const active = rng.chance(0.96) ? 1 : 0;
      const createdAt = isoSeconds(Date.UTC(2023, 2, 1, 7) + Math.floor(i / 3) * DAY_MS);
      addProduct.run(
        id,
        p.category + 1,
        p.name,
        barcode,
        p.price,
        category.vat,
        image,
        active,
        createdAt,
      );
      if (active === 1) catalog.push({ id, name: p.name, price: p.price, vat: category.vat });
    });

    const addEmployee = db.prepare(
      `INSERT INTO employees (id, first_name, last_name, role, pin_hash, active, hired_on)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const addRight = db.prepare('INSERT INTO rights (employee_id, permission) VALUES (?, ?)');
    EMPLOYEES.forEach(([first, last, role, active, rights], i) => {
      const pin = digits(rng, 4);
      const hired = isoDate(Date.UTC(2019, 0, 7) + rng.int(0, 2200) * DAY_MS);
      addEmployee.run(i + 1, first, last, role, pinHash(pin, rng), active ? 1 : 0, hired);
      for (const right of rights.split(' ')) addRight.run(i + 1, right);
    });

    const addSetting = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)');
    for (const [key, value] of REGISTER_SETTINGS) addSetting.run(key, value);

    addLayouts(db, plan);
  })();

  // A few weeks for the default demo; up to five years of trading at
  // benchmark sizes, so that a day stays a plausible day.
  const days = openDays(dayCount ?? Math.min(1560, Math.max(24, Math.ceil(receiptCount / 400))));
  addReceipts(db, rng, catalog, receiptCount, days);
  addClosingsAndEvents(db, new Rng(subSeed(seed, 11)), days);
  return files;
}

interface PlannedProduct {
  category: number;
  name: string;
  price: number;
}

/**
 * The catalog in popularity order: the base list (staples first), then
 * editions of packaged goods until there are at least n products.
 */
function planProducts(n: number): PlannedProduct[] {
  const base: PlannedProduct[] = [];
  CATEGORIES.forEach((c, category) => {
    for (const [name, price, variants] of c.items) {
      if (variants === undefined) base.push({ category, name, price });
      else for (const v of variants) base.push({ category, name: withVariant(name, v), price });
    }
  });
  const out = base.slice();
  const packaged = base.filter((p) => CATEGORIES[p.category].packaged);
  for (let round = 0; out.length < n; round++) {
    for (const p of packaged) {
      if (out.length >= n) break;
      const edition = EDITIONS[round % EDITIONS.length];
      const cycle = Math.floor(round / EDITIONS.length);
      const name = `${p.name} ${edition}` + (cycle > 0 ? ` (réf. ${cycle + 1})` : '');
      const price = Math.round((p.price * (1 + ((round % 5) + 1) * 0.15)) / 10) * 10;
      out.push({ category: p.category, name, price });
    }
  }
  return out;
}

/** "Confiture 370 g" + "fraise" → "Confiture fraise 370 g". */
function withVariant(name: string, variant: string): string {
  const m = /^(.*?)( \d.*| x\d+)$/.exec(name);
  return m ? `${m[1]} ${variant}${m[2]}` : `${name} ${variant}`;
}

function addLayouts(db: Database.Database, plan: PlannedProduct[]): void {
  const addLayout = db.prepare(
    'INSERT INTO layouts (id, name, grid_columns, grid_rows, is_default) VALUES (?, ?, ?, ?, ?)',
  );
  const addButton = db.prepare(
    `INSERT INTO layout_buttons (layout_id, position, product_id, label, color) VALUES (?, ?, ?, ?, ?)`,
  );
  const inCategories = (names: string[]): number[] =>
    plan.flatMap((p, i) => (names.includes(CATEGORIES[p.category].name) ? [i + 1] : []));
  const layouts: [string, number, number, number[]][] = [
    ['Comptoir', 6, 5, plan.map((_, i) => i + 1)],
    ['Terrasse', 4, 4, inCategories(['Boissons chaudes', 'Boissons fraîches', 'Pâtisseries'])],
    ['Épicerie', 5, 6, inCategories(['Épicerie fine', 'Crèmerie', 'Cave'])],
  ];
  layouts.forEach(([name, cols, rows, products], i) => {
    addLayout.run(i + 1, name, cols, rows, i === 0 ? 1 : 0);
    products.slice(0, cols * rows).forEach((productId, position) => {
      const p = plan[productId - 1];
      const label = p.name.length > 18 ? p.name.slice(0, 17) + '.' : p.name;
      addButton.run(i + 1, position, productId, label, CATEGORIES[p.category].color);
    });
  });
}

/** Opening days (Monday to Saturday) just before the demo's "today", oldest first. */
function openDays(n: number): number[] {
  const days: number[] = [];
  for (let t = END_DAY - DAY_MS; days.length < n; t -= DAY_MS) {
    if (new Date(t).getUTCDay() !== 0) days.push(t);
  }
  return days.reverse();
}

function addReceipts(
  db: Database.Database,
  rng: Rng,
  catalog: CatalogItem[],
  n: number,
  days: number[],
): void {
  if (n === 0 || catalog.length === 0) return;
  const insert = receiptInserter(db);
  const cashiers = db
    .prepare("SELECT id FROM employees WHERE active = 1 AND role NOT LIKE 'gérant%' ORDER BY id")
    .pluck()
    .all() as number[];
  const manager = db
    .prepare('SELECT id FROM employees ORDER BY id LIMIT 1')
    .pluck()
    .get() as number;
  const opening = 5.5 * 3_600_000; // 06:30 UTC, 07:30 in Lyon
  const openFor = 12 * 3_600_000;
  let previous = GENESIS_HASH;
  let i = 0;
  while (i < n) {
    const end = Math.min(n, i + RECEIPTS_PER_TRANSACTION);
    db.transaction(() => {
      for (; i < end; i++) {
        const day = Math.floor((i * days.length) / n);
        const first = Math.ceil((day * n) / days.length);
        const next = Math.ceil(((day + 1) * n) / days.length);
        const slot = (i - first + rng.float() * 0.9) / (next - first);
        const at = days[day] + opening + Math.floor(slot * openFor);
        const afternoon = slot > 0.5 ? 1 : 0;
        const employee = rng.chance(0.12)
          ? manager
          : cashiers[(day * 2 + afternoon) % cashiers.length];
        const receipt = draftReceipt(rng, catalog, i + 1, isoSeconds(at), employee, previous);
        insert(receipt);
        previous = receipt.hash;
      }
    })();
  }
}

interface ReceiptDraft {
  number: number;
  createdAt: string;
  employeeId: number;
  itemCount: number;
  totalCents: number;
  vatCents: number;
  previousHash: string;
  hash: string;
  /** [line_no, product_id, label, quantity, unit_price_cents, vat_rate_bp, total_cents] */
  lines: [number, number, string, number, number, number, number][];
  payments: [
    method: 'cash' | 'card',
    amount: number,
    tendered: number | null,
    change: number | null,
  ][];
}

function draftReceipt(
  rng: Rng,
  catalog: CatalogItem[],
  number: number,
  createdAt: string,
  employeeId: number,
  previousHash: string,
): ReceiptDraft {
  // Mostly one or two items, sometimes a family's weekend shopping.
  let lineCount = 1;
  while (lineCount < 8 && rng.chance(0.55)) lineCount++;
  lineCount = Math.min(lineCount, catalog.length);
  const lines: ReceiptDraft['lines'] = [];
  const used = new Set<number>();
  let itemCount = 0;
  let totalCents = 0;
  let vatCents = 0;
  while (lines.length < lineCount) {
    // Skewed towards the start of the catalog, where the staples are.
    const index = Math.floor(catalog.length * Math.pow(rng.float(), 2.5));
    if (used.has(index)) continue;
    used.add(index);
    const p = catalog[index];
    const quantity = rng.chance(0.8) ? 1 : rng.int(2, 6);
    const total = p.price * quantity;
    lines.push([lines.length + 1, p.id, p.name, quantity, p.price, p.vat, total]);
    itemCount += quantity;
    totalCents += total;
    // Prices include VAT; the VAT part is what the receipt's summary shows.
    vatCents += Math.round((total * p.vat) / (10_000 + p.vat));
  }
  const hash = receiptHash(
    number,
    createdAt,
    employeeId,
    itemCount,
    totalCents,
    vatCents,
    previousHash,
    lines,
  );
  return {
    number,
    createdAt,
    employeeId,
    itemCount,
    totalCents,
    vatCents,
    previousHash,
    hash,
    lines,
    payments: draftPayments(rng, totalCents),
  };
}

function draftPayments(rng: Rng, total: number): ReceiptDraft['payments'] {
  const cash = (amount: number): ReceiptDraft['payments'][number] => {
    // Customers hand over the exact amount or the next note up.
    let tendered = amount;
    if (!rng.chance(0.3)) {
      const notes = [500, 1000, 2000, 5000].filter((note) => note >= amount / 2);
      const note = notes.length > 0 ? rng.pick(notes) : 5000;
      tendered = Math.ceil(amount / note) * note;
    }
    return ['cash', amount, tendered, tendered - amount];
  };
  if (total >= 1500 && rng.chance(0.03)) {
    const onCard = Math.round(total * rng.range(0.3, 0.8));
    return [['card', onCard, null, null], cash(total - onCard)];
  }
  const byCard = rng.chance(total < 1000 ? 0.4 : 0.75);
  return [byCard ? ['card', total, null, null] : cash(total)];
}

/** A receipt's hash, with the format the `pos` fiscal recipe declares. */
function receiptHash(
  number: number,
  createdAt: string,
  employeeId: number,
  itemCount: number,
  totalCents: number,
  vatCents: number,
  previousHash: string,
  lines: unknown[][],
): string {
  const row = {
    number,
    created_at: createdAt,
    employee_id: employeeId,
    item_count: itemCount,
    total_cents: totalCents,
    vat_cents: vatCents,
  };
  return recordHash(POS_RECEIPT_CHAIN, row, previousHash, lines);
}

function receiptInserter(db: Database.Database): (r: ReceiptDraft) => number {
  const addReceipt = db.prepare(
    `INSERT INTO receipts (number, created_at, employee_id, item_count, total_cents, vat_cents, previous_hash, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const addLine = db.prepare(
    `INSERT INTO receipt_lines (receipt_id, line_no, product_id, label, quantity, unit_price_cents, vat_rate_bp, total_cents)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const addPayment = db.prepare(
    `INSERT INTO payments (receipt_id, method, amount_cents, tendered_cents, change_cents)
     VALUES (?, ?, ?, ?, ?)`,
  );
  return (r) => {
    const id = Number(
      addReceipt.run(
        r.number,
        r.createdAt,
        r.employeeId,
        r.itemCount,
        r.totalCents,
        r.vatCents,
        r.previousHash,
        r.hash,
      ).lastInsertRowid,
    );
    for (const l of r.lines) addLine.run(id, l[0], l[1], l[2], l[3], l[4], l[5], l[6]);
    for (const p of r.payments) addPayment.run(id, p[0], p[1], p[2], p[3]);
    return id;
  };
}

interface DemoEvent {
  at: number;
  kind: 'sign-in' | 'void' | 'reprint' | 'closing' | 'software-update';
  employeeId: number | null;
  detail: string;
}

/**
 * Closes every opening day that has sales (Z), then every month and year
 * that is over, as a register does at the end of each; records the day's
 * technical events around them. Totals come from the receipts, their lines
 * and their payments; both chains start from the genesis hash.
 */
function addClosingsAndEvents(db: Database.Database, rng: Rng, days: number[]): void {
  type Sums = {
    count: number;
    total: number;
    vat: number;
    byVat: Map<number, number>;
    byMethod: Map<string, number>;
  };
  const perDay = new Map<string, Sums>();
  const sumsOf = (day: string): Sums => {
    let s = perDay.get(day);
    if (!s) {
      s = { count: 0, total: 0, vat: 0, byVat: new Map(), byMethod: new Map() };
      perDay.set(day, s);
    }
    return s;
  };
  const dayOf = 'substr(r.created_at, 1, 10)';
  for (const row of db
    .prepare(
      `SELECT ${dayOf} AS day, count(*) AS n, sum(total_cents) AS total, sum(vat_cents) AS vat
       FROM receipts r GROUP BY day`,
    )
    .all() as { day: string; n: number; total: number; vat: number }[]) {
    Object.assign(sumsOf(row.day), { count: row.n, total: row.total, vat: row.vat });
  }
  for (const row of db
    .prepare(
      `SELECT ${dayOf} AS day, l.vat_rate_bp AS k, sum(l.total_cents) AS v
       FROM receipt_lines l JOIN receipts r ON r.id = l.receipt_id GROUP BY day, k`,
    )
    .all() as { day: string; k: number; v: number }[]) {
    sumsOf(row.day).byVat.set(row.k, row.v);
  }
  for (const row of db
    .prepare(
      `SELECT ${dayOf} AS day, p.method AS k, sum(p.amount_cents) AS v
       FROM payments p JOIN receipts r ON r.id = p.receipt_id GROUP BY day, k`,
    )
    .all() as { day: string; k: string; v: number }[]) {
    sumsOf(row.day).byMethod.set(row.k, row.v);
  }
  const staff = db
    .prepare('SELECT id FROM employees WHERE active = 1 ORDER BY id')
    .pluck()
    .all() as number[];
  const manager = staff[0] ?? null;

  const addClosing = db.prepare(
    `INSERT INTO closings (number, kind, period, closed_at, receipt_count, total_cents, vat_cents,
       totals_by_vat, totals_by_method, grand_total_cents, previous_hash, hash)
     VALUES (@number, @kind, @period, @closed_at, @receipt_count, @total_cents, @vat_cents,
       @totals_by_vat, @totals_by_method, @grand_total_cents, @previous_hash, @hash)`,
  );
  const events: DemoEvent[] = [];
  let closingNumber = 0;
  let closingPrevious = POS_GENESIS;
  let grandTotal = 0;
  const open: Record<'month' | 'year', { period: string; sums: Sums } | null> = {
    month: null,
    year: null,
  };
  const emptySums = (): Sums => ({
    count: 0,
    total: 0,
    vat: 0,
    byVat: new Map(),
    byMethod: new Map(),
  });
  const add = (into: Sums, s: Sums) => {
    into.count += s.count;
    into.total += s.total;
    into.vat += s.vat;
    for (const [k, v] of s.byVat) into.byVat.set(k, (into.byVat.get(k) ?? 0) + v);
    for (const [k, v] of s.byMethod) into.byMethod.set(k, (into.byMethod.get(k) ?? 0) + v);
  };
  const close = (kind: 'day' | 'month' | 'year', period: string, at: number, s: Sums) => {
    const byVat = Object.fromEntries([...s.byVat].sort((a, b) => a[0] - b[0]));
    const byMethod = Object.fromEntries([...s.byMethod].sort((a, b) => a[0].localeCompare(b[0])));
    const row = {
      number: ++closingNumber,
      kind,
      period,
      closed_at: isoSeconds(at),
      receipt_count: s.count,
      total_cents: s.total,
      vat_cents: s.vat,
      totals_by_vat: JSON.stringify(byVat),
      totals_by_method: JSON.stringify(byMethod),
      grand_total_cents: grandTotal,
      previous_hash: closingPrevious,
      hash: '',
    };
    row.hash = recordHash(POS_CLOSING_CHAIN, row, closingPrevious);
    addClosing.run(row);
    closingPrevious = row.hash;
    events.push({
      at,
      kind: 'closing',
      employeeId: manager,
      detail: `${kind} ${period} #${row.number}`,
    });
  };
  const closeOpen = (kind: 'month' | 'year', at: number) => {
    const o = open[kind];
    if (o && o.sums.count > 0) close(kind, o.period, at, o.sums);
    open[kind] = null;
  };

  events.push({
    at: days[0] + 5 * 3_600_000,
    kind: 'software-update',
    employeeId: null,
    detail: 'demo-pos 4.8.0 -> 4.8.1',
  });
  for (const [index, t] of days.entries()) {
    const day = isoDate(t);
    const s = perDay.get(day) ?? emptySums();
    // A new month (or year) starts: the previous one is over and is closed
    // right after its last day's closing.
    const periods = { month: day.slice(0, 7), year: day.slice(0, 4) };
    for (const [k, kind] of (['month', 'year'] as const).entries()) {
      if (open[kind] && open[kind].period !== periods[kind]) {
        closeOpen(kind, days[index - 1] + 18 * 3_600_000 + (46 + k) * 60_000);
      }
      open[kind] ??= { period: periods[kind], sums: emptySums() };
    }
    const opening = t + 5.5 * 3_600_000;
    const signIns = staff.length > 1 ? [staff[1 + ((index * 2) % (staff.length - 1))]] : staff;
    for (const [k, who] of signIns.entries()) {
      events.push({
        at: opening - 10 * 60_000 + k * 60_000,
        kind: 'sign-in',
        employeeId: who,
        detail: 'PIN',
      });
    }
    for (let k = rng.int(0, 2); k > 0; k--) {
      const kind = rng.chance(0.5) ? 'void' : 'reprint';
      const at = opening + rng.int(30, 700) * 60_000;
      const detail = kind === 'void' ? 'line voided before payment' : 'duplicate receipt printed';
      events.push({ at, kind, employeeId: rng.pick(staff), detail });
    }
    if (s.count === 0) continue;
    grandTotal += s.total;
    close('day', day, t + 18 * 3_600_000 + 45 * 60_000, s);
    add(open.month!.sums, s);
    add(open.year!.sums, s);
  }

  events.sort((a, b) => a.at - b.at);
  const addEvent = db.prepare(
    `INSERT INTO fiscal_events (number, at, kind, employee_id, detail, previous_hash, hash)
     VALUES (@number, @at, @kind, @employee_id, @detail, @previous_hash, @hash)`,
  );
  let previous = POS_GENESIS;
  events.forEach((e, i) => {
    const row = {
      number: i + 1,
      at: isoSeconds(e.at),
      kind: e.kind,
      employee_id: e.employeeId,
      detail: e.detail,
      previous_hash: previous,
      hash: '',
    };
    row.hash = recordHash(POS_EVENT_CHAIN, row, previous);
    addEvent.run(row);
    previous = row.hash;
  });
}

/**
 * Appends one sale to a demo register, chained to the last receipt. Runs in
 * an IMMEDIATE transaction so that two writers cannot both chain to the same
 * predecessor.
 */
export function addDemoReceipt(db: Database.Database, at: Date): number {
  let append = appenders.get(db);
  if (append === undefined) {
    append = receiptAppender(db);
    appenders.set(db, append);
  }
  return append.immediate(at);
}

/** Load tests call addDemoReceipt in a tight loop: prepare once per connection. */
const appenders = new WeakMap<Database.Database, Database.Transaction<(at: Date) => number>>();

function receiptAppender(db: Database.Database): Database.Transaction<(at: Date) => number> {
  const lastReceipt = db.prepare('SELECT number, hash FROM receipts ORDER BY id DESC LIMIT 1');
  // The staples, as the register's quick buttons would offer them.
  const products = db.prepare(
    `SELECT id, name, price_cents AS price, vat_rate_bp AS vat FROM products
     WHERE active = 1 ORDER BY id LIMIT 60`,
  );
  const employees = db.prepare('SELECT id FROM employees WHERE active = 1 ORDER BY id').pluck();
  const insert = receiptInserter(db);
  return db.transaction((at: Date) => {
    const last = lastReceipt.get() as { number: number; hash: string } | undefined;
    const number = (last?.number ?? 0) + 1;
    const catalog = products.all() as CatalogItem[];
    const staff = employees.all() as number[];
    if (catalog.length === 0 || staff.length === 0) {
      throw new CoffreError('USAGE', 'This database has no products or employees to sell with.');
    }
    const rng = new Rng(subSeed(number, Math.floor(at.getTime() / 1000)));
    const employee = rng.pick(staff);
    const createdAt = isoSeconds(at.getTime());
    return insert(
      draftReceipt(rng, catalog, number, createdAt, employee, last?.hash ?? GENESIS_HASH),
    );
  });
}

/**
 * Checks the demo register's receipt chain (see core/fiscal/chain.ts).
 * Streams one joined query, so it runs in constant memory on millions of
 * receipts. `firstBrokenId` is the row id of the first broken receipt.
 */
export function verifyReceiptChain(db: Database.Database): {
  ok: boolean;
  count: number;
  firstBrokenId?: number;
} {
  const report = checkChain(readReceiptChain(db), POS_RECEIPT_CHAIN);
  if (report.broken === null) return { ok: true, count: report.count };
  return { ok: false, count: report.count, firstBrokenId: report.broken.id };
}

/** The receipts in number order with their lines. */
function* readReceiptChain(db: Database.Database): Generator<ChainRecord> {
  const lineColumns = POS_RECEIPT_LINE_FIELDS.map((f) => `l.${f}`).join(', ');
  const rows = db
    .prepare(
      `SELECT r.id, r.number, r.created_at, r.employee_id, r.item_count, r.total_cents,
              r.vat_cents, r.previous_hash, r.hash, ${lineColumns}
       FROM receipts r LEFT JOIN receipt_lines l ON l.receipt_id = r.id
       ORDER BY r.number, l.line_no`,
    )
    .raw()
    .iterate() as IterableIterator<unknown[]>;
  let current: unknown[] | undefined;
  let lines: unknown[][] = [];
  const record = (r: unknown[]): ChainRecord => {
    const row = {
      number: r[1],
      created_at: r[2],
      employee_id: r[3],
      item_count: r[4],
      total_cents: r[5],
      vat_cents: r[6],
    };
    return {
      seq: r[1] as number,
      id: r[0] as number,
      at: r[2] as string,
      row,
      lines,
      previousHash: r[7] as string,
      hash: r[8] as string,
    };
  };
  for (const row of rows) {
    if (current === undefined || row[0] !== current[0]) {
      if (current !== undefined) yield record(current);
      current = row;
      lines = [];
    }
    if (row[9] !== null) lines.push(row.slice(9));
  }
  if (current !== undefined) yield record(current);
}

function registerSettingsFile(): Record<string, unknown> {
  return {
    app: 'demo-pos',
    version: '4.8.1',
    shop: 'Boulangerie Martin',
    database: DEFAULTS.pos.db,
    imagesDir: DEFAULTS.pos.files,
    locale: 'fr-FR',
    timezone: 'Europe/Paris',
    currency: 'EUR',
    printer: { model: 'Epson TM-m30III', connection: 'usb', paperWidthMm: 80, logo: true },
    customerDisplay: { enabled: true, message: 'Bienvenue chez Boulangerie Martin' },
    cardTerminal: { model: 'Ingenico Move/5000', port: '/dev/ttyACM0', contactless: true },
    scale: { enabled: false },
    autoLockMinutes: 5,
  };
}

// ------------------------------------------------------------------ books (accounting)

const BOOKS_SCHEMA = `
CREATE TABLE accounts (
  code TEXT PRIMARY KEY,
  label TEXT NOT NULL
);
CREATE TABLE customers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  siret TEXT,
  email TEXT,
  address TEXT NOT NULL,
  postal_code TEXT NOT NULL,
  city TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE suppliers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  siret TEXT,
  iban TEXT,
  default_account TEXT NOT NULL REFERENCES accounts(code),
  city TEXT NOT NULL
);
CREATE TABLE attachments (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  mime_type TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  added_at TEXT NOT NULL
);
CREATE TABLE purchases (
  id INTEGER PRIMARY KEY,
  supplier_id INTEGER NOT NULL REFERENCES suppliers(id),
  purchased_on TEXT NOT NULL,
  label TEXT NOT NULL,
  account TEXT NOT NULL REFERENCES accounts(code),
  total_ht_cents INTEGER NOT NULL,
  vat_rate_bp INTEGER NOT NULL,
  total_vat_cents INTEGER NOT NULL,
  total_ttc_cents INTEGER NOT NULL,
  attachment_id INTEGER UNIQUE REFERENCES attachments(id)
);
CREATE TABLE invoices (
  id INTEGER PRIMARY KEY,
  number TEXT NOT NULL UNIQUE,
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  issued_on TEXT NOT NULL,
  due_on TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('sent', 'paid', 'overdue')),
  total_ht_cents INTEGER NOT NULL,
  total_vat_cents INTEGER NOT NULL,
  total_ttc_cents INTEGER NOT NULL
);
CREATE INDEX invoices_customer ON invoices(customer_id);
CREATE TABLE invoice_lines (
  id INTEGER PRIMARY KEY,
  invoice_id INTEGER NOT NULL REFERENCES invoices(id) ON DELETE CASCADE,
  line_no INTEGER NOT NULL,
  description TEXT NOT NULL,
  quantity REAL NOT NULL,
  unit_price_cents INTEGER NOT NULL,
  vat_rate_bp INTEGER NOT NULL,
  total_ht_cents INTEGER NOT NULL,
  UNIQUE (invoice_id, line_no)
);
CREATE TABLE payments (
  id INTEGER PRIMARY KEY,
  paid_on TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  invoice_id INTEGER REFERENCES invoices(id),
  purchase_id INTEGER REFERENCES purchases(id),
  method TEXT NOT NULL CHECK (method IN ('transfer', 'card', 'cheque', 'cash')),
  amount_cents INTEGER NOT NULL,
  reference TEXT,
  CHECK ((invoice_id IS NULL) <> (purchase_id IS NULL))
);
CREATE INDEX payments_invoice ON payments(invoice_id);
CREATE INDEX payments_purchase ON payments(purchase_id);
CREATE TABLE ledger_entries (
  id INTEGER PRIMARY KEY,
  entry_no INTEGER NOT NULL,
  journal TEXT NOT NULL CHECK (journal IN ('VE', 'AC', 'BQ')),
  entry_date TEXT NOT NULL,
  account TEXT NOT NULL REFERENCES accounts(code),
  label TEXT NOT NULL,
  debit_cents INTEGER NOT NULL DEFAULT 0 CHECK (debit_cents >= 0),
  credit_cents INTEGER NOT NULL DEFAULT 0 CHECK (credit_cents >= 0),
  invoice_id INTEGER REFERENCES invoices(id),
  purchase_id INTEGER REFERENCES purchases(id),
  payment_id INTEGER REFERENCES payments(id),
  CHECK (debit_cents = 0 OR credit_cents = 0)
);
CREATE INDEX ledger_entry_no ON ledger_entries(entry_no);
CREATE INDEX ledger_account ON ledger_entries(account, entry_date);
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

const ACCOUNTS: [string, string][] = [
  ['401', 'Fournisseurs'],
  ['411', 'Clients'],
  ['44566', 'TVA déductible sur autres biens et services'],
  ['44571', 'TVA collectée'],
  ['512', 'Banque'],
  ['6063', "Fournitures d'entretien et de petit équipement"],
  ['6064', 'Fournitures administratives'],
  ['6135', 'Locations mobilières (logiciels)'],
  ['6226', 'Honoraires'],
  ['6251', 'Voyages et déplacements'],
  ['6256', 'Missions et réceptions'],
  ['626', 'Frais postaux et de télécommunications'],
  ['706', 'Prestations de services'],
];

const SUPPLIERS: [name: string, account: string, city: string, label: string, vat: number][] = [
  ['Papeterie Lenoir', '6064', 'Nantes', 'Fournitures de bureau', 2000],
  ['Bureau Vallée Saint-Herblain', '6064', 'Saint-Herblain', 'Cartouches et papier', 2000],
  ['Télécom Ouest', '626', 'Rennes', 'Abonnement fibre et mobile', 2000],
  ['Cabinet Morel Expertise', '6226', 'Nantes', 'Honoraires expert-comptable', 2000],
  ['Hébergeur Ligérien', '6135', 'Angers', 'Hébergement et licences', 2000],
  ['SNCF Voyageurs', '6251', 'Paris', 'Billet de train client', 1000],
  ['Le Bistrot du Port', '6256', 'Nantes', 'Repas avec un client', 1000],
  ['Brasserie La Cigale', '6256', 'Nantes', 'Déjeuner de travail', 1000],
  ['Station Total Atlantique', '6251', 'Rezé', 'Carburant', 2000],
  ['Leroy Merlin Rezé', '6063', 'Rezé', 'Petit équipement', 2000],
  ['La Poste Nantes Centre', '626', 'Nantes', 'Affranchissement', 0],
  ['Fnac Pro', '6063', 'Paris', 'Accessoires informatiques', 2000],
];

const SERVICES: [label: string, unit: number, qty: [number, number]][] = [
  ['Développement web (jour)', 55_000, [1, 12]],
  ['Intégration graphique (jour)', 48_000, [1, 6]],
  ['Maintenance mensuelle du site', 29_000, [1, 3]],
  ['Formation WordPress (demi-journée)', 35_000, [1, 4]],
  ['Hébergement et nom de domaine (an)', 18_000, [1, 1]],
  ['Création de logo et charte graphique', 90_000, [1, 1]],
  ['Audit SEO', 120_000, [1, 1]],
  ['Rédaction de contenus (page)', 12_000, [2, 15]],
  ['Séance photo produits (demi-journée)', 45_000, [1, 2]],
  ['Support technique (heure)', 7_500, [1, 10]],
];

const CUSTOMER_KINDS = (
  'Boulangerie Garage Cabinet Librairie Fromagerie Atelier Hôtel Restaurant Pharmacie ' +
  'Fleuriste Domaine Menuiserie'
).split(' ');
const SURNAMES = (
  'Bernard Dubois Moreau Laurent Simon Michel Lefebvre Leroy Roux David Bertrand Morel ' +
  'Fournier Girard Bonnet Dupuis Lambert Fontaine Rousseau Vincent'
).split(' ');
const CITIES: [string, string][] = [
  ['44000', 'Nantes'],
  ['44400', 'Rezé'],
  ['44800', 'Saint-Herblain'],
  ['49000', 'Angers'],
  ['35000', 'Rennes'],
  ['85000', 'La Roche-sur-Yon'],
  ['44600', 'Saint-Nazaire'],
  ['56000', 'Vannes'],
];
const STREETS = (
  'rue de la Paix|boulevard Victor-Hugo|quai de la Fosse|rue Crébillon|avenue de la Gare|' +
  'place Royale|rue des Halles'
).split('|');

const BOOKS_SETTINGS: [string, string][] = [
  ['company.name', 'Atelier Dupont'],
  ['company.legal_form', 'SARL'],
  ['company.siren', '853214796'],
  ['company.vat_number', 'FR27853214796'],
  ['company.address', '8 rue Kervégan, 44000 Nantes'],
  ['fiscal_year.start', '2026-01-01'],
  ['fiscal_year.end', '2026-12-31'],
  ['invoice.prefix', 'F'],
  ['invoice.payment_terms_days', '30'],
  ['vat.regime', 'réel normal'],
  ['currency', 'EUR'],
];

interface LedgerLine {
  account: string;
  label: string;
  debit: number;
  credit: number;
}

interface BookEvent {
  date: string;
  /** Same-day order: invoices and purchases before the payments settling them. */
  rank: number;
  seq: number;
  journal: 'VE' | 'AC' | 'BQ';
  lines: LedgerLine[];
  invoiceId: number | null;
  purchaseId: number | null;
  paymentId: number | null;
}

/** Fills the books' database; returns the scanned receipts to draw. */
function buildBooks(
  db: Database.Database,
  seed: number,
  invoiceCount: number,
  attachmentCount: number,
): PlannedFile[] {
  db.exec(BOOKS_SCHEMA);
  const books: Books = { db, rng: new Rng(subSeed(seed, 2)), events: [], lastPaymentId: 0 };
  const files: PlannedFile[] = [];
  db.transaction(() => {
    const customerCount = addBooksReferenceData(books, invoiceCount);
    addInvoices(books, invoiceCount, customerCount);
    files.push(...addPurchases(books, Math.max(attachmentCount, 12), attachmentCount));
    addLedger(books);
  })();
  return files;
}

interface Books {
  db: Database.Database;
  rng: Rng;
  /** What the ledger will record, gathered while the documents are made. */
  events: BookEvent[];
  lastPaymentId: number;
}

/** Chart of accounts, settings, suppliers and customers; returns the customer count. */
function addBooksReferenceData({ db, rng }: Books, invoiceCount: number): number {
  const addAccount = db.prepare('INSERT INTO accounts (code, label) VALUES (?, ?)');
  for (const [code, label] of ACCOUNTS) addAccount.run(code, label);
  const addSetting = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)');
  for (const [key, value] of BOOKS_SETTINGS) addSetting.run(key, value);

  const addSupplier = db.prepare(
    'INSERT INTO suppliers (id, name, siret, iban, default_account, city) VALUES (?, ?, ?, ?, ?, ?)',
  );
  SUPPLIERS.forEach(([name, account, city], i) => {
    const groups = [4, 4, 4, 4, 4, 3].map((n) => digits(rng, n));
    addSupplier.run(i + 1, name, digits(rng, 14), `FR76 ${groups.join(' ')}`, account, city);
  });

  const customerCount = Math.min(400, Math.max(8, Math.ceil(invoiceCount / 8)));
  const addCustomer = db.prepare(
    `INSERT INTO customers (id, name, siret, email, address, postal_code, city, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (let id = 1; id <= customerCount; id++) {
    const kind = CUSTOMER_KINDS[(id - 1) % CUSTOMER_KINDS.length];
    const surname = rng.pick(SURNAMES);
    const name = `${kind} ${surname}` + (id > CUSTOMER_KINDS.length * 4 ? ` ${id}` : '');
    const [postal, city] = rng.pick(CITIES);
    const email = `contact@${slug(`${kind}-${surname}`)}.fr`;
    const address = `${rng.int(1, 120)} ${rng.pick(STREETS)}`;
    const created = isoDate(Date.UTC(2022, 0, 10) + rng.int(0, 900) * DAY_MS);
    addCustomer.run(id, name, digits(rng, 14), email, address, postal, city, created);
  }
  return customerCount;
}

/** Spreads n documents evenly over the year (or more) before "today". */
function documentDate(index: number, n: number): number {
  const span = Math.max(365, Math.ceil(n / 2));
  return workday(END_DAY - span * DAY_MS + Math.floor(((index + 0.5) * span) / n) * DAY_MS);
}

function paymentInserter(
  books: Books,
): (
  paidAt: number,
  direction: 'in' | 'out',
  invoiceId: number | null,
  purchaseId: number | null,
  method: string,
  amount: number,
  reference: string,
) => number {
  const stmt = books.db.prepare(
    `INSERT INTO payments (id, paid_on, direction, invoice_id, purchase_id, method, amount_cents, reference)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return (paidAt, direction, invoiceId, purchaseId, method, amount, reference) => {
    const id = ++books.lastPaymentId;
    stmt.run(id, isoDate(paidAt), direction, invoiceId, purchaseId, method, amount, reference);
    return id;
  };
}

/** Service invoices with 20 % VAT, most of them paid by transfer. */
function addInvoices(books: Books, n: number, customerCount: number): void {
  const { db, rng, events } = books;
  const addInvoice = db.prepare(
    `INSERT INTO invoices (id, number, customer_id, issued_on, due_on, status, total_ht_cents, total_vat_cents, total_ttc_cents)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const addLine = db.prepare(
    `INSERT INTO invoice_lines (invoice_id, line_no, description, quantity, unit_price_cents, vat_rate_bp, total_ht_cents)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const addPayment = paymentInserter(books);
  // Invoice numbers restart each year, as French invoicing rules allow.
  const perYear = new Map<number, number>();
  for (let id = 1; id <= n; id++) {
    const issued = documentDate(id - 1, n);
    const year = new Date(issued).getUTCFullYear();
    const seq = (perYear.get(year) ?? 0) + 1;
    perYear.set(year, seq);
    const number = `F${year}-${String(seq).padStart(4, '0')}`;
    const picked = new Set<number>();
    const lineCount = rng.int(1, 4);
    while (picked.size < lineCount) picked.add(rng.int(0, SERVICES.length - 1));
    const lines = [...picked].map((s) => {
      const [label, unit, [qMin, qMax]] = SERVICES[s];
      const qty = rng.int(qMin, qMax);
      return { label, qty, unit, total: unit * qty };
    });
    const ht = lines.reduce((sum, l) => sum + l.total, 0);
    const vat = Math.round(ht * 0.2);
    const ttc = ht + vat;
    const due = issued + 30 * DAY_MS;
    const age = (END_DAY - issued) / DAY_MS;
    const paid = rng.chance(age > 45 ? 0.95 : age > 20 ? 0.6 : 0.25);
    const status = paid ? 'paid' : due < END_DAY ? 'overdue' : 'sent';
    addInvoice.run(
      id,
      number,
      rng.int(1, customerCount),
      isoDate(issued),
      isoDate(due),
      status,
      ht,
      vat,
      ttc,
    );
    lines.forEach((l, k) => addLine.run(id, k + 1, l.label, l.qty, l.unit, 2000, l.total));
    events.push({
      date: isoDate(issued),
      rank: 0,
      seq: id,
      journal: 'VE',
      invoiceId: id,
      purchaseId: null,
      paymentId: null,
      lines: [
        { account: '411', label: `Facture ${number}`, debit: ttc, credit: 0 },
        { account: '706', label: `Facture ${number}`, debit: 0, credit: ht },
        { account: '44571', label: `TVA facture ${number}`, debit: 0, credit: vat },
      ],
    });
    if (!paid) continue;
    const paidAt = Math.min(END_DAY - DAY_MS, workday(issued + rng.int(5, 50) * DAY_MS));
    const byCheque = rng.chance(0.15);
    const ref = byCheque ? `CHQ ${digits(rng, 7)}` : `VIR ${digits(rng, 8)}`;
    const method = byCheque ? 'cheque' : 'transfer';
    const paymentId = addPayment(paidAt, 'in', id, null, method, ttc, ref);
    events.push({
      date: isoDate(paidAt),
      rank: 1,
      seq: paymentId,
      journal: 'BQ',
      invoiceId: id,
      purchaseId: null,
      paymentId,
      lines: [
        { account: '512', label: `Règlement ${number}`, debit: ttc, credit: 0 },
        { account: '411', label: `Règlement ${number}`, debit: 0, credit: ttc },
      ],
    });
  }
}

/**
 * Expenses, the first `withAttachment` of them with a scanned receipt filed
 * by year and month; returns those files.
 */
function addPurchases(books: Books, n: number, withAttachment: number): PlannedFile[] {
  const { db, rng, events } = books;
  const files: PlannedFile[] = [];
  const addAttachment = db.prepare(
    `INSERT INTO attachments (id, path, mime_type, size_bytes, sha256, added_at)
     VALUES (?, ?, 'image/png', 0, '', ?)`,
  );
  const addPurchase = db.prepare(
    `INSERT INTO purchases (id, supplier_id, purchased_on, label, account, total_ht_cents, vat_rate_bp, total_vat_cents, total_ttc_cents, attachment_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const addPayment = paymentInserter(books);
  for (let id = 1; id <= n; id++) {
    const bought = documentDate(id - 1, n);
    const supplierIndex = rng.int(0, SUPPLIERS.length - 1);
    const [supplier, account, , label, rate] = SUPPLIERS[supplierIndex];
    const ttc = rng.int(8, account === '6226' ? 2400 : 350) * 100 + rng.int(0, 99);
    const ht = Math.round((ttc * 10_000) / (10_000 + rate));
    const vat = ttc - ht;
    let attachmentId: number | null = null;
    if (id <= withAttachment) {
      const month = isoDate(bought).slice(0, 7).replace('-', '/');
      const path = `${month}/${slug(supplier)}-${String(id).padStart(4, '0')}.png`;
      attachmentId = id;
      // Scanned in the evening of the purchase.
      addAttachment.run(id, path, isoSeconds(bought + 18 * 3_600_000));
      files.push({ path, attachmentId: id });
    }
    const purchasedOn = isoDate(bought);
    addPurchase.run(
      id,
      supplierIndex + 1,
      purchasedOn,
      label,
      account,
      ht,
      rate,
      vat,
      ttc,
      attachmentId,
    );
    const text = `${supplier} - ${label}`;
    events.push({
      date: purchasedOn,
      rank: 0,
      seq: n + id,
      journal: 'AC',
      invoiceId: null,
      purchaseId: id,
      paymentId: null,
      lines: [
        { account, label: text, debit: ht, credit: 0 },
        ...(vat > 0 ? [{ account: '44566', label: `TVA ${supplier}`, debit: vat, credit: 0 }] : []),
        { account: '401', label: text, debit: 0, credit: ttc },
      ],
    });
    // Small expenses are paid by card on the spot, others by transfer later.
    const byCard = ttc < 20_000;
    const paidAt = byCard ? bought : workday(bought + rng.int(10, 30) * DAY_MS);
    if (paidAt >= END_DAY) continue;
    const ref = byCard ? `CB ${digits(rng, 6)}` : `VIR ${digits(rng, 8)}`;
    const method = byCard ? 'card' : 'transfer';
    const paymentId = addPayment(paidAt, 'out', null, id, method, ttc, ref);
    events.push({
      date: isoDate(paidAt),
      rank: 1,
      seq: paymentId,
      journal: 'BQ',
      invoiceId: null,
      purchaseId: id,
      paymentId,
      lines: [
        { account: '401', label: `Paiement ${supplier}`, debit: ttc, credit: 0 },
        { account: '512', label: `Paiement ${supplier}`, debit: 0, credit: ttc },
      ],
    });
  }
  return files;
}

/** The ledger in date order, one balanced entry per event. */
function addLedger({ db, events }: Books): void {
  events.sort((a, b) =>
    a.date < b.date ? -1 : a.date > b.date ? 1 : a.rank - b.rank || a.seq - b.seq,
  );
  const addEntry = db.prepare(
    `INSERT INTO ledger_entries (entry_no, journal, entry_date, account, label, debit_cents, credit_cents, invoice_id, purchase_id, payment_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  events.forEach((e, i) => {
    for (const l of e.lines) {
      addEntry.run(
        i + 1,
        e.journal,
        e.date,
        l.account,
        l.label,
        l.debit,
        l.credit,
        e.invoiceId,
        e.purchaseId,
        e.paymentId,
      );
    }
  });
}

function booksSettingsFile(): Record<string, unknown> {
  return {
    app: 'demo-books',
    version: '2.3.0',
    company: 'Atelier Dupont',
    database: DEFAULTS.accounting.db,
    attachmentsDir: DEFAULTS.accounting.files,
    locale: 'fr-FR',
    timezone: 'Europe/Paris',
    currency: 'EUR',
    fiscalYearStart: '01-01',
    invoiceTemplate: 'classique',
    bank: { name: 'Crédit Maritime', iban: 'FR76 1380 7000 0132 1456 7890 123', sync: false },
    reminders: { enabled: true, afterDays: [7, 30] },
  };
}

// ------------------------------------------------------------------ helpers

/** Moves a Sunday or Saturday to the following Monday. */
function workday(t: number): number {
  const day = new Date(t).getUTCDay();
  return day === 6 ? t + 2 * DAY_MS : day === 0 ? t + DAY_MS : t;
}

function isoDate(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

function isoSeconds(t: number): string {
  return new Date(Math.floor(t / 1000) * 1000).toISOString().slice(0, 19) + 'Z';
}

function digits(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(rng.int(0, 9));
  return s;
}

/** Appends the EAN-13 check digit to 12 digits. */
function ean13(twelve: string): string {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(twelve[i]) * (i % 2 === 0 ? 1 : 3);
  return twelve + String((10 - (sum % 10)) % 10);
}

/** PIN hashes as the register stores them; the salt comes from the seed. */
function pinHash(pin: string, rng: Rng): string {
  const salt = Buffer.alloc(16);
  for (let i = 0; i < 16; i += 4) salt.writeUInt32BE(rng.u32(), i);
  const hash = pbkdf2Sync(pin, salt, 10_000, 32, 'sha256');
  return `pbkdf2-sha256$10000$${salt.toString('hex')}$${hash.toString('hex')}`;
}

function slug(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/œ/gi, 'oe')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
