// Checks a fiscal archive on its own, with no Coffre home: the signature,
// every entry's hash, the chains inside it (recomputed with the recipe the
// archive carries), its closings against its records, and, when the
// previous archive is given, the link between the two. The tool an
// inspector runs.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readArchive } from '../archive/reader.js';
import { CoffreError } from '../core/errors.js';
import {
  checkClosings,
  type Closing,
  type ClosingKind,
  type DayTotals,
} from '../core/fiscal/audit.js';
import { checkChain, type ChainRecord } from '../core/fiscal/chain.js';
import { parseCsv } from '../core/fiscal/csv.js';
import { periodEnd } from '../core/fiscal/period.js';
import { chainFormat, parseFiscalRecipe, type FiscalRecipe } from '../core/fiscal/recipe.js';
import { ENTRY, parseSums } from '../core/manifest.js';
import { keyFingerprint, publicKeyPem, verifySignature } from '../state/identity.js';
import { closingsFromRows } from './read.js';
import { FISCAL_FORMAT, FISCAL_FORMAT_VERSION, type FiscalHeader, type Role } from './archive.js';

export interface FiscalVerifyOptions {
  /** The fiscal archive before this one, to check the link between them. */
  previous?: string | null;
  identities?: string[];
  passphrase?: string | null;
}

export interface FiscalVerifyReport {
  ok: boolean;
  archive: string;
  sha256: string;
  size: number;
  encrypted: boolean;
  header: FiscalHeader;
  /** Each check, passed or not, in words. */
  checks: { name: string; ok: boolean; detail: string }[];
}

type Row = Record<string, unknown>;

function readRows(file: string): Row[] {
  const rows = parseCsv(fs.readFileSync(file, 'utf8'));
  const [names, ...data] = rows;
  if (!names) return [];
  return data.map((values) =>
    Object.fromEntries(names.map((n, i) => [String(n), values[i] ?? null])),
  );
}

function chainOf(
  rows: Row[],
  spec: { sequence: string; date: string; chain: { hashColumn: string; previousColumn: string } },
  lines?: Map<unknown, unknown[][]>,
  key?: string,
): ChainRecord[] {
  return rows.map((row) => ({
    seq: Number(row[spec.sequence]),
    at: row[spec.date] === null ? null : String(row[spec.date] as string),
    row,
    lines: lines && key ? (lines.get(row[key]) ?? []) : [],
    previousHash: String(row[spec.chain.previousColumn] as string),
    hash: String(row[spec.chain.hashColumn] as string),
  }));
}

/** Day totals of the archive's records, as the audit computes them from the live database. */
function dayTotals(
  recipe: FiscalRecipe,
  records: Row[],
  lines: Row[],
  payments: Row[],
): DayTotals[] {
  const r = recipe.records;
  const days = new Map<string, DayTotals>();
  const dayOfKey = new Map<unknown, string>();
  for (const row of records) {
    const day = String(row[r.date]).slice(0, 10);
    dayOfKey.set(row[r.key], day);
    let d = days.get(day);
    if (!d) {
      d = {
        day,
        count: 0,
        total: 0,
        vat: r.vat ? 0 : null,
        byVat: r.lines?.vatRate && r.lines.amount ? {} : null,
        byMethod: r.payments ? {} : null,
      };
      days.set(day, d);
    }
    d.count++;
    d.total += Number(row[r.amount]);
    if (d.vat !== null && r.vat) d.vat += Number(row[r.vat]);
  }
  const l = r.lines;
  if (l?.vatRate && l.amount) {
    for (const row of lines) {
      const d = days.get(dayOfKey.get(row[l.foreignKey]) ?? '');
      const k = String(row[l.vatRate]);
      if (d?.byVat) d.byVat[k] = (d.byVat[k] ?? 0) + Number(row[l.amount]);
    }
  }
  const p = r.payments;
  if (p) {
    for (const row of payments) {
      const d = days.get(dayOfKey.get(row[p.foreignKey]) ?? '');
      const k = String(row[p.method]);
      if (d?.byMethod) d.byMethod[k] = (d.byMethod[k] ?? 0) + Number(row[p.amount]);
    }
  }
  return [...days.values()];
}

function closingsOf(recipe: FiscalRecipe, rows: Row[]): Closing[] {
  return closingsFromRows(recipe, rows);
}

/** The first and last day a closing period covers. */
function periodDays(kind: ClosingKind, period: string): [string, string] {
  if (kind === 'day') return [period, period];
  if (kind === 'year') return [`${period}-01-01`, `${period}-12-31`];
  const [y, m] = period.split('-').map(Number);
  const last = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
  return [`${period}-01`, last];
}

function checkHeaderShape(value: unknown): FiscalHeader {
  const h = value as Partial<FiscalHeader> | null;
  if (!h || h.format !== FISCAL_FORMAT) {
    throw new CoffreError(
      'CORRUPT_ARCHIVE',
      'This is not a fiscal archive (its header is not a fiscal archive header).',
    );
  }
  if (typeof h.formatVersion !== 'number' || h.formatVersion > FISCAL_FORMAT_VERSION) {
    throw new CoffreError(
      'UNSUPPORTED_FORMAT',
      `The fiscal archive uses format version ${String(h.formatVersion)}; this Coffre reads up to version ${FISCAL_FORMAT_VERSION}.`,
    );
  }
  if (!h.register?.publicKey || !h.period || !h.recipe || !Array.isArray(h.files) || !h.chains) {
    throw new CoffreError('CORRUPT_ARCHIVE', 'The fiscal archive header is incomplete.');
  }
  return h as FiscalHeader;
}

interface Opened {
  header: FiscalHeader;
  sha256: string;
  size: number;
  encrypted: boolean;
  problems: string[];
  dir: string;
}

async function openFiscalArchive(
  file: string,
  options: FiscalVerifyOptions,
  scratch: string,
): Promise<Opened> {
  const dir = await fsp.mkdtemp(path.join(scratch, 'fiscal-'));
  let input: fs.ReadStream;
  try {
    await fsp.access(file, fs.constants.R_OK);
    input = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  } catch (err) {
    throw new CoffreError(
      'BACKUP_NOT_FOUND',
      `Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}.`,
      {
        cause: err,
        details: { file },
      },
    );
  }
  const contents = await readArchive(input, {
    identities: options.identities ?? [],
    passphrase: options.passphrase ?? null,
    extractTo: dir,
  });
  const { header: headerBytes, sums, signature, publicKey } = contents.meta;
  if (!headerBytes || !sums || !signature) {
    throw new CoffreError(
      'CORRUPT_ARCHIVE',
      'The fiscal archive lacks its header, entry list or signature.',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(headerBytes.toString('utf8'));
  } catch {
    throw new CoffreError('CORRUPT_ARCHIVE', 'The fiscal archive header is not valid JSON.');
  }
  const header = checkHeaderShape(parsed);
  if (!verifySignature(header.register.publicKey, sums, signature)) {
    throw new CoffreError(
      'BAD_SIGNATURE',
      "The entry list's signature does not match the register key in the fiscal archive.",
    );
  }
  const problems: string[] = [];
  if (publicKey && publicKey.toString() !== publicKeyPem(header.register.publicKey)) {
    problems.push('the public key file is not the key of the header');
  }
  const listed = parseSums(sums.toString('utf8'));
  for (const [name, expected] of listed) {
    const actual = contents.entries.get(name);
    if (actual === undefined) problems.push(`missing: ${name}`);
    else if (actual !== expected) problems.push(`damaged: ${name}`);
  }
  for (const name of contents.entries.keys()) {
    if (name !== ENTRY.sums && name !== ENTRY.signature && !listed.has(name))
      problems.push(`unlisted: ${name}`);
  }
  return {
    header,
    sha256: contents.sha256,
    size: contents.size,
    encrypted: contents.encrypted,
    problems,
    dir,
  };
}

export async function verifyFiscalArchive(
  file: string,
  options: FiscalVerifyOptions = {},
): Promise<FiscalVerifyReport> {
  const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'coffre-fiscal-verify-'));
  try {
    const opened = await openFiscalArchive(file, options, scratch);
    const { header } = opened;
    const checks: FiscalVerifyReport['checks'] = [];
    const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
    check(
      'signature',
      true,
      `SHA256SUMS is signed by register "${header.register.name}" (key ${keyFingerprint(header.register.publicKey)}).`,
    );
    check(
      'entries',
      opened.problems.length === 0,
      opened.problems.length === 0
        ? 'Every file matches its SHA-256.'
        : `Problems: ${opened.problems.join('; ')}.`,
    );
    const recipe = parseFiscalRecipe(header.recipe, 'header.recipe');
    const byRole = new Map<Role, Row[]>();
    for (const f of header.files) {
      const p = path.join(opened.dir, f.name);
      byRole.set(f.role, fs.existsSync(p) ? readRows(p) : []);
    }
    const r = recipe.records;
    const lines = new Map<unknown, unknown[][]>();
    if (r.lines) {
      const l = r.lines;
      for (const row of byRole.get('lines') ?? []) {
        const list = lines.get(row[l.foreignKey]) ?? [];
        list.push(l.fields.map((f) => row[f]));
        lines.set(row[l.foreignKey], list);
      }
    }
    const records = byRole.get('records') ?? [];
    const span = header.chains.records;
    const report = checkChain(chainOf(records, r, lines, r.key), chainFormat(r.chain), {
      start: span.startsAfter,
    });
    check(
      `${r.label[0]} chain`,
      report.ok &&
        report.count === span.count &&
        report.last?.hash === (span.last?.hash ?? undefined),
      report.broken
        ? `Broken at #${report.broken.seq} (${report.broken.reason}): ${report.broken.detail}.`
        : report.count !== span.count
          ? `${report.count} ${r.label[1]} in the file, the header says ${span.count}.`
          : `${report.count} ${r.label[1]}${report.first ? `, #${report.first.seq} to #${report.last!.seq}` : ''}, every hash recomputed and chained.`,
    );
    for (const [role, spec] of [
      ['closings', recipe.closings],
      ['events', recipe.events],
    ] as const) {
      if (!spec) continue;
      const s = header.chains[role];
      const rep = checkChain(chainOf(byRole.get(role) ?? [], spec), chainFormat(spec.chain), {
        start: s?.startsAfter ?? null,
      });
      check(
        `${role} chain`,
        rep.ok,
        rep.broken
          ? `Broken at #${rep.broken.seq} (${rep.broken.reason}): ${rep.broken.detail}.`
          : `${rep.count} ${role}, chained.`,
      );
    }
    if (recipe.closings && header.rewind) {
      check(
        'closings',
        true,
        `Not compared with the ${r.label[1]}: this archive keeps the rows a restore of ${header.rewind.backupId} took out of the chain, and its closings also cover ${r.label[1]} that stayed in it.`,
      );
    } else if (recipe.closings) {
      const { from, to } = header.period;
      const inside = closingsOf(recipe, byRole.get('closings') ?? []).filter((c) => {
        const [first, last] = periodDays(c.kind, c.period);
        return first >= from && last <= to;
      });
      const days = dayTotals(
        recipe,
        records,
        byRole.get('lines') ?? [],
        byRole.get('payments') ?? [],
      );
      const result = checkClosings(
        days,
        inside,
        periodEnd(header.period),
        recipe.closings.kind ? ['day', 'month', 'year'] : ['day'],
      );
      const missing = result.missing.filter((m) => {
        const [first, last] = periodDays(m.kind, m.period);
        return first >= from && last <= to;
      });
      const problems = [
        ...missing.map((m) => `no ${m.kind} closing for ${m.period}`),
        ...result.mismatched.map(
          (m) =>
            `closing #${m.seq} (${m.kind} ${m.period}): ${m.field} ${JSON.stringify(m.actual)}, records give ${JSON.stringify(m.expected)}`,
        ),
        ...result.grandTotalBreaks.map(
          (b) => `closing #${b.seq}: grand total ${b.actual}, expected ${b.expected}`,
        ),
      ];
      check(
        'closings',
        problems.length === 0,
        problems.length === 0
          ? `${inside.length} closings match their ${r.label[1]}.`
          : `${problems.slice(0, 10).join('; ')}.`,
      );
    }
    if (options.previous) {
      const prev = await openFiscalArchive(options.previous, options, scratch);
      const ph = prev.header;
      const problems: string[] = [];
      if (ph.register.id !== header.register.id) problems.push('it was made by another register');
      if (!header.previous) problems.push('this archive names no previous archive');
      else {
        if (header.previous.sha256 !== prev.sha256) {
          problems.push(
            `this archive names a previous archive with SHA-256 ${header.previous.sha256}, the file given has ${prev.sha256}`,
          );
        }
      }
      const prevLast = ph.chains.records.last?.hash ?? ph.chains.records.startsAfter;
      if (span.startsAfter !== null && prevLast !== null && span.startsAfter !== prevLast) {
        problems.push(
          `its first ${r.label[0]} does not chain to the last ${r.label[0]} of the previous archive`,
        );
      }
      check(
        'previous archive',
        problems.length === 0,
        problems.length === 0
          ? `Continues ${ph.id} (${ph.period.from} to ${ph.period.to}): fingerprint and chain match.`
          : `${problems.join('; ')}.`,
      );
    } else {
      check(
        'previous archive',
        true,
        header.rewind
          ? `None: it stands beside the series of period archives; its first ${r.label[0]} chains to the last one of backup ${header.rewind.backupId} (#${header.rewind.after.records}).`
          : header.previous
            ? `Names ${header.previous.archive} (SHA-256 ${header.previous.sha256}); give it to check the link.`
            : 'None: this is the first fiscal archive.',
      );
    }
    return {
      ok: checks.every((c) => c.ok),
      archive: path.basename(file),
      sha256: opened.sha256,
      size: opened.size,
      encrypted: opened.encrypted,
      header,
      checks,
    };
  } finally {
    await fsp.rm(scratch, { recursive: true, force: true });
  }
}
