// Coffre and a real S3 server, with real parts only: the CLI in its own
// process, s3rver in its own process, and the real rclone, age, zstd and tar.
// What Coffre writes to a bucket is readable with common tools; files that
// other tools put there are left alone; a server that dies in the middle of
// an upload or of a download gives a clean error, leaves nothing behind that
// the next job does not clean, and never touches the live data; and the cloud
// credentials never show in any output.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { EXIT_CODES } from '../../src/cli/messages.js';
import {
  checkUnpackedByHand,
  CLI,
  coffre,
  removeDir,
  run,
  tempDir,
  type CliResult,
} from '../helpers.js';
import { startS3Server, type S3Server } from '../s3.js';

const SIDECAR = '.coffre.json';

/** A CLI run in the background, so that the server can be killed under it. */
interface Running {
  child: ChildProcess;
  result: Promise<CliResult>;
}

function startCoffre(args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const result = new Promise<CliResult>((resolve) =>
    child.on('close', (code) =>
      resolve({ status: code ?? -1, stdout, stderr, json: () => JSON.parse(stdout) }),
    ),
  );
  return { child, result };
}

function stopIfRunning(running: Running | null): void {
  if (running && running.child.exitCode === null && running.child.signalCode === null)
    running.child.kill('SIGKILL');
}

/** Polls until `probe` holds; fails when `running` ends first or after `timeoutMs`. */
async function waitFor(
  what: string,
  probe: () => boolean,
  running: Running,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (running.child.exitCode !== null || running.child.signalCode !== null) {
      const r = await running.result;
      assert.fail(`the command ended (${r.status}) before ${what}: ${r.stdout}${r.stderr}`);
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Regular files under a folder, recursively; none if it does not exist (or not any more). */
function filesUnder(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
  } catch (err) {
    // Polled while the programs under test create and remove folders.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Whether some folder of `dir` named `prefix*` has extracted files under its files/ folder. */
function extracting(dir: string, prefix: string): boolean {
  return fs
    .readdirSync(dir)
    .some((d) => d.startsWith(prefix) && filesUnder(path.join(dir, d, 'files')).length > 0);
}

/** Part files s3rver has started to write for the open multipart uploads of a bucket. */
function partFiles(server: S3Server, bucket: string): number {
  const uploads = path.join(server.dir, bucket, '._S3rver_uploads');
  return filesUnder(uploads).filter((f) => /^\d+$/.test(path.basename(f))).length;
}

/** The object keys of a bucket, read from the server's storage folder. */
function storedKeys(server: S3Server, bucket: string): string[] {
  const root = path.join(server.dir, bucket);
  return filesUnder(root)
    .filter((f) => !f.startsWith('._S3rver_uploads') && f.endsWith('._S3rver_object'))
    .map((f) => f.slice(0, -'._S3rver_object'.length).split(path.sep).join('/'))
    .sort();
}

/** The real rclone, configured for the server by environment variables only. */
function rclone(server: S3Server, configDir: string, args: string[]): string {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // rclone 1.60 refuses to start when AWS_CA_BUNDLE is set; the server is plain http.
  delete env.AWS_CA_BUNDLE;
  for (const k of Object.keys(env)) if (k.startsWith('RCLONE_')) delete env[k];
  Object.assign(env, {
    RCLONE_CONFIG_COFFRE_TYPE: 's3',
    RCLONE_CONFIG_COFFRE_PROVIDER: 'Other',
    RCLONE_CONFIG_COFFRE_ENV_AUTH: 'false',
    RCLONE_CONFIG_COFFRE_ACCESS_KEY_ID: server.accessKeyId,
    RCLONE_CONFIG_COFFRE_SECRET_ACCESS_KEY: server.secretAccessKey,
    RCLONE_CONFIG_COFFRE_ENDPOINT: server.endpoint,
    RCLONE_CONFIG_COFFRE_REGION: 'us-east-1',
    RCLONE_CONFIG_COFFRE_FORCE_PATH_STYLE: 'true',
    RCLONE_CONFIG_COFFRE_NO_CHECK_BUCKET: 'true',
  });
  // An empty config file of the test's own: nothing of the user's rclone setup is read.
  const config = path.join(configDir, 'rclone.conf');
  if (!fs.existsSync(config)) fs.writeFileSync(config, '');
  const r = spawnSync('rclone', ['--config', config, ...args], {
    encoding: 'utf8',
    env,
    maxBuffer: 64 << 20,
  });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `rclone ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** No credential in the output, no stack trace, no "unexpected" error. */
function assertClean(r: CliResult, secrets: string[], label: string): void {
  const out = r.stdout + r.stderr;
  for (const secret of secrets) {
    assert.ok(!out.includes(secret), `${label}: the output shows a credential`);
  }
  assert.doesNotMatch(out, /^\s*at .+:\d+:\d+\)?$/m, `${label}: a stack trace: ${out}`);
  assert.doesNotMatch(out, /something unexpected/, `${label}: ${out}`);
}

function ok(r: CliResult, label: string): CliResult {
  assert.equal(r.status, 0, `${label}: ${r.stdout}${r.stderr}`);
  return r;
}

function addCloud(
  home: string,
  server: S3Server,
  bucket: string,
  prefix: string,
  env: Record<string, string> = server.env,
): CliResult {
  return coffre(
    [
      'destination',
      'add',
      'cloud',
      's3',
      '--endpoint',
      server.endpoint,
      '--bucket',
      bucket,
      '--path-style',
      '--prefix',
      prefix,
      '--home',
      home,
      '--json',
    ],
    env,
  );
}

function cloudBackups(home: string, env: Record<string, string>): any[] {
  const list = ok(coffre(['list', '--home', home, '--json'], env), 'list').json();
  assert.deepEqual(list.unavailable, []);
  return list.backups.filter((b: { destination: string }) => b.destination === 'cloud');
}

describe('a bucket written by Coffre, read and written by rclone', () => {
  const bucket = 'coffre-interop';
  const prefix = 'shop/backups/';
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const keyFile = path.join(dir, 'backup-key.txt');
  let server: S3Server;
  let backup: any;
  let recipient: string;
  let folder: string;

  before(async () => {
    server = await startS3Server([bucket]);
    ok(coffre(['demo', '--home', home]), 'demo');
    recipient = ok(
      coffre(['encryption', 'new-key', '--out', keyFile, '--home', home, '--json']),
      'new-key',
    ).json().recipient;
    const add = ok(addCloud(home, server, bucket, prefix), 'destination add').json();
    assert.equal(add.error, null);
    backup = ok(
      coffre(['backup', '--to', 'cloud', '--home', home, '--json'], server.env),
      'backup',
    ).json();
    assert.equal(backup.encrypted, true);
    assert.deepEqual(backup.destination, ['cloud']);
    assert.ok(backup.name.endsWith('.tar.zst.age'), backup.name);
    folder = `${prefix}${backup.id.slice(-8)}/`;
  });
  after(async () => {
    await server?.stop();
    removeDir(dir);
  });

  it('rclone lists and downloads the archive and its sidecar; age, zstd and tar open it', () => {
    const listed = JSON.parse(
      rclone(server, dir, ['lsjson', '-R', '--files-only', `coffre:${bucket}`]),
    );
    const sizes = new Map<string, number>(
      listed.map((e: { Path: string; Size: number }) => [e.Path, e.Size]),
    );
    assert.deepEqual(
      [...sizes.keys()].sort(),
      [folder + backup.name, folder + backup.name + SIDECAR],
      'the archive and its sidecar, under PREFIX/REGISTER8/',
    );
    assert.equal(sizes.get(folder + backup.name), backup.size);

    const download = path.join(dir, 'download');
    rclone(server, dir, ['copy', `coffre:${bucket}/${folder}`, download]);
    const archive = path.join(download, backup.name);
    const sidecar = JSON.parse(fs.readFileSync(archive + SIDECAR, 'utf8'));
    assert.equal(sidecar.archive, backup.name);
    assert.equal(sidecar.size, backup.size);
    assert.equal(fs.statSync(archive).size, backup.size);
    const sha = sha256File(archive);
    assert.equal(sha, sidecar.sha256, 'the downloaded file matches the sidecar fingerprint');
    assert.equal(sha, backup.sha256);
    const listedByCoffre = cloudBackups(home, server.env);
    assert.equal(listedByCoffre.length, 1);
    assert.equal(listedByCoffre[0].id, backup.id);
    assert.equal(listedByCoffre[0].sha256, sha);
    assert.equal(listedByCoffre[0].encrypted, true);
    assert.equal(fs.readFileSync(archive).subarray(0, 21).toString(), 'age-encryption.org/v1');

    // The layers of docs/FORMAT.md, opened with the standard programs.
    const open = 'age -d -i "$1" "$2" | zstd -q -d';
    const entries = run('bash', [
      '-o',
      'pipefail',
      '-c',
      `${open} | tar -t`,
      'bash',
      keyFile,
      archive,
    ])
      .split('\n')
      .filter(Boolean);
    const images = entries.filter((e) => e.startsWith('files/'));
    assert.equal(images.length, backup.counts.files);
    // Every entry FORMAT.md lists, in its order: settings, files, database, then Coffre's own.
    assert.deepEqual(entries, [
      'settings/settings.json',
      ...images,
      'database/register.db',
      'coffre/header.json',
      'coffre/register.pub.pem',
      'coffre/SHA256SUMS',
      'coffre/SHA256SUMS.sig',
    ]);
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    run('bash', [
      '-o',
      'pipefail',
      '-c',
      `${open} | tar -x -C "$3"`,
      'bash',
      keyFile,
      archive,
      out,
    ]);
    checkUnpackedByHand(out);
    const header = JSON.parse(fs.readFileSync(path.join(out, 'coffre/header.json'), 'utf8'));
    assert.equal(header.id, backup.id);
    assert.deepEqual(header.encryption, {
      encrypted: true,
      method: 'age-x25519',
      recipients: [recipient],
    });
    assert.deepEqual(sidecar.header, header);
    assert.equal(
      run('sqlite3', [path.join(out, header.database.entry), 'PRAGMA integrity_check']).trim(),
      'ok',
    );
  });

  it('ignores files that rclone put in the bucket, and never removes them', () => {
    const foreign = [
      `${folder}notes.txt`,
      `${folder}notes.txt${SIDECAR}`,
      `${folder}nested/photo.jpg`,
      `${prefix}README.txt`,
      `${prefix}zzzzzzzz/other.tar.zst`,
      'outside-the-prefix.txt',
    ];
    const tree = path.join(dir, 'foreign');
    for (const key of foreign) {
      const file = path.join(tree, ...key.split('/'));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, key.endsWith(SIDECAR) ? '{ this is not json' : 'not a backup\n');
    }
    rclone(server, dir, ['copy', tree, `coffre:${bucket}`]);

    const listed = cloudBackups(home, server.env);
    assert.deepEqual(
      listed.map((b) => b.id),
      [backup.id],
    );
    ok(coffre(['list', '--home', home], server.env), 'list (text)');
    const everyRegister = ok(
      coffre(['list', '--all-registers', '--home', home, '--json'], server.env),
      'list --all-registers',
    ).json();
    assert.deepEqual(everyRegister.unavailable, []);
    assert.deepEqual(
      everyRegister.backups.filter((b: any) => b.destination === 'cloud').map((b: any) => b.id),
      [backup.id],
    );
    const [usage] = ok(
      coffre(['cloud', 'usage', '--home', home, '--json'], server.env),
      'cloud usage',
    ).json();
    assert.equal(usage.error, null);
    assert.equal(usage.backups, 1);
    assert.equal(usage.ownBackups, 1);

    // The next backup sweeps its register's folder: other tools' files stay.
    const second = ok(
      coffre(['backup', '--to', 'cloud', '--home', home, '--json'], server.env),
      'second backup',
    ).json();
    const keys = rclone(server, dir, ['lsf', '-R', '--files-only', `coffre:${bucket}`])
      .split('\n')
      .filter(Boolean)
      .sort();
    assert.deepEqual(
      keys,
      [
        ...foreign,
        folder + backup.name,
        folder + backup.name + SIDECAR,
        folder + second.name,
        folder + second.name + SIDECAR,
      ].sort(),
    );
    assert.deepEqual(
      cloudBackups(home, server.env).map((b) => b.id),
      [backup.id, second.id],
    );
  });
});

describe('the S3 server killed in the middle of an upload', () => {
  const bucket = 'coffre-upload-crash';
  const dir = tempDir();
  const home = path.join(dir, 'home');
  let server: S3Server;
  let running: Running | null = null;
  let failed: CliResult | null = null;

  before(async () => {
    server = await startS3Server([bucket]);
    // About 65 MiB of images that do not compress: eight 8 MiB parts, more than the
    // upload holds in memory (4 parts in flight and one filling), so that the archive
    // writer is still waiting on the upload when the server dies.
    ok(coffre(['demo', '--home', home, '--images', '300', '--large-images']), 'demo');
    assert.equal(
      ok(addCloud(home, server, bucket, 'crash/'), 'destination add').json().error,
      null,
    );
  });
  after(async () => {
    stopIfRunning(running);
    await server?.stop();
    removeDir(dir);
  });

  it('the backup fails with a clean error that names the lost connection', async () => {
    running = startCoffre(
      ['backup', '--to', 'cloud', '--allow-unencrypted', '--home', home, '--json'],
      server.env,
    );
    await waitFor(
      'the first parts reached the server',
      () => partFiles(server, bucket) > 0,
      running,
    );
    await server.kill();
    const r = (failed = await running.result);
    assertClean(r, [server.accessKeyId, server.secretAccessKey], 'backup');
    assert.notEqual(r.status, 0);
    const { error } = r.json();
    assert.equal(error.code, 'DESTINATION_UNAVAILABLE', r.stdout);
    assert.equal(r.status, EXIT_CODES.DESTINATION_UNAVAILABLE);
    assert.match(error.message, /^Cloud destination "cloud"/);
    assert.match(error.message, /connection/);
    assert.equal(error.details.destination, 'cloud');
  });

  it('nothing is listed, and the next backup sweeps the leftovers and succeeds', async () => {
    assert.ok(failed, 'the backup above was interrupted');
    const secrets = [server.accessKeyId, server.secretAccessKey];
    await server.restart();
    // The server died before the CLI could abort its multipart upload.
    assert.notDeepEqual(server.openUploads(bucket), [], 'the parts of the killed upload');
    assert.deepEqual(storedKeys(server, bucket), [], 'no archive object was completed');
    assert.deepEqual(cloudBackups(home, server.env), []);

    const again = ok(
      coffre(
        ['backup', '--to', 'cloud', '--allow-unencrypted', '--home', home, '--json'],
        server.env,
      ),
      'the next backup',
    );
    assertClean(again, secrets, 'the next backup');
    const next = again.json();
    assert.deepEqual(next.destination, ['cloud']);
    assert.ok(next.size > 3 * 8 * 2 ** 20, `an archive of several parts: ${next.size} bytes`);
    assert.deepEqual(server.openUploads(bucket), [], 'the sweep aborted the leftover upload');
    const folder = `crash/${next.id.slice(-8)}/`;
    const expected = [folder + next.name, folder + next.name + SIDECAR];
    assert.deepEqual(storedKeys(server, bucket), expected);
    assert.deepEqual(
      rclone(server, dir, ['lsf', '-R', '--files-only', `coffre:${bucket}`])
        .split('\n')
        .filter(Boolean)
        .sort(),
      expected,
    );
    assert.deepEqual(
      cloudBackups(home, server.env).map((b) => b.id),
      [next.id],
    );
  });
});

describe('the S3 server killed in the middle of a download', () => {
  const bucket = 'coffre-download-crash';
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const data = path.join(home, 'demo-register');
  const liveDb = path.join(data, 'register.db');
  let server: S3Server;
  let running: Running | null = null;
  let backup: any;

  const count = (table: string) =>
    Number(run('sqlite3', [liveDb, `SELECT count(*) FROM ${table}`]).trim());

  before(async () => {
    server = await startS3Server([bucket]);
    ok(coffre(['demo', '--home', home, '--images', '200', '--large-images']), 'demo');
    assert.equal(ok(addCloud(home, server, bucket, ''), 'destination add').json().error, null);
    backup = ok(
      coffre(
        ['backup', '--to', 'cloud', '--allow-unencrypted', '--home', home, '--json'],
        server.env,
      ),
      'backup',
    ).json();
    // The live data moves on after the backup: a restore would bring this row back.
    run('sqlite3', [
      liveDb,
      'DELETE FROM settings WHERE rowid = (SELECT max(rowid) FROM settings)',
    ]);
  });
  after(async () => {
    stopIfRunning(running);
    await server?.stop();
    removeDir(dir);
  });

  /** Runs a command, kills the server once `downloading` holds, and checks the error. */
  async function killDuring(args: string[], downloading: () => boolean): Promise<CliResult> {
    running = startCoffre(args, server.env);
    let r: CliResult;
    try {
      await waitFor('the archive was being downloaded', downloading, running);
      await server.kill();
      r = await running.result;
    } finally {
      // The server stays down until the command has ended: it cannot resume the download.
      stopIfRunning(running);
      await server.restart();
    }
    assert.equal(r.status, EXIT_CODES.DESTINATION_UNAVAILABLE, r.stdout + r.stderr);
    assertClean(r, [server.accessKeyId, server.secretAccessKey], args[0]);
    const { error } = r.json();
    assert.equal(error.code, 'DESTINATION_UNAVAILABLE');
    assert.match(error.message, /^Cloud destination "cloud"/);
    assert.match(
      error.message,
      /download of .+ stopped after [\d.]+ (B|KiB|MiB|GiB) of [\d.]+ (KiB|MiB|GiB)/,
    );
    assert.match(error.message, /connection/);
    assert.doesNotMatch(
      error.message + String(error.hint),
      /corrupt|damaged|altered|fingerprint|do not restore/i,
    );
    return r;
  }

  it('verify: a clean error that names the download, then the same command succeeds', async () => {
    const args = ['verify', backup.id, '--from', 'cloud', '--deep', '--home', home, '--json'];
    // verify --deep extracts into a scratch folder of the home as it downloads.
    await killDuring(args, () => extracting(path.join(home, 'tmp'), 'verify-'));
    const report = ok(coffre(args, server.env), 'verify again').json();
    assert.equal(report.level, 'deep');
    assert.equal(report.destination, 'cloud');
    assert.equal(report.sha256, backup.sha256);
  });

  it('restore: a clean error, the live data untouched, then the same command succeeds', async () => {
    const args = ['restore', backup.id, '--from', 'cloud', '--yes', '--home', home, '--json'];
    const before = { db: sha256File(liveDb), settings: count('settings'), files: filesUnder(data) };
    assert.equal(before.settings, backup.counts.tables.settings - 1);
    // restore stages the archive next to the live data as it downloads.
    await killDuring(args, () => extracting(data, '.coffre-restore-'));
    assert.equal(sha256File(liveDb), before.db, 'the live database is byte for byte the same');
    assert.equal(count('settings'), before.settings);
    assert.deepEqual(filesUnder(data), before.files, 'the live files are the same');
    assert.deepEqual(
      fs.readdirSync(data).filter((d) => d.startsWith('.coffre-restore-')),
      [],
      'no staged copy left next to the live data',
    );
    assert.ok(!fs.existsSync(path.join(home, 'restore-journal.json')));

    const result = ok(coffre(args, server.env), 'restore again').json();
    assert.equal(result.applied, true);
    assert.equal(result.plan.backupId, backup.id);
    assert.equal(count('settings'), backup.counts.tables.settings);
  });
});

describe('cloud credentials never shown', () => {
  const bucket = 'coffre-secrets';
  const dir = tempDir();
  const home = path.join(dir, 'home');
  // Distinctive values, so that any echo of them is found.
  const right = { id: 'COFFRERIGHTID7QX2', secret: 'right-secret-Vx93-quokka-lantern' };
  const wrong = {
    AWS_ACCESS_KEY_ID: 'COFFREWRONGID4ZK8',
    AWS_SECRET_ACCESS_KEY: 'wrong-secret-Hq71-pangolin-teapot',
  };
  const secrets = [right.id, right.secret, wrong.AWS_ACCESS_KEY_ID, wrong.AWS_SECRET_ACCESS_KEY];
  let server: S3Server;

  before(async () => {
    server = await startS3Server([bucket], {
      accessKeyId: right.id,
      secretAccessKey: right.secret,
    });
    ok(coffre(['demo', '--home', home]), 'demo');
  });
  after(async () => {
    await server?.stop();
    removeDir(dir);
  });

  it('a wrong access key id gives DESTINATION_AUTH, and no output shows a credential', () => {
    const add = addCloud(home, server, bucket, 'secrets/', wrong);
    ok(add, 'destination add');
    assertClean(add, secrets, 'destination add');
    assert.equal(add.json().error.code, 'DESTINATION_AUTH');

    const backupArgs = ['backup', '--to', 'cloud', '--allow-unencrypted', '--home', home];
    const json = coffre([...backupArgs, '--json'], wrong);
    assertClean(json, secrets, 'backup --json');
    assert.equal(json.status, EXIT_CODES.DESTINATION_AUTH);
    assert.equal(json.json().error.code, 'DESTINATION_AUTH');
    assert.match(json.json().error.message, /refused the credentials/);
    const text = coffre(backupArgs, wrong);
    assertClean(text, secrets, 'backup');
    assert.equal(text.status, EXIT_CODES.DESTINATION_AUTH);
    assert.match(text.stderr, /^Error \(DESTINATION_AUTH\): Cloud destination "cloud"/);

    const destinations = ok(
      coffre(['destination', 'list', '--home', home, '--json'], wrong),
      'destination list',
    );
    assertClean(destinations, secrets, 'destination list');
    const cloud = destinations.json().find((d: { name: string }) => d.name === 'cloud');
    assert.equal(cloud.error.code, 'DESTINATION_AUTH');

    const usage = ok(coffre(['cloud', 'usage', '--home', home, '--json'], wrong), 'cloud usage');
    assertClean(usage, secrets, 'cloud usage');
    assert.equal(usage.json()[0].error.code, 'DESTINATION_AUTH');

    const list = ok(coffre(['list', '--home', home, '--json'], wrong), 'list');
    assertClean(list, secrets, 'list');
    assert.deepEqual(
      list.json().unavailable.map((u: { code: string }) => u.code),
      ['DESTINATION_AUTH'],
    );

    const status = ok(coffre(['status', '--home', home, '--json'], wrong), 'status');
    assertClean(status, secrets, 'status');
    assert.equal(status.json().cloud[0].error.code, 'DESTINATION_AUTH');
    assert.equal(status.json().lastFailure.errorCode, 'DESTINATION_AUTH');
    assertClean(ok(coffre(['status', '--home', home], wrong), 'status (text)'), secrets, 'status');
  });

  it('nor with the right credentials, nor in any file of the home', () => {
    const backup = ok(
      coffre(
        ['backup', '--to', 'cloud', '--allow-unencrypted', '--home', home, '--json'],
        server.env,
      ),
      'backup',
    );
    assertClean(backup, secrets, 'backup');
    for (const args of [
      ['destination', 'list', '--json'],
      ['status', '--json'],
      ['cloud', 'usage', '--json'],
    ]) {
      const r = ok(coffre([...args, '--home', home], server.env), args.join(' '));
      assertClean(r, secrets, args.join(' '));
    }
    // The failures of the test above are in the job history: their messages too.
    for (const file of filesUnder(home).filter((f) => !f.startsWith('demo-register'))) {
      const bytes = fs.readFileSync(path.join(home, file));
      for (const secret of secrets) {
        assert.ok(!bytes.includes(secret), `${file} holds a credential`);
      }
    }
  });
});
