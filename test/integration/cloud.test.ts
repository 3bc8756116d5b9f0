// Cloud backups against a real S3 server on 127.0.0.1: quota and retention,
// the refusal of unencrypted uploads, a fleet of registers in one bucket, a
// partial backup when the cloud is down, credentials files, and a restore on
// a fresh machine that has only the cloud settings and the key.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BackupCenter } from '../../src/center.js';
import { isCoffreError } from '../../src/core/errors.js';
import { openDatabase } from '../../src/source/sqlite.js';
import { CLI, coffre, removeDir, run, tempDir } from '../helpers.js';
import { startS3Server, type S3Server } from '../s3.js';

const BUCKET = 'coffre-cloud';
let server: S3Server;
const dir = tempDir();
before(async () => {
  server = await startS3Server([BUCKET]);
});
after(async () => {
  await server.stop();
  removeDir(dir);
});

let n = 0;
/** Adds the test server as a destination of a home ("cloud", under a prefix of its own by default). */
function addCloud(
  home: string,
  extra: string[] = [],
  options: { name?: string; prefix?: string; env?: Record<string, string> } = {},
): string {
  const prefix = options.prefix ?? `t${n++}/`;
  const r = coffre(
    [
      'destination',
      'add',
      options.name ?? 'cloud',
      's3',
      '--endpoint',
      server.endpoint,
      '--bucket',
      BUCKET,
      '--prefix',
      prefix,
      '--path-style',
      '--home',
      home,
      ...extra,
    ],
    options.env ?? server.env,
  );
  assert.equal(r.status, 0, r.stderr);
  return prefix;
}

/** A demo register with a cloud destination under its own prefix. */
async function demoWithCloud(
  extra: string[] = [],
  demo: { images?: number; name?: string } = {},
): Promise<{ home: string; prefix: string }> {
  const home = path.join(dir, `home-${n}`);
  await BackupCenter.createDemo(home, { profile: 'pos', images: demo.images ?? 20, ...demo });
  return { home, prefix: addCloud(home, extra) };
}

function open(home: string): Promise<BackupCenter> {
  return BackupCenter.open(home, {
    cloudCredentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
}

function rows(db: string, table: string): number {
  const handle = openDatabase(db, { readonly: true });
  try {
    return (handle.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    handle.close();
  }
}

describe('cloud destination', () => {
  it('refuses an unencrypted upload unless allowed, and says how to set up a key', async () => {
    const { home } = await demoWithCloud();
    const refused = coffre(['backup', '--to', 'cloud', '--home', home], server.env);
    assert.equal(refused.status, 19, refused.stderr);
    assert.match(refused.stderr, /not encrypted/);
    assert.match(refused.stderr, /coffre encryption new-key --out FILE/);
    const list = coffre(['list', '--json', '--home', home], server.env).json();
    assert.deepEqual(list.backups, []);

    assert.equal(
      coffre(['backup', '--to', 'cloud', '--allow-unencrypted', '--home', home], server.env).status,
      0,
    );
    const key = path.join(dir, `key-${n}.txt`);
    assert.equal(coffre(['encryption', 'new-key', '--out', key, '--home', home]).status, 0);
    const encrypted = coffre(['backup', '--to', 'cloud', '--json', '--home', home], server.env);
    assert.equal(encrypted.status, 0, encrypted.stderr);
    assert.equal(encrypted.json().encrypted, true);
    assert.equal(coffre(['list', '--json', '--home', home], server.env).json().backups.length, 2);
  });

  it('with the cloud down, still makes the local copy and says what is missing', async () => {
    const { home } = await demoWithCloud(['--allow-unencrypted']);
    const center = await open(home);
    await center.updateDestination('cloud', { quotaBytes: null });
    center.close();
    await server.kill();
    try {
      const r = coffre(
        ['backup', '--to', 'local', '--to', 'cloud', '--json', '--home', home],
        server.env,
      );
      assert.equal(r.status, 12, r.stdout + r.stderr);
      const result = r.json();
      assert.deepEqual(result.destination, ['local']);
      assert.equal(result.failed[0].destination, 'cloud');
      assert.equal(result.failed[0].code, 'DESTINATION_UNAVAILABLE');
      assert.match(result.failed[0].message, /refused the connection/);
    } finally {
      await server.restart();
    }
    const list = coffre(['list', '--json', '--home', home], server.env).json();
    assert.deepEqual(
      list.backups.map((b: { destination: string }) => b.destination),
      ['local'],
    );
    const history = coffre(['history', '--json', '--home', home]).json();
    const last = (history.jobs ?? history)[0];
    // Made, but not everywhere: partial (issue 10 item 14).
    assert.equal(last.result, 'partial');
    assert.match(last.errorMessage, /Not saved to cloud/);
  });

  it('applies retention first when near the quota, then refuses, and loses nothing', async () => {
    const { home } = await demoWithCloud(['--allow-unencrypted']);
    const center = await open(home);
    try {
      await center.setSchedule({ timeZone: 'UTC' });
      await center.setRetention(
        { daily: 2, weekly: 0, monthly: 0, yearly: 0, preOperation: 10, safety: 5 },
        'cloud',
      );
      const day = (d: number) => new Date(Date.UTC(2026, 10, d, 20, 0));
      const first = await center.backup({ to: ['cloud'], now: day(1), origin: 'automatic' });
      // Room for two backups and a half.
      const quota = Math.round(first.size * 2.5);
      await center.updateDestination('cloud', { quotaBytes: quota });
      const second = await center.backup({ to: ['cloud'], now: day(2), origin: 'automatic' });
      assert.deepEqual(second.pruned, []);
      assert.ok(
        second.warnings.some(
          (w) =>
            w.code === 'QUOTA_NEARLY_FULL' &&
            w.data.destination === 'cloud' &&
            /"cloud" is \d+ % full/.test(w.message),
        ),
        JSON.stringify(second.warnings),
      );
      // The third does not fit: retention (2 daily, counting the new one)
      // removes the first before the upload.
      const third = await center.backup({ to: ['cloud'], now: day(3), origin: 'automatic' });
      assert.deepEqual(third.pruned, [{ destination: 'cloud', id: first.id }]);
      assert.deepEqual(third.failed, []);
      const usage = (await center.cloudUsage())[0];
      assert.ok(usage.usedBytes! <= quota);
      assert.equal(usage.ownBackups, 2);

      // Retention that keeps everything: nothing can go, so the backup is refused.
      await center.setRetention(
        { daily: 10, weekly: 0, monthly: 0, yearly: 0, preOperation: 10, safety: 5 },
        'cloud',
      );
      await assert.rejects(
        center.backup({ to: ['cloud'], now: day(4), origin: 'automatic' }),
        (err) => {
          assert.ok(isCoffreError(err, 'QUOTA_EXCEEDED'), String(err));
          assert.match(err.message, /10 daily/);
          return true;
        },
      );
      // With a local copy too, the local one is made and the cloud one refused.
      const both = await center.backup({
        to: ['local', 'cloud'],
        now: day(4),
        origin: 'automatic',
      });
      assert.deepEqual(
        both.destinations.map((d) => d.name),
        ['local'],
      );
      assert.equal(both.failed[0].code, 'QUOTA_EXCEEDED');
      const cloudIds = (await center.list()).backups
        .filter((b) => b.destination === 'cloud')
        .map((b) => b.id);
      assert.deepEqual(cloudIds, [second.id, third.id]);
    } finally {
      center.close();
    }
    const usage = coffre(['cloud', 'usage', '--json', '--home', home], server.env).json();
    assert.equal(usage[0].ownBackups, 2);
    assert.match(usage[0].retention, /10 daily/);
    assert.ok(usage[0].percent >= 80);
    const status = coffre(['status', '--home', home], server.env);
    assert.match(status.stdout, /Cloud:/);
    assert.match(status.stdout, /WARNING: +Cloud destination "cloud" is \d+ % full/);
    assert.equal(status.stdout.match(/% full/g)?.length, 1, 'the warning is printed once');
  });

  it('stops an upload at the quota when the size could not be foreseen', async () => {
    const { home } = await demoWithCloud(['--allow-unencrypted', '--quota', '200KB']);
    const r = coffre(['backup', '--to', 'cloud', '--json', '--home', home], server.env);
    assert.equal(r.status, 18, r.stdout + r.stderr);
    assert.equal(r.json().error.code, 'QUOTA_EXCEEDED');
    const usage = coffre(['cloud', 'usage', '--json', '--home', home], server.env).json();
    assert.equal(usage[0].usedBytes, 0);
    assert.deepEqual(server.openUploads(BUCKET), []);
  });

  it('shares one bucket between registers: each sees its own, --all-registers the fleet', async () => {
    const shops = [];
    for (const name of ['Shop North', 'Shop South']) {
      const home = path.join(dir, `fleet-${name.slice(5)}`);
      await BackupCenter.createDemo(home, { profile: 'pos', images: 5, name });
      addCloud(home, ['--allow-unencrypted'], { prefix: 'fleet/' });
      for (let i = 0; i < 2; i++) {
        const r = coffre(
          ['backup', '--to', 'cloud', '--origin', 'pre-operation', '--home', home],
          server.env,
        );
        assert.equal(r.status, 0, r.stderr);
      }
      shops.push(home);
    }
    const own = coffre(['list', '--json', '--home', shops[0]], server.env).json().backups;
    assert.equal(own.length, 2);
    assert.ok(own.every((b: { registerName: string }) => b.registerName === 'Shop North'));
    const fleet = coffre(['list', '--all-registers', '--home', shops[0]], server.env);
    assert.match(fleet.stdout, /Shop North \([0-9a-f]{8}\)/);
    assert.match(fleet.stdout, /Shop South \([0-9a-f]{8}\)/);
    const all = coffre(
      ['list', '--all-registers', '--json', '--home', shops[0]],
      server.env,
    ).json();
    assert.equal(all.backups.length, 4);
    // Taking over "latest" in a fleet's bucket would guess which register.
    const guess = coffre(
      ['restore', '--from', 'cloud', 'latest', '--adopt', '--yes', '--home', shops[0]],
      server.env,
    );
    assert.equal(guess.status, 2, guess.stdout + guess.stderr);
    assert.match(
      guess.stderr,
      /"latest" is ambiguous.*Shop North.*Shop South|"latest" is ambiguous.*Shop South.*Shop North/,
    );
    // The strictest retention in one register never touches the other's backups.
    const center = await open(shops[0]);
    await center.setRetention(
      { daily: 1, weekly: 0, monthly: 0, yearly: 0, preOperation: 1, safety: 1 },
      'cloud',
    );
    const pruned = await center.prune();
    center.close();
    assert.equal(pruned.deleted, 1);
    const after = coffre(['list', '--json', '--home', shops[1]], server.env).json().backups;
    assert.equal(after.length, 2);
  });

  it('reads credentials from a file only when other users cannot read it', async () => {
    const { home } = await demoWithCloud(['--allow-unencrypted']);
    const file = path.join(dir, 'credentials');
    fs.writeFileSync(
      file,
      `[default]\naws_access_key_id = wrong\naws_secret_access_key = wrong\n\n[shop]\naws_access_key_id = ${server.accessKeyId}\naws_secret_access_key = ${server.secretAccessKey}\n`,
      { mode: 0o644 },
    );
    fs.chmodSync(file, 0o644);
    const other = path.join(dir, 'home-credfile');
    await BackupCenter.createDemo(other, { profile: 'pos', images: 5 });
    // No credentials in the environment: the file is the only source.
    const env = { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' };
    const add = (profile: string) =>
      addCloud(
        other,
        ['--allow-unencrypted', '--credentials-file', file, '--credentials-profile', profile],
        { name: `cloud-${profile}`, prefix: `cred-${profile}/`, env },
      );
    add('shop');
    // Two destinations on one place would clean up each other's uploads.
    const twice = coffre(
      [
        'destination',
        'add',
        'again',
        's3',
        '--endpoint',
        server.endpoint,
        '--bucket',
        BUCKET,
        '--prefix',
        'cred-shop/',
        '--path-style',
        '--home',
        other,
      ],
      env,
    );
    assert.equal(twice.status, 2);
    assert.match(twice.stderr, /"cloud-shop" already writes to that place/);
    const loose = coffre(['backup', '--to', 'cloud-shop', '--home', other], env);
    assert.equal(loose.status, 17, loose.stderr);
    assert.match(loose.stderr, /chmod 600/);
    fs.chmodSync(file, 0o600);
    const ok = coffre(['backup', '--to', 'cloud-shop', '--home', other], env);
    assert.equal(ok.status, 0, ok.stderr);
    add('default');
    const refused = coffre(['backup', '--to', 'cloud-default', '--json', '--home', other], env);
    assert.equal(refused.status, 17);
    assert.equal(refused.json().error.code, 'DESTINATION_AUTH');
    // And with neither: a message that says where credentials come from.
    const none = coffre(['backup', '--to', 'cloud', '--home', home], env);
    assert.equal(none.status, 17);
    assert.match(none.stderr, /AWS_ACCESS_KEY_ID/);
  });

  it('restores on a fresh machine that has only the cloud settings and the key', async () => {
    const { home, prefix } = await demoWithCloud();
    const key = path.join(dir, 'fresh-key.txt');
    assert.equal(coffre(['encryption', 'new-key', '--out', key, '--home', home]).status, 0);
    const made = coffre(['backup', '--to', 'cloud', '--json', '--home', home], server.env).json();
    const source = coffre(['status', '--json', '--home', home]).json().source.database;

    // The register is stolen. A new machine, the app reinstalled with an empty database.
    const fresh = path.join(dir, 'fresh');
    fs.mkdirSync(path.join(fresh, 'app'), { recursive: true });
    const db = path.join(fresh, 'app', 'register.db');
    run('sqlite3', [db, 'PRAGMA user_version = 0; VACUUM;']);
    const newHome = path.join(fresh, 'home');
    assert.equal(
      coffre(['init', '--home', newHome, '--db', db, '--profile', 'pos', '--name', 'New register'])
        .status,
      0,
    );
    addCloud(newHome, [], { prefix });
    const restored = coffre(
      [
        'restore',
        '--from',
        'cloud',
        made.id,
        '--adopt',
        '--identity',
        key,
        '--yes',
        '--json',
        '--home',
        newHome,
      ],
      server.env,
    );
    assert.equal(restored.status, 0, restored.stdout + restored.stderr);
    for (const table of ['receipts', 'products']) {
      assert.equal(rows(db, table), rows(source, table), table);
    }
    // The new machine is now that register: its next backups go with the old ones.
    const status = coffre(['status', '--json', '--home', newHome], server.env).json();
    assert.equal(status.register.id.slice(0, 8), made.id.slice(-8));
  });

  it('killed mid-upload (SIGKILL): nothing is listed, and the next backup clears the parts', async () => {
    // Larger images, so that the upload takes several parts.
    const home = path.join(dir, 'killed');
    const made = coffre(['demo', '--home', home, '--images', '400', '--large-images']);
    assert.equal(made.status, 0, made.stderr);
    addCloud(home, ['--allow-unencrypted']);
    const child = spawn(process.execPath, [CLI, 'backup', '--to', 'cloud', '--home', home], {
      stdio: 'ignore',
      env: { ...process.env, ...server.env },
    });
    // Kill it once the first parts are on the server.
    const deadline = Date.now() + 60_000;
    while (server.openUploads(BUCKET).length === 0 && child.exitCode === null) {
      assert.ok(Date.now() < deadline, 'the upload never started');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('close', resolve));
    assert.equal(child.signalCode, 'SIGKILL', 'the backup ended before it could be killed');
    assert.equal(server.openUploads(BUCKET).length, 1);
    assert.deepEqual(coffre(['list', '--json', '--home', home], server.env).json().backups, []);

    const next = coffre(['backup', '--to', 'cloud', '--json', '--home', home], server.env);
    assert.equal(next.status, 0, next.stderr);
    assert.deepEqual(server.openUploads(BUCKET), []);
    const listed = coffre(['list', '--json', '--home', home], server.env).json().backups;
    assert.deepEqual(
      listed.map((b: { id: string }) => b.id),
      [next.json().id],
    );
    const verified = coffre(
      ['verify', next.json().id, '--from', 'cloud', '--home', home],
      server.env,
    );
    assert.equal(verified.status, 0, verified.stdout + verified.stderr);
  });
});
