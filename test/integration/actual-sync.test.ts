// Issue 11, with Actual Budget's real sync server: a restore with the app
// stopped by the before-restore hook survives the next sync. The engine
// (@actual-app/api) runs as the app in child processes, the server
// (@actual-app/sync-server) on 127.0.0.1, Coffre restores with the shipped
// `actual` profile. What Actual does after the restore, as seen here:
//   - its next sync is refused by the server ("file-has-reset": the budget's
//     sync group was reset by Coffre, the server still has the old one), so
//     the changes made after the backup do not come back;
//   - "upload this file" in Actual's notice (the engine's `sync-reset`)
//     makes the restored budget the server's new state;
//   - another device, which still has the changes made after the backup,
//     is refused in turn, and Revert (a download) gives it the restored
//     budget. (Revert on the restored device instead would download the
//     server's old state over the restore: the next step's words say so.)
// Both are dev dependencies; the server asks for Node 22 (npm warns,
// EBADENGINE) and runs on Node 20 (seen on 20.20). Without either, the suite is
// skipped and says why. Run it alone with
//   npx tsc -p tsconfig.json && node --test dist/test/integration/actual-sync.test.js

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { BackupCenter, isCoffreError } from '../../src/index.js';
import { findSyncServer, startSyncServer, type SyncServer } from '../actual-server.js';
import { loadActual } from '../fixtures/actual-app.js';
import { removeDir, tempDir } from '../helpers.js';

const APP = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/actual-app.js');
const engine = loadActual();
const found = findSyncServer();
const skip =
  'error' in engine
    ? `@actual-app/api cannot be loaded: ${engine.error}`
    : 'error' in found
      ? found.error
      : false;

interface Seen {
  accounts: number;
  transactions: number;
  /** Transactions made after the backup. */
  late: number;
  error?: string;
  synced?: boolean;
}

describe('Actual Budget with its sync server (issue 11)', { skip }, () => {
  const root = tempDir();
  const data = path.join(root, 'actual-data');
  const other = path.join(root, 'other-device');
  let server: SyncServer;
  let budget: string;
  let metadata: string;
  let center: BackupCenter;
  let backupId: string;
  let firstGroup: string;
  let app: ChildProcess | undefined;

  /** The app (the real engine), signed in to the server. */
  const start = (args: string[]) =>
    spawn(process.execPath, [APP, ...args], {
      env: {
        ...process.env,
        ACTUAL_TEST_SERVER_URL: server.url,
        ACTUAL_TEST_PASSWORD: server.password,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  /** Runs the app once and returns its JSON line. */
  async function actual(args: string[]): Promise<Seen & { id?: string }> {
    const child = start(args);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(code, 0, `${args.join(' ')}: ${err}`);
    return JSON.parse(out.trim().split('\n').pop()!) as Seen;
  }

  const meta = () => JSON.parse(fs.readFileSync(metadata, 'utf8')) as Record<string, unknown>;

  before(async () => {
    if ('error' in found) return;
    server = await startSyncServer(found);
    fs.mkdirSync(data);
    fs.mkdirSync(other);
    budget = (await actual(['create', data, 'Shop', 'import', '200'])).id!;
    metadata = path.join(data, budget, 'metadata.json');
    center = await BackupCenter.init({
      home: path.join(root, 'home'),
      name: 'Shop budget',
      profile: 'actual',
      database: path.join(data, budget, 'db.sqlite'),
      settings: metadata,
    });
  });
  after(async () => {
    app?.kill('SIGKILL');
    center?.close();
    await server?.stop();
    removeDir(root);
  });

  it('backs up a budget synced with the server', async () => {
    firstGroup = meta().groupId as string;
    assert.ok(firstGroup && meta().cloudFileId, 'the engine uploaded the new budget');
    // Used since: changes synced through the server (the CRDT messages).
    const used = await actual(['add', data, budget, '5', 'early']);
    assert.deepEqual(used, { accounts: 2, transactions: 207, late: 0 });
    assert.ok(meta().lastSyncedTimestamp);
    const b = await center.backup({ note: 'a synced budget' });
    assert.ok(b.counts.tables.messages_crdt > 0, 'the backup holds sync state');
    backupId = b.id;
  });

  it('after the backup, the app makes changes, the server gets them, another device too', async () => {
    assert.deepEqual(await actual(['add', data, budget, '15']), {
      accounts: 2,
      transactions: 222,
      late: 15,
    });
    // Another device downloads the budget from the server: with those changes.
    assert.deepEqual(await actual(['download', other, firstGroup]), {
      accounts: 2,
      transactions: 222,
      late: 15,
    });
  });

  it('restores with the app stopped by the before-restore hook', async () => {
    // The app has the budget open.
    const running = start(['open', data, budget]);
    app = running;
    let appErr = '';
    running.stderr.on('data', (d: Buffer) => (appErr += d.toString()));
    const appExit = once(running, 'exit');
    await Promise.race([
      once(running.stdout, 'data'),
      appExit.then(([code]) => {
        throw new Error(`the app exited (${String(code)}) before opening the budget: ${appErr}`);
      }),
    ]);
    await assert.rejects(center.restore(backupId), (err: unknown) =>
      isCoffreError(err, 'APP_RUNNING'),
    );
    // The hook stops it (it syncs and closes the budget on SIGTERM) and
    // returns once it has let go of its files.
    const pid = running.pid;
    await center.setRestoreHook(
      'beforeRestore',
      `kill ${pid}; for i in $(seq 600); do [ -z "$(ls /proc/${pid}/fd 2>/dev/null)" ] && exit 0; sleep 0.05; done; exit 1`,
    );
    const r = await center.restore(backupId);
    assert.deepEqual(await appExit, [0, null], `the app closed cleanly: ${appErr}`);
    assert.equal(r.applied, true);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(
      r.after?.nextSteps.map((s) => s.code),
      ['RESTART_APP', 'RESYNC'],
    );
    const resync = r.after?.nextSteps.find((s) => s.code === 'RESYNC');
    assert.match(resync && 'message' in resync ? resync.message : '', /upload this file/);
    assert.equal(meta().groupId, null);
    assert.ok(meta().cloudFileId, 'still the same file on the server');
  });

  it("the app's next sync is refused by the server: the changes made after the backup do not come back", async () => {
    assert.deepEqual(await actual(['sync', data, budget]), {
      error: 'file-has-reset',
      accounts: 2,
      transactions: 207,
      late: 0,
    });
  });

  it('uploaded again (Actual\'s "upload this file"), the restored budget is what the server holds', async () => {
    assert.deepEqual(await actual(['reset-sync', data, budget]), {
      accounts: 2,
      transactions: 207,
      late: 0,
    });
    // (It synced after the upload: nothing came back.)
    assert.ok(meta().groupId && meta().groupId !== firstGroup, 'a new sync id');
    // The other device still has the changes made after the backup: its
    // sync is refused too, so they do not go back to the server...
    assert.deepEqual(await actual(['sync', other, budget]), {
      error: 'file-has-reset',
      accounts: 2,
      transactions: 222,
      late: 15,
    });
    // ...and Revert there (a download from the server) gives it the restored budget.
    assert.deepEqual(await actual(['download', other, meta().groupId as string]), {
      accounts: 2,
      transactions: 207,
      late: 0,
    });
  });
});
