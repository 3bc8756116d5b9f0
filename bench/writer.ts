// npm run bench -- writer: how long an app's writer waits while Coffre backs
// its database up, in rollback-journal and in WAL mode, next to the same
// writer with no backup, the raw copy time of the file (the floor for a
// rollback-journal snapshot: a consistent copy needs the read lock for at
// least that long) and the online backup API in one step (page by page under
// the read lock, the way Coffre's snapshot worked before).
//
// The database (BENCH_WRITER_MIB, default 1024 MiB, of 4 KiB rows, half
// random) is made once under bench/data/writer/. BENCH_WRITER_ROUNDS
// (default 3) alternating rounds; the worst wait of each run is reported.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { BackupCenter } from '../src/center.js';
import { takeSnapshot } from '../src/source/snapshot.js';

const MIB = Number(process.env.BENCH_WRITER_MIB ?? 1024);
const ROUNDS = Number(process.env.BENCH_WRITER_ROUNDS ?? 3);
const ROW = 4096;

interface Run {
  /** Worst commit latency (ms) while the measured operation ran. */
  worst: number;
  p99: number;
  commits: number;
  seconds: number;
}

function makeBase(file: string): void {
  if (fs.existsSync(file) && fs.statSync(file).size >= MIB * 2 ** 20 * 0.98) return;
  fs.rmSync(file, { force: true });
  console.log(`  making a ${MIB} MiB database (once; kept in ${path.dirname(file)})...`);
  const db = new Database(file);
  db.pragma('journal_mode = DELETE');
  db.exec(
    'CREATE TABLE payload(id INTEGER PRIMARY KEY, data BLOB); CREATE TABLE commits(id INTEGER PRIMARY KEY, at REAL, note TEXT)',
  );
  const rows = Math.floor((MIB * 2 ** 20) / (ROW + 64));
  const batch = 16384;
  const fill = db.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO payload(data) SELECT randomblob(${ROW / 2}) || zeroblob(${ROW / 2}) FROM n`,
  );
  for (let done = 0; done < rows; done += batch) fill.run(Math.min(batch, rows - done));
  db.close();
}

async function startWriter(
  script: string,
  db: string,
): Promise<{ stop(): Promise<[number, number][]> }> {
  const child = spawn(process.execPath, [script, db], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
      return JSON.parse(out.split('\n')[1]) as [number, number][];
    },
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The writer runs; `during` runs between two quiet seconds; the commits that overlap it count. */
async function measure(
  script: string,
  db: string,
  during: () => Promise<void> | void,
): Promise<Run> {
  const writer = await startWriter(script, db);
  await sleep(1000);
  const from = Date.now();
  await during();
  const to = Date.now();
  await sleep(500);
  const commits = await writer.stop();
  // A commit counts if it was waiting at any time inside the window.
  const inside = commits
    .filter(([at, ms]) => at + ms >= from && at <= to)
    .map(([, ms]) => ms)
    .sort((a, b) => a - b);
  return {
    worst: inside[inside.length - 1] ?? 0,
    p99: inside[Math.floor(inside.length * 0.99)] ?? 0,
    commits: inside.length,
    seconds: (to - from) / 1000,
  };
}

function run(command: string, args: string[]): void {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr}`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs the writer bench; returns the summary lines. */
export async function writerBench(options: {
  dataDir: string;
  cli: string;
  writerScript: string;
}): Promise<string[]> {
  const dir = path.join(options.dataDir, 'writer');
  fs.mkdirSync(dir, { recursive: true });
  console.log(
    `\nA writer during a backup: commit latency of a writer process (one commit every 5 ms), ${ROUNDS} alternating rounds`,
  );
  const base = path.join(dir, 'base.db');
  makeBase(base);
  const summary: string[] = [];
  for (const mode of ['delete', 'wal'] as const) {
    const work = path.join(dir, mode);
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(work);
    const db = path.join(work, 'app.db');
    fs.copyFileSync(base, db);
    const d = new Database(db);
    d.pragma(`journal_mode = ${mode}`);
    d.close();
    const home = path.join(work, 'home');
    (await BackupCenter.init({ home, name: 'bench', profile: 'generic', database: db })).close();
    const copy = path.join(work, 'copy.db');
    const snap = path.join(work, 'pages.db');
    const runs = {
      alone: [] as Run[],
      coffre: [] as Run[],
      snapshot: [] as Run[],
      pages: [] as Run[],
      tools: [] as Run[],
    };
    const lockedMs: number[] = [];
    const copyMs: number[] = [];
    // Warm the page cache so that no side pays for the first read.
    run('sh', ['-c', `cat '${db}' > /dev/null`]);
    for (let round = 0; round < ROUNDS; round++) {
      // Baseline: the raw copy of the file (copy_file_range), no writer.
      fs.rmSync(copy, { force: true });
      const t = performance.now();
      fs.copyFileSync(db, copy, fs.constants.COPYFILE_FICLONE);
      copyMs.push(performance.now() - t);
      fs.rmSync(copy, { force: true });
      runs.alone.push(await measure(options.writerScript, db, () => sleep(3000)));
      runs.coffre.push(
        await measure(options.writerScript, db, () => {
          fs.rmSync(path.join(home, 'backups'), { recursive: true, force: true });
          fs.mkdirSync(path.join(home, 'backups'));
          run(process.execPath, [options.cli, 'backup', '--home', home, '--json']);
        }),
      );
      // The same I/O by standard tools, with no lock taken.
      runs.tools.push(
        await measure(options.writerScript, db, () => {
          const tar = path.join(work, 'tools.tar.zst');
          run('sh', [
            '-c',
            `cp '${db}' '${copy}' && tar -C '${work}' -cf - copy.db | zstd -3 -T0 -q > '${tar}' && sync '${tar}'; rm -f '${copy}' '${tar}'`,
          ]);
        }),
      );
      // The snapshot alone (no compression or archive writes beside it).
      runs.snapshot.push(
        await measure(options.writerScript, db, async () => {
          const r = await takeSnapshot({ source: db, target: copy, key: null });
          lockedMs.push(r.lockedMs);
          fs.rmSync(copy, { force: true });
        }),
      );
      if (mode === 'delete') {
        runs.pages.push(
          await measure(options.writerScript, db, () => {
            fs.rmSync(snap, { force: true });
            run(process.execPath, [options.writerScript, '--backup-api', db, snap]);
          }),
        );
      }
    }
    const show = (name: string, rs: Run[]) =>
      rs.length === 0
        ? null
        : console.log(
            `  ${mode.padEnd(7)} ${name.padEnd(34)} worst ${median(rs.map((r) => r.worst))
              .toFixed(0)
              .padStart(6)} ms, p99 ${median(rs.map((r) => r.p99))
              .toFixed(0)
              .padStart(
                5,
              )} ms   (worst of each run: ${rs.map((r) => r.worst.toFixed(0)).join(', ')}; ${median(rs.map((r) => r.seconds)).toFixed(1)} s, ${median(rs.map((r) => r.commits))} commits)`,
          );
    console.log(
      `  ${mode.padEnd(7)} raw copy of the file (copy_file_range)    ${median(copyMs).toFixed(0).padStart(6)} ms   (runs: ${copyMs.map((x) => x.toFixed(0)).join(', ')})`,
    );
    show('writer alone', runs.alone);
    show('writer during coffre backup', runs.coffre);
    show('writer during cp + tar | zstd (no lock)', runs.tools);
    show("writer during coffre's snapshot only", runs.snapshot);
    if (mode === 'delete') {
      console.log(
        `  ${mode.padEnd(7)} snapshot read lock held (file copy)       ${median(lockedMs).toFixed(0).padStart(6)} ms   (runs: ${lockedMs.map((x) => x.toFixed(0)).join(', ')})`,
      );
    }
    show('writer during a one-step backup API copy', runs.pages);
    const worst = median(runs.coffre.map((r) => r.worst));
    const alone = median(runs.alone.map((r) => r.worst));
    const tools = median(runs.tools.map((r) => r.worst));
    summary.push(
      mode === 'delete'
        ? `  writer, rollback journal (${MIB} MiB): worst wait during a backup ${worst.toFixed(0)} ms = ${(worst / median(copyMs)).toFixed(2)}x the raw copy (${median(copyMs).toFixed(0)} ms; aim <= 2x), during the snapshot alone ${median(runs.snapshot.map((r) => r.worst)).toFixed(0)} ms (lock held ${median(lockedMs).toFixed(0)} ms); alone ${alone.toFixed(0)} ms; during the old page copy ${median(runs.pages.map((r) => r.worst)).toFixed(0)} ms`
        : `  writer, WAL (${MIB} MiB):              worst wait during a backup ${worst.toFixed(0)} ms against ${tools.toFixed(0)} ms during the same I/O by cp + tar | zstd, ${alone.toFixed(0)} ms alone (aim: within the noise, no worse than the tools)`,
    );
    fs.rmSync(work, { recursive: true, force: true });
  }
  return summary;
}
