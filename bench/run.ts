// npm run bench: Coffre next to standard tools on the same data, in the same
// run. Prints wall time, throughput and peak memory (max RSS of the largest
// process) of each, and the ratios the project aims for.
//
// The dataset (about 1 GiB of database and 2,000 images of 50-400 KiB) is
// made once under bench/data/ and reused; delete that folder to remake it.
// BENCH_RECEIPTS and BENCH_IMAGES change its size.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackupCenter } from '../src/center.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = path.join(ROOT, 'bench', 'data');
const HOME = path.join(DATA, 'home');
const WORK = path.join(DATA, 'work');
const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const RECEIPTS = Number(process.env.BENCH_RECEIPTS ?? 2_700_000);
const IMAGES = Number(process.env.BENCH_IMAGES ?? 2000);

interface Measure {
  name: string;
  seconds: number;
  maxRssMiB: number;
  bytes: number;
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** Runs a shell command under python's getrusage: wall time and peak RSS. */
function once(name: string, command: string): { seconds: number; rssKiB: number } {
  const script = [
    'import resource, subprocess, sys, time, json',
    't = time.monotonic()',
    "r = subprocess.run(['sh', '-c', sys.argv[1]])",
    'elapsed = time.monotonic() - t',
    'rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss',
    "print(json.dumps({'code': r.returncode, 'seconds': elapsed, 'rssKiB': rss}))",
  ].join('\n');
  const r = spawnSync('python3', ['-c', script, command], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    code: number;
    seconds: number;
    rssKiB: number;
  };
  if (result.code !== 0) throw new Error(`${name} failed: ${command}`);
  return result;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Runs a baseline and Coffre's command alternately, ROUNDS times each, and
 * keeps the median wall time of each: this machine is noisy, and alternating
 * spreads the noise over both sides.
 */
function compare(
  pair: [name: string, command: string, bytes: number, before?: () => void][],
): Measure[] {
  const runs = pair.map(() => ({ seconds: [] as number[], rss: [] as number[] }));
  for (let round = 0; round < ROUNDS; round++) {
    pair.forEach(([name, command, , before], i) => {
      before?.();
      const r = once(name, command);
      runs[i].seconds.push(r.seconds);
      runs[i].rss.push(r.rssKiB / 1024);
    });
  }
  return pair.map(([name, , bytes], i) => {
    const m = {
      name,
      seconds: median(runs[i].seconds),
      maxRssMiB: Math.max(...runs[i].rss),
      bytes,
    };
    console.log(
      `  ${name.padEnd(44)} ${m.seconds.toFixed(2).padStart(7)} s  ${(bytes / 1e6 / m.seconds).toFixed(0).padStart(6)} MB/s  ${m.maxRssMiB.toFixed(0).padStart(5)} MiB   (runs: ${runs[i].seconds.map((x) => x.toFixed(2)).join(', ')})`,
    );
    return m;
  });
}

function sh(command: string): string {
  const r = spawnSync('sh', ['-c', command], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${command}: ${r.stderr}`);
  return r.stdout;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) total += fs.statSync(path.join(e.parentPath ?? e.path, e.name)).size;
  }
  return total;
}

function q(p: string): string {
  return `'${p.replace(/'/g, `'\\''`)}'`;
}

async function dataset(): Promise<void> {
  if (fs.existsSync(path.join(HOME, 'config.json'))) return;
  fs.rmSync(DATA, { recursive: true, force: true });
  fs.mkdirSync(DATA, { recursive: true });
  console.log(
    `Making the dataset: ${RECEIPTS} receipts, ${IMAGES} images of 50-400 KiB (once; kept in bench/data)...`,
  );
  const t = Date.now();
  await BackupCenter.createDemo(HOME, {
    profile: 'pos',
    receipts: RECEIPTS,
    images: IMAGES,
    imageBytes: [50 * 1024, 400 * 1024],
  });
  console.log(`  made in ${((Date.now() - t) / 1000).toFixed(0)} s`);
}

function latestArchive(): string {
  const names = fs
    .readdirSync(path.join(HOME, 'backups'))
    .filter((n) => /\.tar\.zst(\.age)?$/.test(n))
    .sort();
  return path.join(HOME, 'backups', names[names.length - 1]);
}

async function main(): Promise<void> {
  await dataset();
  const app = path.join(HOME, 'demo-register');
  const db = path.join(app, 'register.db');
  const images = path.join(app, 'images');
  const dbBytes = fs.statSync(db).size;
  const imageBytes = dirBytes(images);
  const total = dbBytes + imageBytes;
  console.log(
    `Dataset: database ${(dbBytes / 2 ** 30).toFixed(2)} GiB, ${fs.readdirSync(images, { recursive: true }).length} image entries ${(imageBytes / 2 ** 20).toFixed(0)} MiB; ${(total / 1e6).toFixed(0)} MB in all`,
  );
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  fs.rmSync(path.join(HOME, 'backups'), { recursive: true, force: true });
  fs.mkdirSync(path.join(HOME, 'backups'));
  const key = path.join(WORK, 'key.txt');
  sh(`age-keygen -o ${q(key)} 2>/dev/null`);
  const recipient = sh(`age-keygen -y ${q(key)}`).trim();
  // Warm the page cache so that neither side pays for the first read.
  sh(`cat ${q(db)} > /dev/null; tar -cf - -C ${q(app)} images > /dev/null`);

  console.log(`\nBackup (median of ${ROUNDS} alternating runs)`);
  const snap = path.join(WORK, 'snap.db');
  const baselineTar = `tar -cf - -C ${q(app)} images settings.json -C ${q(WORK)} snap.db`;
  const clearBackups = () => {
    fs.rmSync(path.join(HOME, 'backups'), { recursive: true, force: true });
    fs.mkdirSync(path.join(HOME, 'backups'));
  };
  const [base, baseSync, ours] = compare([
    [
      'baseline: sqlite3 .backup + tar | zstd -3 -T0',
      `rm -f ${q(snap)} && sqlite3 ${q(db)} ".backup ${q(snap)}" && ${baselineTar} | zstd -3 -T0 -q > ${q(path.join(WORK, 'base.tar.zst'))}`,
      total,
    ],
    [
      'baseline + fsync of the archive, as Coffre does',
      `rm -f ${q(snap)} && sqlite3 ${q(db)} ".backup ${q(snap)}" && ${baselineTar} | zstd -3 -T0 -q > ${q(path.join(WORK, 'base.tar.zst'))} && sync ${q(path.join(WORK, 'base.tar.zst'))}`,
      total,
    ],
    [
      'coffre backup',
      `node ${q(CLI)} backup --home ${q(HOME)} --json > /dev/null`,
      total,
      clearBackups,
    ],
  ]) as [Measure, Measure, Measure];
  const plainArchive = latestArchive();
  const plainCopy = path.join(WORK, path.basename(plainArchive));
  fs.renameSync(plainArchive, plainCopy);
  fs.renameSync(plainArchive + '.coffre.json', plainCopy + '.coffre.json');
  const [baseEnc, oursEnc] = compare([
    [
      'baseline: sqlite3 .backup + tar | zstd | age',
      `rm -f ${q(snap)} && sqlite3 ${q(db)} ".backup ${q(snap)}" && ${baselineTar} | zstd -3 -T0 -q | age -r ${recipient} > ${q(path.join(WORK, 'base.tar.zst.age'))}`,
      total,
    ],
    [
      'coffre backup --recipient (encrypted)',
      `node ${q(CLI)} backup --home ${q(HOME)} --recipient ${recipient} --json > /dev/null`,
      total,
      clearBackups,
    ],
  ]) as [Measure, Measure];
  const encArchive = latestArchive();

  console.log(`\nVerify: reads and checks every entry (median of ${ROUNDS})`);
  const plainSize = fs.statSync(plainCopy).size;
  const encSize = fs.statSync(encArchive).size;
  const [baseVerify, verify, verifyEnc] = compare([
    [
      'baseline: sha256sum + zstd -d | tar -t',
      `sha256sum ${q(plainCopy)} > /dev/null && zstd -d -c -q ${q(plainCopy)} | tar -t > /dev/null`,
      total,
    ],
    [
      'coffre verify (plain)',
      `node ${q(CLI)} verify ${q(plainCopy)} --home ${q(HOME)} > /dev/null`,
      total,
    ],
    [
      'coffre verify (encrypted, with key)',
      `node ${q(CLI)} verify ${q(encArchive)} --home ${q(HOME)} --identity ${q(key)} > /dev/null`,
      total,
    ],
  ]) as [Measure, Measure, Measure];

  console.log(`\nFull restore of the plain archive (median of ${ROUNDS})`);
  const restoreDir = path.join(WORK, 'restore');
  const [baseRestore, ourRestore] = compare([
    [
      'baseline: zstd -d | tar -x + sqlite3 .restore',
      `rm -rf ${q(restoreDir)} && mkdir ${q(restoreDir)} && zstd -d -c -q ${q(path.join(WORK, 'base.tar.zst'))} | tar -x -C ${q(restoreDir)} && sqlite3 ${q(db)} ".restore ${q(path.join(restoreDir, 'snap.db'))}"`,
      total,
    ],
    [
      'coffre restore --yes (with its safety backup)',
      `node ${q(CLI)} restore ${q(plainCopy)} --home ${q(HOME)} --yes > /dev/null`,
      total,
      clearBackups,
    ],
  ]) as [Measure, Measure];
  // The safety backup is a whole backup taken first; the history says how long it took.
  const history = JSON.parse(sh(`node ${q(CLI)} history --home ${q(HOME)} --json --limit 10`)) as {
    kind: string;
    trigger: string;
    startedAt: string;
    endedAt: string;
  }[];
  const safety = history.find((j) => j.kind === 'backup' && j.trigger === 'restore');
  const safetySeconds = safety
    ? (Date.parse(safety.endedAt) - Date.parse(safety.startedAt)) / 1000
    : 0;
  fs.rmSync(restoreDir, { recursive: true, force: true });

  console.log('\nSummary');
  const ratio = (a: Measure, b: Measure) => (a.seconds / b.seconds).toFixed(2);
  console.log(
    `  backup / baseline:                 ${ratio(ours, base)}x   (aim <= 1.1x; headed for <= 0.65x)`,
  );
  console.log(`  backup / baseline with fsync:      ${ratio(ours, baseSync)}x`);
  console.log(`  encrypted backup / baseline+age:   ${ratio(oursEnc, baseEnc)}x`);
  console.log(
    `  restore / baseline:                ${ratio(ourRestore, baseRestore)}x with the safety backup, ${((ourRestore.seconds - safetySeconds) / baseRestore.seconds).toFixed(2)}x without its ${safetySeconds.toFixed(1)} s (aim <= 1.2x)`,
  );
  console.log(`  encrypted backup / plain backup:   ${ratio(oursEnc, ours)}x   (aim <= 1.15x)`);
  console.log(`  verify / baseline:                 ${ratio(verify, baseVerify)}x`);
  console.log(
    `  verify throughput:                 ${(total / 1e6 / verify.seconds).toFixed(0)} MB/s of data, ${(plainSize / 1e6 / verify.seconds).toFixed(0)} MB/s of archive (aim >= 800 MB/s)`,
  );
  console.log(`  encrypted archive:                 ${(encSize / 2 ** 20).toFixed(0)} MiB`);
  console.log(
    `  verify encrypted throughput:       ${(total / 1e6 / verifyEnc.seconds).toFixed(0)} MB/s of data`,
  );
  console.log(
    `  peak memory (coffre):              backup ${ours.maxRssMiB.toFixed(0)} MiB, encrypted ${oursEnc.maxRssMiB.toFixed(0)} MiB, verify ${verify.maxRssMiB.toFixed(0)} MiB (aim <= 200 MB)`,
  );
  console.log(
    `  archive sizes:                     coffre ${(plainSize / 2 ** 20).toFixed(0)} MiB, baseline ${(fs.statSync(path.join(WORK, 'base.tar.zst')).size / 2 ** 20).toFixed(0)} MiB`,
  );
  fs.rmSync(WORK, { recursive: true, force: true });
}

await main();
