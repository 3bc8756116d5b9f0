// The contract every destination keeps, run against each implementation
// (local folder, external folder; S3 later) by a few lines in its own test.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buffer } from 'node:stream/consumers';
import { isCoffreError } from '../../src/core/errors.js';
import type { Sidecar } from '../../src/core/manifest.js';
import type { Destination } from '../../src/destinations/types.js';

const REGISTER = 'c0ffee12-0000-4000-8000-000000000000';

/** A sidecar as Coffre writes one (the signature is well formed, not valid: destinations do not check it). */
export function sidecarFor(
  archive: string,
  id: string,
  data: Buffer,
  createdAt: string,
  register = REGISTER,
): Sidecar {
  const encrypted = archive.endsWith('.age');
  return {
    sidecarVersion: 1,
    archive,
    size: data.length,
    sha256: 'f'.repeat(64),
    fingerprintSignature: Buffer.alloc(64, 7).toString('base64'),
    header: {
      format: 'coffre-archive',
      formatVersion: 1,
      id,
      createdAt,
      origin: 'manual',
      note: 'contract',
      register: {
        id: register,
        name: 'Contract',
        publicKey: Buffer.alloc(32, 1).toString('base64'),
        keyFingerprint: 'SHA256:x',
      },
      app: { profile: 'generic', version: null, schemaVersion: 0 },
      coffre: { version: '0.0.0' },
      database: {
        entry: 'database/db',
        bytes: 0,
        pageSize: 4096,
        sourceEncrypted: false,
        tables: {},
      },
      files: { label: 'files', count: 0, bytes: 0 },
      settings: null,
      sections: [],
      encryption: encrypted
        ? { encrypted, method: 'age-x25519', recipients: ['age1contract'] }
        : { encrypted, method: null, recipients: [] },
    },
  };
}

async function write(
  dest: Destination,
  archive: string,
  data: Buffer,
  sidecar: Sidecar | null,
): Promise<void> {
  const upload = await dest.put(archive);
  await new Promise<void>((resolve, reject) => {
    upload.stream.once('error', reject);
    upload.stream.once('finish', resolve);
    upload.stream.end(data);
  });
  if (sidecar) await upload.commit(sidecar);
}

export function destinationContract(name: string, make: () => Promise<Destination>): void {
  describe(`destination contract: ${name}`, () => {
    const id1 = 'contract_20261120-100000-000_c0ffee12';
    const id2 = 'contract_20261121-100000-000_c0ffee12';

    it('stores, lists from metadata, reads back and deletes', async () => {
      const dest = await make();
      await dest.check();
      const data = Buffer.from('archive bytes '.repeat(1000));
      await write(
        dest,
        `${id1}.tar.zst`,
        data,
        sidecarFor(`${id1}.tar.zst`, id1, data, '2026-11-20T10:00:00.000Z'),
      );
      await write(
        dest,
        `${id2}.tar.zst.age`,
        data,
        sidecarFor(`${id2}.tar.zst.age`, id2, data, '2026-11-21T10:00:00.000Z'),
      );
      const list = await dest.list();
      assert.deepEqual(
        list.map((s) => s.header.id),
        [id1, id2],
      );
      assert.equal(list[0].header.note, 'contract');
      assert.deepEqual(
        list[1],
        sidecarFor(`${id2}.tar.zst.age`, id2, data, '2026-11-21T10:00:00.000Z'),
      );
      assert.deepEqual(await buffer(await dest.get(`${id1}.tar.zst`)), data);
      const usage = await dest.usage();
      assert.equal(usage.backups, 2);
      // Archives and sidecars (as they are written: indented JSON and a newline).
      const sidecarBytes = list.reduce(
        (n, s) => n + Buffer.byteLength(JSON.stringify(s, null, 2) + '\n'),
        0,
      );
      assert.equal(usage.usedBytes, data.length * 2 + sidecarBytes);
      await dest.delete(`${id1}.tar.zst`);
      assert.deepEqual(
        (await dest.list()).map((s) => s.header.id),
        [id2],
      );
      await assert.rejects(dest.get(`${id1}.tar.zst`), (err) =>
        isCoffreError(err, 'BACKUP_NOT_FOUND'),
      );
      await dest.delete(`${id2}.tar.zst.age`);
      assert.deepEqual(await dest.list(), []);
    });

    it('never lists a write that was not committed, and sweeps it', async () => {
      const dest = await make();
      const archive = `${id1}.tar.zst`;
      const upload = await dest.put(archive);
      upload.stream.write(Buffer.alloc(10_000, 1));
      assert.deepEqual(await dest.list(), []);
      await upload.abort();
      assert.deepEqual(await dest.list(), []);
      assert.equal((await dest.usage()).usedBytes, 0);
      // An upload written to the end but never committed (the job died).
      await write(dest, archive, Buffer.alloc(100), null);
      assert.deepEqual(await dest.list(), []);
      assert.equal((await dest.usage()).backups, 0);
      // This process is alive: its unfinished write is not swept from under it.
      assert.equal(await dest.sweep(REGISTER), 0);
      assert.deepEqual(await dest.list(), []);
    });

    it('never lists a backup whose sidecar is malformed, and reports it as damaged', async () => {
      const dest = await make();
      const data = Buffer.from('archive bytes');
      const good = sidecarFor(`${id1}.tar.zst`, id1, data, '2026-11-20T10:00:00.000Z');
      const unsigned: Partial<Sidecar> = { ...good };
      delete unsigned.fingerprintSignature;
      await write(dest, `${id1}.tar.zst`, data, unsigned as Sidecar);
      const wrongType = sidecarFor(`${id2}.tar.zst.age`, id2, data, '2026-11-21T10:00:00.000Z');
      await write(dest, `${id2}.tar.zst.age`, data, {
        ...wrongType,
        header: { ...wrongType.header, database: { ...wrongType.header.database, tables: [1] } },
      } as never);
      const damaged: [string, string][] = [];
      assert.deepEqual(
        await dest.list(undefined, (d) => damaged.push([d.archive, d.error.code])),
        [],
      );
      assert.deepEqual(damaged.sort(), [
        [`${id1}.tar.zst`, 'BAD_SIGNATURE'],
        [`${id2}.tar.zst.age`, 'CORRUPT_ARCHIVE'],
      ]);
      await dest.delete(`${id1}.tar.zst`);
      await dest.delete(`${id2}.tar.zst.age`);
    });

    it('refuses names it did not make', async () => {
      const dest = await make();
      for (const bad of ['../../etc/passwd', 'x.tar.zst', '']) {
        await assert.rejects(dest.put(bad), (err) => isCoffreError(err, 'USAGE'));
        await assert.rejects(dest.get(bad), (err) => isCoffreError(err, 'USAGE'));
      }
    });
  });
}
