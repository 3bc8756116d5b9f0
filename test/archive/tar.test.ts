import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { readTar, TAR_END, tarFileHeader, tarPaddingSize } from '../../src/archive/tar.js';
import { isCoffreError } from '../../src/core/errors.js';
import { removeDir, run, tempDir } from '../helpers.js';

function buildTar(entries: { name: string; data: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(
      tarFileHeader(e.name, e.data.length, 1_700_000_000),
      e.data,
      Buffer.alloc(tarPaddingSize(e.data.length)),
    );
  }
  parts.push(TAR_END);
  return Buffer.concat(parts);
}

async function readAll(tar: Buffer, chunk = 7000): Promise<Map<string, Buffer>> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < tar.length; i += chunk) pieces.push(tar.subarray(i, i + chunk));
  const out = new Map<string, Buffer>();
  for await (const entry of readTar(Readable.from(pieces))) {
    const parts: Buffer[] = [];
    for await (const c of entry.body) parts.push(c);
    out.set(entry.name, Buffer.concat(parts));
  }
  return out;
}

describe('tar', () => {
  const dir = tempDir();
  after(() => removeDir(dir));
  const longName = 'files/' + 'rayon-boulangerie/'.repeat(8) + 'baguette-tradition.png';
  const entries = [
    { name: 'settings/settings.json', data: Buffer.from('{"shop":"Martin"}\n') },
    { name: 'files/café crème.png', data: Buffer.from('not really a png but bytes') },
    { name: longName, data: Buffer.alloc(1234, 7) },
    { name: 'empty', data: Buffer.alloc(0) },
    { name: 'exact-block', data: Buffer.alloc(512, 1) },
  ];

  it('writes archives that GNU tar lists and extracts byte for byte', () => {
    const file = path.join(dir, 'ours.tar');
    fs.writeFileSync(file, buildTar(entries));
    const listed = run('tar', ['-tf', file]).trim().split('\n');
    assert.deepEqual(
      listed,
      entries.map((e) => e.name),
    );
    const out = path.join(dir, 'x');
    fs.mkdirSync(out);
    run('tar', ['-xf', file, '-C', out]);
    for (const e of entries) assert.deepEqual(fs.readFileSync(path.join(out, e.name)), e.data);
  });

  it('reads back what it writes, whatever the chunking', async () => {
    const tar = buildTar(entries);
    for (const chunk of [1, 511, 512, 513, 7000, 1 << 20]) {
      const got = await readAll(tar, chunk);
      assert.deepEqual(
        [...got.keys()],
        entries.map((e) => e.name),
      );
      for (const e of entries) assert.deepEqual(got.get(e.name), e.data);
    }
  });

  it('reads archives GNU tar wrote, with long and non-ASCII names', async () => {
    const src = path.join(dir, 'src');
    fs.mkdirSync(path.join(src, path.dirname(longName)), { recursive: true });
    fs.writeFileSync(path.join(src, longName), 'long');
    fs.writeFileSync(path.join(src, 'été.txt'), 'accents');
    const file = path.join(dir, 'gnu.tar');
    run('tar', ['--format=posix', '-cf', file, '-C', src, longName, 'été.txt']);
    const got = await readAll(fs.readFileSync(file));
    assert.equal(got.get(longName)?.toString(), 'long');
    assert.equal(got.get('été.txt')?.toString(), 'accents');
  });

  it('refuses truncated archives and damaged headers', async () => {
    const tar = buildTar(entries);
    for (const cut of [100, 600, tar.length - 1024 - 10, tar.length - 1024]) {
      await assert.rejects(readAll(tar.subarray(0, cut)), (err) =>
        isCoffreError(err, 'CORRUPT_ARCHIVE'),
      );
    }
    const damaged = Buffer.from(tar);
    damaged[5] = damaged[5] ^ 0xff;
    await assert.rejects(readAll(damaged), (err) => isCoffreError(err, 'CORRUPT_ARCHIVE'));
    const trailing = Buffer.concat([tar, Buffer.from('garbage')]);
    await assert.rejects(readAll(trailing), (err) => isCoffreError(err, 'CORRUPT_ARCHIVE'));
  });
});
