// coffre fiscal audit|export|list|verify|delete, and coffre log.

import type { Command } from 'commander';
import {
  BackupCenter,
  CoffreError,
  readIdentityFiles,
  readSecretFile,
  splitTo,
  type FiscalAudit,
} from '../../index.js';
import { collect, ExitWith, print, printJson, withCenter, type HomeOption } from '../context.js';
import { EXIT_CODES } from '../messages.js';
import { formatBytes, table } from '../output.js';

const HOME = 'Coffre home (default: $COFFRE_HOME or ~/.coffre)';

interface KeyFlags {
  identity?: string[];
  passphraseFile?: string;
}

function keys(opts: KeyFlags) {
  return {
    identities: opts.identity ? readIdentityFiles(opts.identity) : [],
    passphrase: opts.passphraseFile ? readSecretFile(opts.passphraseFile) : null,
  };
}

function printAudit(a: FiscalAudit): void {
  const r = a.records;
  print(
    `Fiscal audit of ${a.source === 'live' ? 'the live data' : `backup ${a.source}`}: ${a.ok ? 'OK' : 'PROBLEMS FOUND'}`,
  );
  const ref = (x: { seq: number; at: string | null; hash: string } | null) =>
    x ? `#${x.seq} ${x.at ?? ''} ${x.hash.slice(0, 16)}…` : '-';
  print(`  ${r.label}: ${r.count}, chain ${r.ok ? 'intact' : 'BROKEN'}`);
  print(`    first ${ref(r.first)}`);
  print(`    last  ${ref(r.last)}`);
  if (a.closings)
    print(`  closings: ${a.closings.count}, chain ${a.closings.ok ? 'intact' : 'BROKEN'}`);
  if (a.events)
    print(`  technical events: ${a.events.count}, chain ${a.events.ok ? 'intact' : 'BROKEN'}`);
  const pending = a.closings?.pending ?? [];
  if (pending.length > 0)
    print(
      `  closing at the next opening: ${pending.map((p) => `${p.kind} ${p.period}`).join(', ')} (over, nothing recorded since)`,
    );
  if (a.archives) print(`  last fiscal archive: ${a.archives.last ?? 'none yet'}`);
  for (const f of a.findings) print(`  - ${f}`);
}

export function registerFiscal(program: Command): void {
  const fiscal = program
    .command('fiscal')
    .description("the register's fiscal data: audit, fiscal archives (6-year hold), FEC");

  fiscal
    .command('audit')
    .argument('[backup]', 'audit the database inside this backup instead of the live one')
    .description(
      'check the receipts chain, sequence, closings, perpetual total and fiscal archives',
    )
    .option('--home <dir>', HOME)
    .option('--identity <file>', 'age key file for an encrypted backup (repeatable)', collect)
    .option('--passphrase-file <file>', 'passphrase for an encrypted backup')
    .option('--json', 'print JSON')
    .action(
      async (backup: string | undefined, opts: HomeOption & KeyFlags & { json?: boolean }) => {
        const audit = await withCenter(opts, (c) =>
          c.fiscalAudit({ backup: backup ?? null, ...keys(opts) }),
        );
        if (opts.json) printJson(audit);
        else printAudit(audit);
        if (!audit.ok) throw new ExitWith(EXIT_CODES.CORRUPT_ARCHIVE);
      },
    );

  fiscal
    .command('export')
    .description(
      'write a signed fiscal archive of a closed period (at most a year) to the fiscal area of destinations',
    )
    .option('--home <dir>', HOME)
    .option('--period <period>', 'a year (2026) or a month (2026-11)')
    .option('--from <day>', 'first day (2026-01-01), with a last day given as --to 2026-03-31')
    .option(
      '--to <destination-or-day>',
      'a destination (repeatable; default: the default destinations); with --from, also the last day',
      collect,
    )
    .option('--out <file>', 'also write the archive to this file')
    .option('--json', 'print JSON')
    .action(
      async (
        opts: HomeOption & {
          period?: string;
          from?: string;
          to?: string[];
          out?: string;
          json?: boolean;
        },
      ) => {
        const { lastDay, destinations } = splitTo(opts.to ?? [], opts.from !== undefined);
        const result = await withCenter(opts, (c) =>
          c.fiscalExport({
            ...(opts.period !== undefined ? { period: opts.period } : {}),
            ...(opts.from !== undefined ? { from: opts.from } : {}),
            ...(lastDay !== undefined ? { to: lastDay } : {}),
            destinations,
            out: opts.out ?? null,
          }),
        );
        if (opts.json) {
          printJson(result);
          return;
        }
        print(
          `Fiscal archive ${result.archive}: ${result.period.from} to ${result.period.to}, ${result.records} records, ${formatBytes(result.size)}`,
        );
        print(`  SHA-256 ${result.sha256}`);
        print(
          `  previous: ${result.previous ? `${result.previous.archive} (${result.previous.sha256})` : 'none (the first)'}`,
        );
        for (const d of result.destinations) print(`  stored in ${d.name} (${d.location})`);
        if (result.out) print(`  written to ${result.out}`);
        for (const f of result.failed) print(`  NOT stored in ${f.destination}: ${f.message}`);
        for (const f of result.audit.findings) print(`  audit: ${f}`);
      },
    );

  fiscal
    .command('list')
    .description('the fiscal archives in every destination (apart from backups)')
    .option('--home <dir>', HOME)
    .option('--json', 'print JSON')
    .action(async (opts: HomeOption & { json?: boolean }) => {
      const result = await withCenter(opts, (c) => c.fiscalArchives());
      if (opts.json) {
        printJson(result);
        return;
      }
      if (result.archives.length === 0) print('No fiscal archives yet.');
      else {
        print(
          table(
            ['ID', 'PERIOD', 'RECORDS', 'SIZE', 'DESTINATION', 'HELD UNTIL'],
            result.archives.map((a) => [
              a.id,
              `${a.period.from}..${a.period.to}`,
              String(a.records),
              formatBytes(a.size),
              a.destination,
              a.holdUntil.slice(0, 10),
            ]),
          ),
        );
      }
      for (const u of result.unavailable) print(`Not listed: ${u.destination}: ${u.message}`);
    });

  fiscal
    .command('verify')
    .argument('<file>', 'a fiscal archive file')
    .description(
      'check a fiscal archive on its own (no Coffre home needed): signature, hashes, chains, closings',
    )
    .option('--previous <file>', 'the fiscal archive before it, to check the link')
    .option('--identity <file>', 'age key file for an encrypted archive (repeatable)', collect)
    .option('--passphrase-file <file>', 'passphrase for an encrypted archive')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: KeyFlags & { previous?: string; json?: boolean }) => {
      const report = await BackupCenter.verifyFiscalArchive(file, {
        previous: opts.previous ?? null,
        ...keys(opts),
      });
      if (opts.json) printJson(report);
      else {
        const h = report.header;
        print(`Fiscal archive ${report.archive}: ${report.ok ? 'OK' : 'PROBLEMS FOUND'}`);
        print(
          `  register ${h.register.name} (${h.register.id}), period ${h.period.from} to ${h.period.to}`,
        );
        print(`  SHA-256 ${report.sha256}`);
        for (const c of report.checks)
          print(`  ${c.ok ? 'ok ' : 'BAD'} ${c.name.padEnd(17)} ${c.detail}`);
      }
      if (!report.ok) throw new ExitWith(EXIT_CODES.CORRUPT_ARCHIVE);
    });

  fiscal
    .command('delete')
    .argument('<archive>', 'a fiscal archive id or file name')
    .description('remove a fiscal archive from one destination (refused within its 6-year hold)')
    .requiredOption('--from <destination>', 'the destination to remove it from')
    .option(
      '--override-hold <reason>',
      'remove it although it is under the hold; the reason is logged',
    )
    .option('--home <dir>', HOME)
    .option('--json', 'print JSON')
    .action(
      async (
        ref: string,
        opts: HomeOption & { from: string; overrideHold?: string; json?: boolean },
      ) => {
        const removed = await withCenter(opts, (c) =>
          c.deleteFiscalArchive(ref, {
            from: opts.from,
            override: opts.overrideHold !== undefined ? { reason: opts.overrideHold } : null,
          }),
        );
        if (opts.json) printJson({ removed });
        else print(`Removed fiscal archive ${removed.archive} from ${removed.destination}.`);
      },
    );

  fiscal
    .command('fec')
    .description(
      'write the FEC of a fiscal year (accounting profile) and check it; or check a FEC file (--check)',
    )
    .option('--year <year>', 'the fiscal year, e.g. 2026')
    .option('--siren <siren>', "the company's SIREN (nine digits), for the file name")
    .option('--separator <separator>', 'pipe or tab', 'pipe')
    .option('--encoding <encoding>', 'latin9 (ISO-8859-15) or utf8', 'latin9')
    .option('--out <dir>', 'the folder to write it in', '.')
    .option('--check <file>', 'only check this FEC file (no home needed)')
    .option('--home <dir>', HOME)
    .option('--json', 'print JSON')
    .action(
      async (
        opts: HomeOption & {
          year?: string;
          siren?: string;
          separator: string;
          encoding: string;
          out: string;
          check?: string;
          json?: boolean;
        },
      ) => {
        let result: {
          ok: boolean;
          lines: number;
          entries: number;
          problems: { message: string }[];
          file: string;
        };
        if (opts.check) {
          result = BackupCenter.checkFec(opts.check, opts.year ? { year: opts.year } : {});
        } else {
          if (!opts.year || !opts.siren)
            throw new CoffreError('USAGE', 'A FEC needs --year and --siren.');
          if (opts.separator !== 'pipe' && opts.separator !== 'tab') {
            throw new CoffreError(
              'USAGE',
              `--separator must be pipe or tab, not "${opts.separator}".`,
            );
          }
          if (opts.encoding !== 'latin9' && opts.encoding !== 'utf8') {
            throw new CoffreError(
              'USAGE',
              `--encoding must be latin9 or utf8, not "${opts.encoding}".`,
            );
          }
          const { year, siren } = opts;
          const separator: 'pipe' | 'tab' = opts.separator;
          const encoding: 'latin9' | 'utf8' = opts.encoding;
          result = await withCenter(opts, (c) =>
            Promise.resolve(c.fiscalFec({ year, siren, separator, encoding, dir: opts.out })),
          );
        }
        if (opts.json) printJson(result);
        else {
          print(
            `${result.file}: ${result.ok ? 'valid' : 'NOT VALID'} (${result.entries} entries, ${result.lines - 1} lines)`,
          );
          for (const p of result.problems) print(`  - ${p.message}`);
        }
        if (!result.ok) throw new ExitWith(EXIT_CODES.CORRUPT_ARCHIVE);
      },
    );

  program
    .command('log')
    .description("Coffre's own event journal: what it did and who did it, hash-chained")
    .option('--home <dir>', HOME)
    .option('--verify', "check the journal's chain")
    .option('--json', 'print JSON')
    .action(async (opts: HomeOption & { verify?: boolean; json?: boolean }) => {
      const { entries, check } = await withCenter(opts, (c) =>
        Promise.resolve({ entries: c.log(), check: opts.verify ? c.verifyLog() : null }),
      );
      if (opts.json) printJson(check ? { entries, verify: check } : { entries });
      else {
        if (entries.length === 0) print('The journal is empty.');
        for (const e of entries)
          // The actor and action as JSON strings when they hold anything but
          // plain words: a line of the journal can never pass for two.
          print(
            `#${e.seq} ${e.at} ${plain(e.actor)} ${plain(e.action)} ${JSON.stringify(e.detail)}`,
          );
        if (check) {
          print(
            check.ok
              ? `Journal intact: ${check.count} entries chained.`
              : `Journal BROKEN${check.broken ? ` at #${check.broken.seq} (${check.broken.reason}): ${check.broken.detail}` : ''}${check.unreadable.length > 0 ? `; unreadable lines ${check.unreadable.join(', ')}` : ''}.`,
          );
        }
      }
      if (check && !check.ok) throw new ExitWith(EXIT_CODES.CORRUPT_ARCHIVE);
    });
}

/** A journal word as it is, or as a JSON string when it holds spaces or control characters. */
function plain(word: string): string {
  return /^[\w.@:+-]{1,100}$/.test(word) ? word : JSON.stringify(word);
}
