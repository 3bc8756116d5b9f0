// npm run bench: Coffre next to standard tools on the same data, in the same
// run. Prints wall time, throughput and peak memory (max RSS of the largest
// process) of each, and the ratios the project aims for.
//
// The dataset (about 1 GiB of database and 2,000 images of 50-400 KiB) is
// made once under bench/data/ and reused; delete that folder to remake it.
// BENCH_RECEIPTS and BENCH_IMAGES change its size.
//
// The register's largest tables get the indexes a real register has on them
// (receipts by date and by employee, lines by product), added once.
//
// The cloud section uploads and downloads the plain archive to and from a
// local S3 server (s3rver, started here on 127.0.0.1), Coffre's S3 destination
// next to `rclone copy` (rclone must be installed). Sections can run alone
// (page, page-e2e, backup, verify, restore, startup, cloud; those that need an
// archive take one plain backup first, untimed; `page` renders the tabs on data
// of its own; `page-e2e` loads them through the server on a home of its own,
// in bench/page-e2e.ts; `writer`, on a database of its own, is in
// bench/writer.ts):
//
//   npm run bench -- restore startup
//   BENCH_CLI_BEFORE=/path/to/other/build/dist/src/cli/main.js npm run bench -- restore
//   BENCH_WRITER_MIB=128 npm run bench -- writer
//
// BENCH_CLI_BEFORE adds another build's CLI to the verify, restore and
// start-up runs (alternating with this one), to compare two builds in the
// same conditions; BENCH_ROUNDS sets the runs per command (default 3).
//   node --expose-gc dist/bench/run.js cloud      (after `npm run build`)

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3-multiple-ciphers';
import { BackupCenter } from '../src/center.js';
import { PART_SIZE } from '../src/destinations/s3.js';
import { startS3Server } from '../test/s3.js';
import { pageBench } from './page.js';
import { pageE2eBench } from './page-e2e.js';
import { writerBench } from './writer.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = path.join(ROOT, 'bench', 'data');
const HOME = path.join(DATA, 'home');
const WORK = path.join(DATA, 'work');
const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const CLOUD_CLIENT = path.join(ROOT, 'dist', 'bench', 'cloud-client.js');
const RECEIPTS = Number(process.env.BENCH_RECEIPTS ?? 2_700_000);
const IMAGES = Number(process.env.BENCH_IMAGES ?? 2000);

interface Measure {
  name: string;
  seconds: number;
  /** Median CPU time (user + system) of the command and its children. */
  cpuSeconds: number;
  maxRssMiB: number;
  bytes: number;
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/**
 * Runs a shell command under python's getrusage: wall time, CPU time and
 * peak RSS. CPU time is the steadier figure when other work shares the cores.
 */
function once(name: string, command: string): { seconds: number; cpu: number; rssKiB: number } {
  const script = [
    'import resource, subprocess, sys, time, json',
    't = time.monotonic()',
    "r = subprocess.run(['sh', '-c', sys.argv[1]])",
    'elapsed = time.monotonic() - t',
    'u = resource.getrusage(resource.RUSAGE_CHILDREN)',
    "print(json.dumps({'code': r.returncode, 'seconds': elapsed, 'cpu': u.ru_utime + u.ru_stime, 'rssKiB': u.ru_maxrss}))",
  ].join('\n');
  const r = spawnSync('python3', ['-c', script, command], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    code: number;
    seconds: number;
    cpu: number;
    rssKiB: number;
  };
  if (result.code !== 0) throw new Error(`${name} failed: ${command}`);
  return result;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Runs a baseline and Coffre's command alternately, ROUNDS times each, and
 * keeps the median wall time of each: this machine is noisy, and alternating
 * spreads the noise over both sides. A command made by a function gets the
 * round's number, for runs that must not write where an earlier one did.
 */
function compare(
  pair: [
    name: string,
    command: string | ((round: number) => string),
    bytes: number,
    before?: (round: number) => void,
  ][],
): Measure[] {
  const runs = pair.map(() => ({
    seconds: [] as number[],
    cpu: [] as number[],
    rss: [] as number[],
  }));
  for (let round = 0; round < ROUNDS; round++) {
    pair.forEach(([name, command, , before], i) => {
      before?.(round);
      const r = once(name, typeof command === 'string' ? command : command(round));
      runs[i].seconds.push(r.seconds);
      runs[i].cpu.push(r.cpu);
      runs[i].rss.push(r.rssKiB / 1024);
    });
  }
  return pair.map(([name, , bytes], i) => {
    const m = {
      name,
      seconds: median(runs[i].seconds),
      cpuSeconds: median(runs[i].cpu),
      maxRssMiB: Math.max(...runs[i].rss),
      bytes,
    };
    console.log(
      `  ${name.padEnd(44)} ${m.seconds.toFixed(2).padStart(7)} s  ${(bytes / 1e6 / m.seconds).toFixed(0).padStart(6)} MB/s  ${m.maxRssMiB.toFixed(0).padStart(5)} MiB  cpu ${m.cpuSeconds.toFixed(1).padStart(5)} s   (runs: ${runs[i].seconds.map((x) => x.toFixed(2)).join(', ')})`,
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

/** The indexes a real register has on its largest tables (the demo has only what it queries). */
const REGISTER_INDEXES = [
  'CREATE INDEX IF NOT EXISTS receipts_created_at ON receipts(created_at)',
  'CREATE INDEX IF NOT EXISTS receipts_employee ON receipts(employee_id, created_at)',
  'CREATE INDEX IF NOT EXISTS receipt_lines_product ON receipt_lines(product_id)',
];

function addIndexes(dbFile: string): void {
  const db = new Database(dbFile);
  try {
    for (const sql of REGISTER_INDEXES) db.exec(sql);
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

function latestArchive(): string {
  const names = fs
    .readdirSync(path.join(HOME, 'backups'))
    .filter((n) => /\.tar\.zst(\.age)?$/.test(n))
    .sort();
  return path.join(HOME, 'backups', names[names.length - 1]);
}

/** Moves an archive and its sidecar out of the backups folder, into WORK. */
function keep(archive: string): string {
  const kept = path.join(WORK, path.basename(archive));
  fs.renameSync(archive, kept);
  fs.renameSync(archive + '.coffre.json', kept + '.coffre.json');
  return kept;
}

const BUCKET = 'coffre-bench';
const ACCESS_KEY = 'COFFREBENCHKEY';
const SECRET_KEY = 'coffre-bench-secret';
/** QUEUE_SIZE in src/destinations/s3.ts: parts uploaded at once. */
const COFFRE_QUEUE = 4;

interface Cloud {
  archiveBytes: number;
  rcloneUp: Measure;
  rcloneUpAsCoffre: Measure;
  up: Measure;
  rcloneDown: Measure;
  rcloneDownOneStream: Measure;
  down: Measure;
  rcloneDefaults: { chunk: string; concurrency: string; streams: string; cutoff: string };
}

/**
 * Uploads and downloads an archive to and from a local S3 server: Coffre's
 * S3 destination (bench/cloud-client.ts, as a backup uploads and a restore
 * downloads) next to `rclone copy` of the same file, alternately. Each upload
 * goes under a prefix of its own, checked for the whole archive and removed
 * before the next run; the downloads all read one object Coffre uploaded.
 * Before each run, `sync` writes out what the last one left in the page cache:
 * each run writes the whole archive, and no run should pay for the one before.
 */
async function cloud(archive: string): Promise<Cloud> {
  const name = path.basename(archive);
  const archiveBytes = fs.statSync(archive).size;
  const storage = path.join(WORK, 's3');
  fs.rmSync(storage, { recursive: true, force: true });
  fs.mkdirSync(storage, { recursive: true });
  const server = await startS3Server([BUCKET], {
    dir: storage,
    accessKeyId: ACCESS_KEY,
    secretAccessKey: SECRET_KEY,
  });
  try {
    const endpoint = `http://127.0.0.1:${server.port}`;
    const conf = path.join(WORK, 'rclone.conf');
    fs.writeFileSync(
      conf,
      [
        '[bench]',
        'type = s3',
        'provider = Other',
        'env_auth = false',
        `access_key_id = ${ACCESS_KEY}`,
        `secret_access_key = ${SECRET_KEY}`,
        `endpoint = ${endpoint}`,
        'force_path_style = true',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    // rclone 1.60 will not start with AWS_CA_BUNDLE set.
    const rclone = `env -u AWS_CA_BUNDLE rclone --config ${q(conf)}`;
    const coffre = `AWS_ACCESS_KEY_ID=${ACCESS_KEY} AWS_SECRET_ACCESS_KEY=${SECRET_KEY} AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true node ${q(CLOUD_CLIENT)}`;
    const flags = sh(`${rclone} help flags`);
    const flagDefault = (flag: string) =>
      new RegExp(`--${flag} .*\\(default ([^)]+)\\)`).exec(flags)?.[1] ?? '?';
    const rcloneDefaults = {
      chunk: flagDefault('s3-chunk-size'),
      concurrency: flagDefault('s3-upload-concurrency'),
      streams: flagDefault('multi-thread-streams'),
      cutoff: flagDefault('multi-thread-cutoff'),
    };
    const version = /rclone (v\S+)/.exec(sh(`${rclone} version`))?.[1] ?? '?';
    console.log(
      `\nCloud: the plain archive (${(archiveBytes / 2 ** 20).toFixed(0)} MiB) to and from a local S3 server (s3rver), median of ${ROUNDS} alternating runs; MB/s of archive`,
    );
    console.log(
      `  rclone ${version} defaults: ${rcloneDefaults.chunk} parts, ${rcloneDefaults.concurrency} at once; downloads above ${rcloneDefaults.cutoff} in ${rcloneDefaults.streams} streams`,
    );
    console.log(
      `  coffre: ${PART_SIZE / 2 ** 20} MiB parts, ${COFFRE_QUEUE} at once, SHA-256 of each part; downloads in one stream`,
    );

    // Where an object is, from rclone's listing of a prefix: its path and size.
    const find = (prefix: string) =>
      (
        JSON.parse(sh(`${rclone} lsjson -R ${q(`bench:${BUCKET}/${prefix}`)}`)) as {
          Path: string;
          Name: string;
          Size: number;
        }[]
      ).find((o) => o.Name === name);
    const uploaded: string[] = [];
    const settle = () => {
      for (const prefix of uploaded.splice(0)) {
        const size = find(prefix)?.Size;
        if (size !== archiveBytes) {
          throw new Error(
            `the upload under ${prefix} stored ${size ?? 'no'} bytes of ${archiveBytes}`,
          );
        }
        sh(`${rclone} purge ${q(`bench:${BUCKET}/${prefix}`)}`);
      }
    };
    const upload = (
      label: string,
      folder: string,
      command: (prefix: string) => string,
    ): [string, (round: number) => string, number, (round: number) => void] => [
      label,
      (round) => command(`${folder}-${round}/`),
      archiveBytes,
      (round) => {
        settle();
        uploaded.push(`${folder}-${round}/`);
        sh('sync');
      },
    ];
    const [rcloneUp, rcloneUpAsCoffre, up] = compare([
      upload(
        'rclone copy up (defaults)',
        'rclone',
        (prefix) => `${rclone} copy ${q(archive)} ${q(`bench:${BUCKET}/${prefix}`)}`,
      ),
      upload(
        `rclone copy up, ${PART_SIZE / 2 ** 20}M parts x${COFFRE_QUEUE} (as coffre)`,
        'rclone-as-coffre',
        (prefix) =>
          `${rclone} copy --s3-chunk-size ${PART_SIZE / 2 ** 20}M --s3-upload-concurrency ${COFFRE_QUEUE} ${q(archive)} ${q(`bench:${BUCKET}/${prefix}`)}`,
      ),
      upload(
        'coffre S3 upload: put + commit',
        'coffre',
        (prefix) => `${coffre} put ${endpoint} ${BUCKET} ${prefix} ${q(archive)}`,
      ),
    ]) as [Measure, Measure, Measure];
    settle();

    // The downloads read one archive Coffre uploaded, with its sidecar.
    sh(`${coffre} put ${endpoint} ${BUCKET} seed/ ${q(archive)}`);
    const seed = `bench:${BUCKET}/seed/${find('seed/')!.Path}`;
    const rcloneDir = path.join(WORK, 'down-rclone');
    const rcloneOneDir = path.join(WORK, 'down-rclone-one');
    const coffreOut = path.join(WORK, 'down-coffre', name);
    const fresh = (dir: string) => () => {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir);
      sh('sync');
    };
    const [rcloneDown, rcloneDownOneStream, down] = compare([
      [
        'rclone copy down (defaults)',
        `${rclone} copy ${q(seed)} ${q(rcloneDir)}`,
        archiveBytes,
        fresh(rcloneDir),
      ],
      [
        'rclone copy down, one stream',
        `${rclone} copy --multi-thread-streams 0 ${q(seed)} ${q(rcloneOneDir)}`,
        archiveBytes,
        fresh(rcloneOneDir),
      ],
      [
        'coffre S3 download: get > file',
        `${coffre} get ${endpoint} ${BUCKET} seed/ ${name} ${q(coffreOut)}`,
        archiveBytes,
        fresh(path.dirname(coffreOut)),
      ],
    ]) as [Measure, Measure, Measure];
    for (const file of [path.join(rcloneDir, name), path.join(rcloneOneDir, name), coffreOut]) {
      sh(`cmp -s ${q(archive)} ${q(file)}`);
    }
    return {
      archiveBytes,
      rcloneUp,
      rcloneUpAsCoffre,
      up,
      rcloneDown,
      rcloneDownOneStream,
      down,
      rcloneDefaults,
    };
  } finally {
    await server.stop();
    fs.rmSync(storage, { recursive: true, force: true });
  }
}

function cloudSummary(c: Cloud): void {
  const ratio = (a: Measure, b: Measure) => (a.seconds / b.seconds).toFixed(2);
  const d = c.rcloneDefaults;
  console.log(
    `  cloud upload / rclone copy:        ${ratio(c.up, c.rcloneUp)}x rclone's defaults (${d.chunk} parts x${d.concurrency}), ${ratio(c.up, c.rcloneUpAsCoffre)}x with coffre's ${PART_SIZE / 2 ** 20} MiB parts x${COFFRE_QUEUE} (aim <= 1.2x)`,
  );
  console.log(
    `  cloud download / rclone copy:      ${ratio(c.down, c.rcloneDown)}x rclone's defaults (${d.streams} streams), ${ratio(c.down, c.rcloneDownOneStream)}x with one stream as coffre (aim <= 1.2x)`,
  );
  console.log(
    `  peak memory (cloud):               coffre upload ${c.up.maxRssMiB.toFixed(0)} MiB, download ${c.down.maxRssMiB.toFixed(0)} MiB, for a ${(c.archiveBytes / 2 ** 20).toFixed(0)} MiB archive; rclone upload ${c.rcloneUp.maxRssMiB.toFixed(0)} MiB, download ${c.rcloneDown.maxRssMiB.toFixed(0)} MiB`,
  );
}

const SECTIONS = ['page', 'page-e2e', 'backup', 'verify', 'restore', 'startup', 'cloud', 'writer'];
/** Sections with data of their own: alone, they need no dataset. */
const OWN_DATA = ['page', 'page-e2e', 'writer'];

/** Median of each phase over the runs (phases in the order of the first run). */
function medianPhases(runs: { phase: string; seconds: number }[][]): Map<string, number> {
  const out = new Map<string, number>();
  for (const { phase } of runs[0] ?? []) {
    out.set(
      phase,
      median(
        runs.map((r) => r.filter((p) => p.phase === phase).reduce((n, p) => n + p.seconds, 0)),
      ),
    );
  }
  return out;
}

const formatPhases = (phases: Map<string, number>) =>
  [...phases].map(([name, s]) => `${name} ${s.toFixed(2)}`).join(', ');

/**
 * Start-up: each command run `times` times, alternating, like hyperfine;
 * median wall time in milliseconds.
 */
function startup(commands: [name: string, argv: string[]][], times: number): Map<string, number> {
  const runs = commands.map(() => [] as number[]);
  for (let round = 0; round < times; round++) {
    commands.forEach(([name, argv], i) => {
      const t = process.hrtime.bigint();
      const r = spawnSync(argv[0], argv.slice(1), { stdio: 'ignore' });
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (r.status !== 0) throw new Error(`${name} failed: ${argv.join(' ')}`);
      runs[i].push(ms);
    });
  }
  const out = new Map<string, number>();
  commands.forEach(([name], i) => {
    out.set(name, median(runs[i]));
    console.log(
      `  ${name.padEnd(44)} ${median(runs[i]).toFixed(0).padStart(7)} ms  (min ${Math.min(...runs[i]).toFixed(0)}, max ${Math.max(...runs[i]).toFixed(0)}, ${times} runs)`,
    );
  });
  return out;
}

async function main(): Promise<void> {
  const sections = process.argv.slice(2);
  const unknown = sections.filter((s) => !SECTIONS.includes(s));
  if (unknown.length > 0) {
    throw new Error(`unknown section "${unknown[0]}": the sections are ${SECTIONS.join(', ')}`);
  }
  const want = (section: string) => sections.length === 0 || sections.includes(section);
  if (want('page')) {
    console.log(
      '\nPage: render time of each tab, 1,000 backups in three destinations (median of 30)',
    );
    const lines = pageBench();
    for (const line of lines) console.log(line);
  }
  const pageE2e = want('page-e2e')
    ? await pageE2eBench({ dataDir: DATA, script: path.join(ROOT, 'dist', 'bench', 'page-e2e.js') })
    : [];
  const writer = () =>
    writerBench({
      dataDir: DATA,
      cli: CLI,
      writerScript: path.join(ROOT, 'dist', 'bench', 'writer-child.js'),
    });
  if (sections.length > 0 && sections.every((s) => OWN_DATA.includes(s))) {
    const lines = [...pageE2e, ...(want('writer') ? await writer() : [])];
    if (lines.length > 0) console.log('\nSummary');
    for (const line of lines) console.log(line);
    return;
  }
  await dataset();
  const app = path.join(HOME, 'demo-register');
  const db = path.join(app, 'register.db');
  addIndexes(db);
  const images = path.join(app, 'images');
  const dbBytes = fs.statSync(db).size;
  const imageBytes = dirBytes(images);
  const total = dbBytes + imageBytes;
  console.log(
    `Dataset: database ${(dbBytes / 2 ** 30).toFixed(2)} GiB (with ${REGISTER_INDEXES.length} register indexes), ${fs.readdirSync(images, { recursive: true }).length} image entries ${(imageBytes / 2 ** 20).toFixed(0)} MiB; ${(total / 1e6).toFixed(0)} MB in all`,
  );
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  const clearBackups = () => {
    fs.rmSync(path.join(HOME, 'backups'), { recursive: true, force: true });
    fs.mkdirSync(path.join(HOME, 'backups'));
  };
  clearBackups();
  const key = path.join(WORK, 'key.txt');
  sh(`age-keygen -o ${q(key)} 2>/dev/null`);
  const recipient = sh(`age-keygen -y ${q(key)}`).trim();
  // Warm the page cache so that neither side pays for the first read.
  sh(`cat ${q(db)} > /dev/null; tar -cf - -C ${q(app)} images > /dev/null`);
  const summary: string[] = [...pageE2e];
  // Wall time, and CPU time: the steadier figure when other work shares the cores.
  const ratio = (a: Measure, b: Measure) =>
    `${(a.seconds / b.seconds).toFixed(2)}x (cpu ${(a.cpuSeconds / b.cpuSeconds).toFixed(2)}x)`;

  let plainCopy: string | null = null;
  let encArchive: string | null = null;
  if (want('backup')) {
    console.log(`\nBackup (median of ${ROUNDS} alternating runs)`);
    const snap = path.join(WORK, 'snap.db');
    const baselineTar = `tar -cf - -C ${q(app)} images settings.json -C ${q(WORK)} snap.db`;
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
    plainCopy = keep(latestArchive());
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
    encArchive = keep(latestArchive());
    summary.push(
      `  backup / baseline:                 ${ratio(ours, base)}   (aim <= 1.0x)`,
      `  backup / baseline with fsync:      ${ratio(ours, baseSync)}`,
      `  encrypted backup / baseline+age:   ${ratio(oursEnc, baseEnc)}`,
      `  encrypted backup / plain backup:   ${ratio(oursEnc, ours)}   (aim <= 1.05x)`,
      `  peak memory (coffre backup):       ${ours.maxRssMiB.toFixed(0)} MiB, encrypted ${oursEnc.maxRssMiB.toFixed(0)} MiB (aim <= 200 MiB); baseline ${base.maxRssMiB.toFixed(0)} MiB`,
      `  archive sizes:                     coffre ${(fs.statSync(plainCopy).size / 2 ** 20).toFixed(0)} MiB, baseline ${(fs.statSync(path.join(WORK, 'base.tar.zst')).size / 2 ** 20).toFixed(0)} MiB, encrypted ${(fs.statSync(encArchive).size / 2 ** 20).toFixed(0)} MiB`,
    );
  }
  if (!plainCopy && (want('verify') || want('restore') || want('cloud'))) {
    console.log('\nOne plain backup, for its archive (untimed)');
    sh(`node ${q(CLI)} backup --home ${q(HOME)} --json > /dev/null`);
    plainCopy = keep(latestArchive());
  }

  if (want('verify')) {
    if (!encArchive) {
      console.log('One encrypted backup, for its archive (untimed)');
      sh(`node ${q(CLI)} backup --home ${q(HOME)} --recipient ${recipient} --json > /dev/null`);
      encArchive = keep(latestArchive());
    }
    console.log(`\nVerify: reads and checks every entry (median of ${ROUNDS})`);
    const plainSize = fs.statSync(plainCopy!).size;
    const verifyRuns = compare([
      [
        'baseline: sha256sum + zstd -d | tar -t',
        `sha256sum ${q(plainCopy!)} > /dev/null && zstd -d -c -q ${q(plainCopy!)} | tar -t > /dev/null`,
        total,
      ],
      [
        'coffre verify (plain)',
        `node ${q(CLI)} verify ${q(plainCopy!)} --home ${q(HOME)} > /dev/null`,
        total,
      ],
      [
        'coffre verify (encrypted, with key)',
        `node ${q(CLI)} verify ${q(encArchive)} --home ${q(HOME)} --identity ${q(key)} > /dev/null`,
        total,
      ],
      ...(process.env.BENCH_CLI_BEFORE
        ? ([
            [
              'before: coffre verify (plain)',
              `node ${q(process.env.BENCH_CLI_BEFORE)} verify ${q(plainCopy!)} --home ${q(HOME)} > /dev/null`,
              total,
            ],
          ] as [string, string, number][])
        : []),
    ]);
    const [baseVerify, verify, verifyEnc] = verifyRuns as [Measure, Measure, Measure];
    const verifyBefore = process.env.BENCH_CLI_BEFORE ? verifyRuns[3] : undefined;
    summary.push(
      `  verify / baseline:                 ${ratio(verify, baseVerify)}`,
      ...(verifyBefore
        ? [
            `  verify before / baseline:          ${ratio(verifyBefore, baseVerify)}, ${(plainSize / 1e6 / verifyBefore.seconds).toFixed(0)} MB/s of archive`,
          ]
        : []),
      `  verify throughput:                 ${(plainSize / 1e6 / verify.seconds).toFixed(0)} MB/s of archive (aim >= 800 MB/s), ${(total / 1e6 / verify.seconds).toFixed(0)} MB/s of data; baseline ${(plainSize / 1e6 / baseVerify.seconds).toFixed(0)} MB/s of archive`,
      `  verify encrypted throughput:       ${(fs.statSync(encArchive).size / 1e6 / verifyEnc.seconds).toFixed(0)} MB/s of archive`,
      `  peak memory (coffre verify):       ${verify.maxRssMiB.toFixed(0)} MiB`,
    );
  }

  if (want('restore')) {
    // Both sides restore the same archive, Coffre's plain one: the baseline
    // unpacks it with zstd and tar, then copies the database in with
    // sqlite3's .restore (pages through the online backup API).
    console.log(
      `\nFull restore of the plain archive (median of ${ROUNDS}; each run starts after a sync)`,
    );
    const restoreDir = path.join(WORK, 'restore');
    const stagedDb = path.join(restoreDir, 'database', path.basename(db));
    const baseTimes = (round: number) => path.join(WORK, `base-restore-${round}.txt`);
    const ourResult = (round: number) => path.join(WORK, `restore-${round}.json`);
    const checkedResult = (round: number) => path.join(WORK, `restore-checked-${round}.json`);
    // The same data backed up with the content check: its restore takes the
    // signed record as its integrity proof (no integrity_check of its own).
    console.log('  one backup with --check-content, for its archive (untimed)');
    sh(`node ${q(CLI)} backup --home ${q(HOME)} --check-content --json > /dev/null`);
    const checkedCopy = keep(latestArchive());
    const beforeResult = (round: number) => path.join(WORK, `restore-before-${round}.json`);
    const [baseRestore, ourRestore, ourChecked, beforeRestore] = compare([
      [
        'baseline: zstd -d | tar -x + sqlite3 .restore',
        (round) =>
          `rm -rf ${q(restoreDir)} && mkdir ${q(restoreDir)} && date +%s.%N > ${q(baseTimes(round))} && zstd -d -c -q ${q(plainCopy!)} | tar -x -C ${q(restoreDir)} && date +%s.%N >> ${q(baseTimes(round))} && sqlite3 ${q(db)} ".restore ${q(stagedDb)}" && date +%s.%N >> ${q(baseTimes(round))}`,
        total,
        () => sh('sync'),
      ],
      [
        'coffre restore --yes (with its safety backup)',
        (round) =>
          `node ${q(CLI)} restore ${q(plainCopy!)} --home ${q(HOME)} --yes --json > ${q(ourResult(round))}`,
        total,
        () => {
          clearBackups();
          sh('sync');
        },
      ],
      [
        'coffre restore --yes, backup checked at write',
        (round) =>
          `node ${q(CLI)} restore ${q(checkedCopy)} --home ${q(HOME)} --yes --json > ${q(checkedResult(round))}`,
        total,
        () => {
          clearBackups();
          sh('sync');
        },
      ],
      // BENCH_CLI_BEFORE: another build's CLI, restoring the same archive in the same runs.
      ...(process.env.BENCH_CLI_BEFORE
        ? ([
            [
              'before: coffre restore --yes',
              (round: number) =>
                `node ${q(process.env.BENCH_CLI_BEFORE!)} restore ${q(plainCopy!)} --home ${q(HOME)} --yes --json > ${q(beforeResult(round))}`,
              total,
              () => {
                clearBackups();
                sh('sync');
              },
            ],
          ] as [string, (round: number) => string, number, () => void][])
        : []),
    ]) as [Measure, Measure, Measure, Measure?];
    const basePhases = medianPhases(
      Array.from({ length: ROUNDS }, (_, round) => {
        const [t0, t1, t2] = fs
          .readFileSync(baseTimes(round), 'utf8')
          .trim()
          .split('\n')
          .map(Number);
        return [
          { phase: 'zstd -d | tar -x', seconds: t1 - t0 },
          { phase: '.restore', seconds: t2 - t1 },
        ];
      }),
    );
    const phasesOf = (result: (round: number) => string) =>
      medianPhases(
        Array.from(
          { length: ROUNDS },
          (_, round) =>
            (
              JSON.parse(fs.readFileSync(result(round), 'utf8')) as {
                phases?: { phase: string; seconds: number }[];
              }
            ).phases ?? [],
        ),
      );
    const ourPhases = phasesOf(ourResult);
    console.log(`  phases, baseline (median s): ${formatPhases(basePhases)}`);
    console.log(`  phases, coffre (median s):   ${formatPhases(ourPhases)}`);
    console.log(`  phases, checked at write:    ${formatPhases(phasesOf(checkedResult))}`);
    if (beforeRestore)
      console.log(`  phases, before:              ${formatPhases(phasesOf(beforeResult))}`);
    summary.push(
      `  restore / baseline:                ${ratio(ourRestore, baseRestore)} with the safety backup (aim <= 1.5x); safety backup ${(ourPhases.get('safety') ?? 0).toFixed(1)} s`,
      `  restore checked at write / base:   ${ratio(ourChecked, baseRestore)}`,
      ...(beforeRestore
        ? [`  restore before / baseline:         ${ratio(beforeRestore, baseRestore)}`]
        : []),
      `  peak memory (coffre restore):      ${ourRestore.maxRssMiB.toFixed(0)} MiB; baseline ${baseRestore.maxRssMiB.toFixed(0)} MiB`,
    );
    fs.rmSync(restoreDir, { recursive: true, force: true });
  }

  if (want('startup')) {
    const times = Number(process.env.BENCH_STARTS ?? 15);
    // A small local-only home of its own: the dataset's register is big
    // enough that its status spends seconds in the fiscal audit, which is
    // work, not start-up.
    const small = path.join(WORK, 'startup-home');
    // BENCH_CLI_BEFORE: another build's CLI (e.g. main's), measured in the same
    // runs; it makes the home, whose config the newer build reads too.
    const before = process.env.BENCH_CLI_BEFORE;
    sh(`node ${q(before ?? CLI)} demo --home ${q(small)} --json > /dev/null`);
    console.log(`\nStart-up: median of ${times} alternating runs (a small local-only demo home)`);
    const starts = startup(
      [
        ['node -e 0', [process.execPath, '-e', '0']],
        ['coffre --version', [process.execPath, CLI, '--version']],
        ['coffre status', [process.execPath, CLI, 'status', '--home', small]],
        ...(before
          ? ([
              ['before: coffre --version', [process.execPath, before, '--version']],
              ['before: coffre status', [process.execPath, before, 'status', '--home', small]],
            ] as [string, string[]][])
          : []),
      ],
      times,
    );
    const ms = (name: string) => (starts.get(name)! / 1000).toFixed(3);
    summary.push(
      `  start-up:                          coffre --version ${ms('coffre --version')} s, coffre status ${ms('coffre status')} s, node -e 0 ${ms('node -e 0')} s (aim < 0.15 s)`,
      ...(before
        ? [
            `  start-up before:                   coffre --version ${ms('before: coffre --version')} s, coffre status ${ms('before: coffre status')} s`,
          ]
        : []),
    );
  }

  const cloudResult = want('cloud') ? await cloud(plainCopy!) : null;
  if (want('writer')) summary.push(...(await writer()));

  console.log('\nSummary');
  for (const line of summary) console.log(line);
  if (cloudResult) cloudSummary(cloudResult);
  fs.rmSync(WORK, { recursive: true, force: true });
}

await main();
