// Issue 10, items 2 and 24: every malformed sidecar is CORRUPT_ARCHIVE or
// BAD_SIGNATURE for verify AND restore, by id and by path; never INTERNAL,
// never ok. In-process through the facade, on a real demo home.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BackupCenter } from '../../src/center.js';
import { isCoffreError } from '../../src/core/errors.js';
import { removeDir, tempDir } from '../helpers.js';

type Json = Record<string, any>;

/** Each damage: a name and what it does to a copy of a good sidecar (null: no JSON at all). */
const DAMAGES: { name: string; damage: (s: Json) => Json | string }[] = [
  { name: 'not JSON', damage: () => '{"sidecarVersion": 1, "archive": ' },
  { name: 'JSON null', damage: () => 'null' },
  { name: 'an array', damage: () => '[]' },
  { name: 'signature removed', damage: ({ fingerprintSignature: _, ...s }) => s },
  { name: 'signature null', damage: (s) => ({ ...s, fingerprintSignature: null }) },
  { name: 'signature a number', damage: (s) => ({ ...s, fingerprintSignature: 42 }) },
  { name: 'signature empty', damage: (s) => ({ ...s, fingerprintSignature: '' }) },
  {
    name: 'signature one byte flipped',
    damage: (s) => {
      const sig = Buffer.from(s.fingerprintSignature, 'base64');
      sig[5] ^= 1;
      return { ...s, fingerprintSignature: sig.toString('base64') };
    },
  },
  {
    name: 'sha256 forged, signature removed',
    damage: ({ fingerprintSignature: _, ...s }) => ({ ...s, sha256: 'a'.repeat(64) }),
  },
  { name: 'sha256 forged', damage: (s) => ({ ...s, sha256: 'b'.repeat(64) }) },
  { name: 'sha256 removed', damage: ({ sha256: _, ...s }) => s },
  { name: 'sha256 a number', damage: (s) => ({ ...s, sha256: 12 }) },
  { name: 'size removed', damage: ({ size: _, ...s }) => s },
  { name: 'size a string', damage: (s) => ({ ...s, size: String(s.size) }) },
  { name: 'size negative', damage: (s) => ({ ...s, size: -1 }) },
  { name: 'size one byte more', damage: (s) => ({ ...s, size: s.size + 1 }) },
  { name: 'size one byte less', damage: (s) => ({ ...s, size: s.size - 1 }) },
  { name: 'header removed', damage: ({ header: _, ...s }) => s },
  { name: 'header a string', damage: (s) => ({ ...s, header: 'x' }) },
  {
    name: 'header.register removed',
    damage: (s) => ({ ...s, header: { ...s.header, register: undefined } }),
  },
  {
    name: 'header.register.publicKey a number',
    damage: (s) => ({
      ...s,
      header: { ...s.header, register: { ...s.header.register, publicKey: 7 } },
    }),
  },
  {
    name: 'header.encryption removed',
    damage: (s) => ({ ...s, header: { ...s.header, encryption: undefined } }),
  },
  {
    name: 'header.createdAt a number',
    damage: (s) => ({ ...s, header: { ...s.header, createdAt: 5 } }),
  },
  {
    name: 'header.database.tables wrong type',
    damage: (s) => ({
      ...s,
      header: { ...s.header, database: { ...s.header.database, tables: [1] } },
    }),
  },
  { name: 'sidecarVersion removed', damage: ({ sidecarVersion: _, ...s }) => s },
  { name: 'archive another name', damage: (s) => ({ ...s, archive: 'x' + s.archive }) },
];

describe('malformed sidecars (issue 10, items 2 and 24)', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  let center: BackupCenter;
  let archive: string;
  let id: string;
  let good: string;
  let sidecarFile: string;
  after(() => {
    center?.close();
    removeDir(dir);
  });

  before(async () => {
    await BackupCenter.createDemo(home, { profile: 'pos', images: 3 });
    center = await BackupCenter.open(home);
    const backup = await center.backup();
    archive = path.join(home, 'backups', backup.archive);
    id = backup.id;
    sidecarFile = archive + '.coffre.json';
    good = fs.readFileSync(sidecarFile, 'utf8');
  });

  async function outcome(run: () => Promise<unknown>): Promise<string> {
    try {
      await run();
      return 'ok';
    } catch (err) {
      return isCoffreError(err) ? err.code : `not a CoffreError: ${String(err)}`;
    }
  }

  for (const { name, damage } of DAMAGES) {
    it(`${name}: verify and restore refuse it, by id and by path`, async () => {
      const value = damage(JSON.parse(good) as Json);
      fs.writeFileSync(sidecarFile, typeof value === 'string' ? value : JSON.stringify(value));
      try {
        const results = {
          'verify by id': await outcome(() => center.verify(id)),
          'verify by path': await outcome(() => center.verify(archive)),
          'restore by id': await outcome(() => center.restore(id, { confirm: () => true })),
          'restore by path': await outcome(() => center.restore(archive, { confirm: () => true })),
        };
        for (const [how, code] of Object.entries(results)) {
          assert.ok(
            code === 'CORRUPT_ARCHIVE' || code === 'BAD_SIGNATURE',
            `${name}, ${how}: ${code}`,
          );
        }
      } finally {
        fs.writeFileSync(sidecarFile, good);
      }
    });
  }

  it('the good sidecar still verifies, and the damaged ones were never listed as backups', async () => {
    assert.equal((await center.verify(id)).level, 'full');
    fs.writeFileSync(sidecarFile, JSON.stringify({ ...JSON.parse(good), size: 'big' }));
    try {
      const listed = await center.list();
      assert.ok(listed.backups.every((b) => b.id !== id));
      assert.deepEqual(
        listed.damaged.map((d) => [d.id, d.code]),
        [[id, 'CORRUPT_ARCHIVE']],
      );
    } finally {
      fs.writeFileSync(sidecarFile, good);
    }
  });
});
