// The page end to end: GET /<tab> through the real HTTP server (createServer,
// listening on 127.0.0.1, signed in as a user with both rights) on a demo
// register with BENCH_PAGE_BACKUPS backups (default 300) in its local folder
// and in a bucket of the real S3 test server, next to the library calls the
// tab needs (status, list, destinations...) made directly, uncached.
//
// Each tab is measured in fresh processes, so that its first load pays what a
// first load pays (modules, the sidecars read once, the cloud client): one
// process loads the page (the first load, then warm loads), another makes
// the library calls (the first call, then warm calls). Every HTTP request to
// the S3 server is counted (node's http client diagnostics channel).
//
// The home and the S3 server's storage are made once under bench/data/page-e2e
// and reused; delete that folder to make them again.
//
//   npm run bench -- page-e2e
//   node dist/bench/page-e2e.js child page|library TAB HOME ENDPOINT ROUNDS   (one process)

import { spawnSync } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import fs from 'node:fs';
import type { ClientRequest } from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { BackupCenter } from '../src/index.js';
import { createServer } from '../src/server/index.js';
import { startS3Server } from '../test/s3.js';

const TABS = ['status', 'backup', 'restore', 'fiscal', 'auto', 'cloud', 'maintenance'] as const;
type Tab = (typeof TABS)[number];

const BUCKET = 'shop';
const ACCESS_KEY = 'COFFREPAGEBENCH';
const SECRET_KEY = 'coffre-page-bench-secret';
const USER = 'admin';
const PASSWORD = 'page bench password';
const HOURS_APART = 8;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Sample {
  firstMs: number;
  firstRequests: number;
  warmMs: number[];
  warmRequests: number[];
  bytes: number;
}

/** Counts this process's HTTP requests to the S3 server's port. */
function countRequests(port: string): { readonly n: number } {
  const counter = { n: 0 };
  diagnostics.subscribe('http.client.request.start', (message) => {
    const req = (message as { request: ClientRequest }).request;
    const host = String(req.getHeader('host') ?? '');
    if (host.endsWith(`:${port}`)) counter.n++;
  });
  return counter;
}

/** What the tab's page data asks the library for, called directly (no page cache). */
async function libraryCalls(center: BackupCenter, tab: Tab): Promise<number> {
  // Every tab's header: the status and this register's backups (PageData.context).
  const common = [center.status(), center.list()] as Promise<unknown>[];
  const extra: Promise<unknown>[] = [];
  if (tab === 'backup' || tab === 'auto') extra.push(center.destinations());
  if (tab === 'fiscal') extra.push(center.fiscalAudit(), center.fiscalArchives());
  if (tab === 'cloud') extra.push(center.list({ allRegisters: true }));
  if (tab === 'maintenance') extra.push(center.retentionPlan());
  const done = await Promise.all([...common, ...extra]);
  center.history(50);
  if (tab === 'maintenance') center.log();
  return JSON.stringify(done).length;
}

async function child(mode: string, tab: Tab, home: string, endpoint: string, rounds: number) {
  const requests = countRequests(new URL(endpoint).port);
  const center = await BackupCenter.open(home, {
    cloudCredentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
  });
  const sample: Sample = { firstMs: 0, firstRequests: 0, warmMs: [], warmRequests: [], bytes: 0 };
  const timed = async (run: () => Promise<number>, first: boolean) => {
    const before = requests.n;
    const t = performance.now();
    sample.bytes = await run();
    const ms = performance.now() - t;
    if (first) [sample.firstMs, sample.firstRequests] = [ms, requests.n - before];
    else {
      sample.warmMs.push(ms);
      sample.warmRequests.push(requests.n - before);
    }
  };
  if (mode === 'library') {
    for (let r = 0; r <= rounds; r++) await timed(() => libraryCalls(center, tab), r === 0);
    center.close();
  } else {
    const app = await createServer(center);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const login = await fetch(`${origin}/api/auth/login`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: JSON.stringify({ name: USER, password: PASSWORD }),
    });
    if (login.status !== 200) throw new Error(`sign-in failed: ${login.status}`);
    const cookie = String(login.headers.get('set-cookie')).split(';')[0];
    const load = async () => {
      const res = await fetch(`${origin}/${tab}`, { headers: { cookie }, redirect: 'manual' });
      const html = await res.text();
      if (res.status !== 200) throw new Error(`GET /${tab}: ${res.status} ${html.slice(0, 200)}`);
      return html.length;
    };
    for (let r = 0; r <= rounds; r++) await timed(load, r === 0);
    await app.close();
    center.close();
  }
  process.stdout.write(JSON.stringify(sample) + '\n');
}

/** The demo home with `count` backups in local and in the cloud, made once and kept. */
async function setup(dir: string, count: number) {
  const home = path.join(dir, 'home');
  const storage = path.join(dir, 's3');
  const ready = path.join(dir, `ready-${count}`);
  const fresh = !fs.existsSync(ready);
  if (fresh) fs.rmSync(dir, { recursive: true, force: true });
  const s3 = await startS3Server([BUCKET], {
    dir: storage,
    accessKeyId: ACCESS_KEY,
    secretAccessKey: SECRET_KEY,
  });
  const cloudCredentials = { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY };
  const cloud = {
    kind: 's3',
    endpoint: s3.endpoint,
    bucket: BUCKET,
    prefix: 'registers/',
    pathStyle: true,
    quota: '10GB',
    allowUnencrypted: true,
  };
  if (fresh) {
    console.log(
      `  making the page bench's home: ${count} backups in local and in the cloud (once)`,
    );
    const t = performance.now();
    await BackupCenter.createDemo(home, { profile: 'pos', receipts: 255, images: 24 });
    const center = await BackupCenter.open(home, { cloudCredentials });
    await center.addDestination('cloud', cloud);
    await center.users.add(USER, PASSWORD, ['export', 'settings']);
    const start = Date.now() - count * HOURS_APART * 3_600_000;
    for (let i = 0; i < count; i++) {
      await center.backup({
        to: ['local', 'cloud'],
        now: new Date(start + i * HOURS_APART * 3_600_000),
        note: i % 50 === 0 ? `before the price update ${i}` : null,
        origin: i % 7 === 0 ? 'manual' : 'automatic',
        applyRetention: false,
      });
    }
    center.close();
    fs.writeFileSync(ready, '');
    console.log(`  made in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  } else {
    // The S3 server listens on a new port each run: point the destination at it.
    const center = await BackupCenter.open(home, { cloudCredentials });
    await center.removeDestination('cloud');
    await center.addDestination('cloud', cloud);
    center.close();
  }
  return { home, s3 };
}

function run(script: string, args: string[]): Sample {
  const r = spawnSync(process.execPath, [script, 'child', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  if (r.status !== 0) throw new Error(`the page bench's ${args[0]} process for ${args[1]} failed`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Sample;
}

export async function pageE2eBench(options: {
  dataDir: string;
  script: string;
}): Promise<string[]> {
  const count = Number(process.env.BENCH_PAGE_BACKUPS ?? 300);
  const rounds = Number(process.env.BENCH_PAGE_ROUNDS ?? 7);
  const { home, s3 } = await setup(path.join(options.dataDir, 'page-e2e'), count);
  const summary: string[] = [];
  try {
    console.log(
      `\nPage end to end: GET /<tab> through the HTTP server, ${count} backups in local and in the S3 test server; each tab in fresh processes: the first load, then the median of ${rounds} warm loads; the library calls the tab needs, uncached, alongside`,
    );
    const ms = (x: number) => `${x.toFixed(x < 100 ? 1 : 0)} ms`.padStart(9);
    for (const tab of TABS) {
      const args = [tab, home, s3.endpoint, String(rounds)];
      const page = run(options.script, ['page', ...args]);
      const lib = run(options.script, ['library', ...args]);
      const line =
        `  ${`GET /${tab}`.padEnd(18)} first ${ms(page.firstMs)} (${String(page.firstRequests).padStart(4)} S3 req)  warm ${ms(median(page.warmMs))} (${median(page.warmRequests)} S3 req, max ${Math.max(...page.warmRequests)})` +
        `  ${(page.bytes / 1024).toFixed(0).padStart(4)} KiB   library first ${ms(lib.firstMs)} (${String(lib.firstRequests).padStart(4)} S3 req)  warm ${ms(median(lib.warmMs))} (${median(lib.warmRequests)} S3 req)`;
      console.log(line);
      summary.push(
        `  page ${tab.padEnd(12)} first ${ms(page.firstMs)}, warm ${ms(median(page.warmMs))}, ${median(page.warmRequests)} S3 requests a warm load; library ${ms(median(lib.warmMs))} warm (${median(lib.warmRequests)} S3 requests)`,
      );
    }
  } finally {
    await s3.stop();
  }
  return summary;
}

if (process.argv[2] === 'child' && process.argv[1] === fileURLToPath(import.meta.url)) {
  const [mode, tab, home, endpoint, rounds] = process.argv.slice(3);
  await child(mode, tab as Tab, home, endpoint, Number(rounds));
}
