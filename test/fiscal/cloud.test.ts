// Fiscal archives in a cloud destination, against the real S3 test server:
// they go under the fiscal/ prefix, the backup listing of the same bucket
// never sees them, they download and verify, and an unencrypted one is not
// uploaded unless the user allowed it.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { generateAgeKeyPair } from '../../src/archive/age.js';
import { POS_FISCAL_RECIPE } from '../../src/core/fiscal/pos.js';
import { openFiscalArea } from '../../src/destinations/fiscal-area.js';
import { openDestination } from '../../src/destinations/open.js';
import { FiscalService } from '../../src/fiscal/service.js';
import { verifyFiscalArchive } from '../../src/fiscal/verify.js';
import { createDemoData } from '../../src/source/demo.js';
import { destinationSchema } from '../../src/state/config.js';
import { createIdentity } from '../../src/state/identity.js';
import { removeDir, tempDir } from '../helpers.js';
import { startS3Server, type S3Server } from '../s3.js';

let dir: string;
let server: S3Server;
let db: string;

before(async () => {
  dir = tempDir('coffre-fiscal-cloud-');
  server = await startS3Server(['shop']);
  db = (
    await createDemoData({
      dir: path.join(dir, 'demo'),
      profile: 'pos',
      receipts: 300,
      images: 2,
      days: 50,
    })
  ).dbPath;
});
after(async () => {
  await server.stop();
  removeDir(dir);
});

function setup(encryption: { recipients: string[]; passphrase: string | null }) {
  const conf = destinationSchema.parse({
    kind: 's3',
    endpoint: server.endpoint,
    bucket: 'shop',
    prefix: 'registers/',
    pathStyle: true,
  });
  const context = {
    resolvePath: (p: string) => p,
    cloudCredentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  };
  const home = tempDir('coffre-fiscal-cloud-home-');
  fs.mkdirSync(path.join(home, 'tmp'));
  const identity = createIdentity('Cloud shop', new Date('2026-01-01T00:00:00Z'));
  const service = new FiscalService({
    recipe: POS_FISCAL_RECIPE,
    fec: null,
    app: { profile: 'pos', version: 'test' },
    identity,
    scratch: path.join(home, 'tmp'),
    indexFile: path.join(home, 'fiscal-archives.json'),
    openSource: () => new Database(db, { readonly: true }),
    openBackupDatabase: () => Promise.reject(new Error('not used here')),
    areas: (names) =>
      (names ?? ['cloud']).map((n) => openFiscalArea(n, conf, path.join(home, 'backups'), context)),
    defaultDestinations: ['cloud'],
    allowsUnencrypted: () => false,
    encryption: () => encryption,
    compressionLevel: 3,
    everyMonths: null,
    clock: () => new Date('2026-12-02T09:00:00Z'),
    timeZone: () => 'Europe/Paris',
    log: () => undefined,
    checkpoint: { get: () => null, set: () => undefined },
  });
  return {
    service,
    home,
    identity,
    backups: openDestination('cloud', conf, context),
    area: openFiscalArea('cloud', conf, path.join(home, 'backups'), context),
  };
}

describe('fiscal archives in the cloud', () => {
  it('go under the fiscal/ prefix, apart from backups, and verify once downloaded', async () => {
    const pair = generateAgeKeyPair();
    const { service, home, identity, backups, area } = setup({
      recipients: [pair.recipient],
      passphrase: null,
    });
    const result = await service.export({ period: '2026-10' });
    assert.deepEqual(
      result.destinations.map((d) => d.name),
      ['cloud'],
    );
    const keys = fs.readdirSync(path.join(server.dir, 'shop'), {
      recursive: true,
      encoding: 'utf8',
    });
    assert.ok(
      keys.some(
        (k) => k.startsWith(`registers/fiscal/${identity.id.slice(0, 8)}/`) || k.includes('fiscal'),
      ),
      keys.join('\n'),
    );
    assert.deepEqual(await backups.list(), [], 'the backup listing of the bucket sees none');
    assert.deepEqual(await backups.list(identity.id), []);
    const { archives } = await service.list();
    assert.equal(archives.length, 1);
    const local = path.join(home, result.archive);
    await pipeline(await area.get(result.archive), fs.createWriteStream(local));
    const report = await verifyFiscalArchive(local, { identities: [pair.identity] });
    assert.equal(report.ok, true, JSON.stringify(report.checks));
  });

  it('does not upload an unencrypted one without the user allowing it', async () => {
    const { service } = setup({ recipients: [], passphrase: null });
    await assert.rejects(service.export({ period: '2026-10' }), /not encrypted.*cloud destination/);
    assert.equal((await service.list()).archives.length, 0);
  });
});
