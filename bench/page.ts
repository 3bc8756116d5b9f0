// The page bench: server-side render time of each Backup center tab with
// 1,000 backups across three destinations (local, an external drive and a
// cloud bucket), next to JSON.stringify of the same data (the least any
// server does to send it). The data is built in memory in the shapes
// BackupCenter returns, so the figure is the page's own cost; the listings
// themselves are cached by the page (src/web/data.ts) and not re-read per load.

import { performance } from 'node:perf_hooks';
import type { BackupEntry, StatusReport } from '../src/index.js';
import { fleetOf } from '../src/web/data.js';
import type { PageContext } from '../src/web/model.js';
import { renderTab, type TabView } from '../src/web/render.js';

const DESTS = [
  { name: 'local', kind: 'local' },
  { name: 'usb', kind: 'external' },
  { name: 'cloud', kind: 's3' },
];

function backups(n: number, now: number): BackupEntry[] {
  const out: BackupEntry[] = [];
  for (let i = 0; i < n; i++) {
    const d = DESTS[i % 3];
    const at = new Date(now - (n - i) * 3_600_000).toISOString();
    out.push({
      id: `20261201-${String(i).padStart(6, '0')}`,
      archive: `pos-${i}.coffre`,
      destination: d.name,
      createdAt: at,
      size: 5_000_000 + i * 1000,
      sha256: 'ab'.repeat(32),
      origin: i % 7 === 0 ? 'manual' : 'automatic',
      note: i % 50 === 0 ? 'before the <price> update' : null,
      appVersion: '4.2.0',
      coffreVersion: '0.1.0',
      encrypted: i % 2 === 0,
      registerId: i % 10 === 0 ? 'reg-other' : 'reg-1',
      registerName: i % 10 === 0 ? 'Shop 2' : 'Shop 1',
    });
  }
  return out;
}

export function pageBench(rounds = 30): string[] {
  const now = Date.parse('2026-12-01T10:00:00Z');
  const list = backups(1000, now);
  const last = list[list.length - 1];
  const status: StatusReport = {
    register: { id: 'reg-1', name: 'Shop 1', profile: 'pos', keyFingerprint: 'SHA256:abc' },
    source: {
      database: 'register.db',
      headline: { label: 'receipts', count: 255 },
      files: { label: 'images', count: 244, bytes: 4_000_000 },
      databaseBytes: 1_300_000,
      encrypted: false,
    },
    lastBackup: { ...last, ageMs: 3_600_000 },
    lastFailure: null,
    lastTestRestore: { at: last.createdAt, backupId: last.id },
    schedule: {
      backup: 'every day at 02:30',
      verify: 'every Sunday at 04:00',
      onClose: false,
      nextBackup: last.createdAt,
      fiscal: 'monthly',
      nextFiscalArchive: { period: '2026-12', dueOn: '2027-01-01' },
    },
    warnings: [{ code: 'QUOTA_NEARLY_FULL', message: 'The cloud is 85 % full.', data: {} }],
    destinations: DESTS.map((d) => ({ ...d, location: `/${d.name}`, backups: 333, error: null })),
    encryption: { recipients: 1, passphrase: false },
    cloud: [
      {
        name: 'cloud',
        location: 's3://bucket/shop',
        usedBytes: 1.7e9,
        quotaBytes: 2e9,
        freeBytes: 3e8,
        percent: 85,
        backups: 333,
        ownBackups: 300,
        ownBytes: 1.5e9,
        retention: '7 daily, 4 weekly',
        warning: null,
        error: null,
      },
    ],
    fiscal: {
      ok: true,
      records: 255,
      lastArchive: null,
      findings: [],
      error: null,
      hashed: 12,
      fullAuditAt: last.createdAt,
    },
  };
  const ctx: PageContext = {
    user: 'admin',
    rights: { exportData: true, manageSettings: true },
    csrf: 'token',
    now: new Date(now),
    timeZone: 'Europe/Paris',
    status,
    lastJob: { result: 'ok', destinations: ['local', 'usb', 'cloud'], errorMessage: null },
    lastCopies: ['cloud'],
    flash: null,
    running: null,
  };
  const destinations = DESTS.map((d) => ({
    ...d,
    location: `/${d.name}`,
    isDefault: d.name === 'local',
    usage: null,
    error: null,
  }));
  const retention = { daily: 7, weekly: 4, monthly: 0, yearly: 0, preOperation: 10, safety: 5 };
  const history = list.slice(-50).map((b, i) => ({
    id: i,
    kind: 'backup',
    startedAt: b.createdAt,
    endedAt: b.createdAt,
    result: 'ok' as const,
    backupId: b.id,
    destinations: ['local', 'usb', 'cloud'],
    trigger: 'schedule',
    errorMessage: null,
  }));
  const views: [string, TabView, unknown][] = [];
  const add = (name: string, view: TabView, data: unknown) => views.push([name, view, data]);
  add('status', { tab: 'status' }, status);
  add(
    'backup',
    {
      tab: 'backup',
      data: { destinations, defaults: ['local'], unencryptedCloud: [], last: null },
    },
    destinations,
  );
  const own = list.filter((b) => b.registerId === 'reg-1');
  add(
    'restore',
    {
      tab: 'restore',
      data: {
        backups: own,
        unavailable: [],
        kinds: { local: 'local', usb: 'external', cloud: 's3' },
        draft: null,
        undoable: null,
      },
    },
    own,
  );
  add(
    'fiscal',
    {
      tab: 'fiscal',
      data: {
        available: true,
        audit: null,
        auditError: null,
        archives: [],
        destinations: ['local'],
        canManage: true,
        scheduled: null,
        fullAuditAt: null,
      },
    },
    status.fiscal,
  );
  const autoData = {
    schedule: {
      timeZone: 'Europe/Paris',
      backup: null,
      verify: null,
      onClose: false,
      destinations: [],
      since: null,
      fiscal: null,
    },
    fiscalAvailable: true,
    destinations,
    retention,
    retentionByDestination: { cloud: retention },
    alerts: { staleAfterHours: null, command: null, webhook: null },
    encryption: { recipients: ['age1xyz'], passphrase: false },
    newKey: null,
    unencryptedCloud: [],
  };
  add('auto', { tab: 'auto', data: autoData }, autoData);
  const cloudBackups = own.filter((b) => b.destination === 'cloud');
  const cloudData = {
    usage: status.cloud,
    backups: cloudBackups,
    fleet: fleetOf(list.filter((b) => b.destination === 'cloud')),
    unavailable: [],
    ownRegister: 'reg-1',
  };
  add('cloud', { tab: 'cloud', data: cloudData }, cloudData);
  const plan = {
    policies: DESTS.map((d) => ({
      destination: d.name,
      policy: retention,
      describe: '7 daily, 4 weekly',
    })),
    entries: own.map((b, i) => ({
      destination: b.destination,
      id: b.id,
      archive: b.archive,
      createdAt: b.createdAt,
      origin: b.origin,
      keep: i > own.length - 40,
      reasons: i > own.length - 40 ? ['daily 3'] : ['not kept by any rule'],
    })),
    unavailable: [],
  };
  const maintData = { plan, backups: own, history, journal: [], damaged: [], verified: null };
  add('maintenance', { tab: 'maintenance', data: maintData }, maintData);

  const lines: string[] = [];
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [name, view, data] of views) {
    const ours: number[] = [];
    const base: number[] = [];
    let size = 0;
    for (let r = 0; r < rounds; r++) {
      let t = performance.now();
      const json = JSON.stringify({ ctx, data });
      base.push(performance.now() - t);
      t = performance.now();
      size = renderTab(ctx, view).value.length;
      ours.push(performance.now() - t);
      if (json.length === 0) throw new Error('empty');
    }
    const [o, b] = [median(ours), median(base)];
    lines.push(
      `  page ${name.padEnd(12)} render ${o.toFixed(2).padStart(6)} ms (${(size / 1024).toFixed(0)} KiB of HTML); JSON.stringify ${b.toFixed(2).padStart(6)} ms; ${(o / b).toFixed(1)}x (aim < 100 ms)`,
    );
  }
  return lines;
}
