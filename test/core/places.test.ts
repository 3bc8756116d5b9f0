// Issue 10, item 5 (the pure part): destinations on the same place, however
// they are spelled, are caught. Table tests; realFolder on real links.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  folderRelation,
  normalizeEndpoint,
  placeOverlap,
  type Place,
} from '../../src/core/places.js';
import { realFolder } from '../../src/destinations/places.js';
import { removeDir, tempDir } from '../helpers.js';

describe('normalizeEndpoint', () => {
  const same: [string, string][] = [
    ['http://localhost:9000', 'http://127.0.0.1:9000'],
    ['http://localhost:9000', 'http://[::1]:9000'],
    ['http://127.0.0.1:9000/', 'http://127.0.0.2:9000'],
    ['http://LOCALHOST:9000//', 'http://localhost:9000'],
    ['https://S3.Example.com', 'https://s3.example.com:443/'],
    ['http://minio.lan', 'http://minio.lan:80'],
    ['https://s3.eu-west-1.amazonaws.com', 'https://s3.amazonaws.com'],
    ['https://minio.lan/base/', 'https://minio.lan/base'],
  ];
  for (const [a, b] of same) {
    it(`${a} is ${b}`, () => assert.equal(normalizeEndpoint(a), normalizeEndpoint(b)));
  }
  const apart: [string, string][] = [
    ['http://localhost:9000', 'http://localhost:9001'],
    ['http://localhost:9000', 'https://localhost:9000'],
    ['https://s3.example.com', 'https://s4.example.com'],
    ['https://minio.lan/a', 'https://minio.lan/b'],
    ['http://192.168.1.10:9000', 'http://localhost:9000'],
  ];
  for (const [a, b] of apart) {
    it(`${a} is not ${b}`, () => assert.notEqual(normalizeEndpoint(a), normalizeEndpoint(b)));
  }
});

describe('placeOverlap', () => {
  const local: Place = { kind: 'folder', name: 'local', path: '/home/shop/.coffre/backups' };
  const usb: Place = { kind: 'folder', name: 'usb', path: '/media/usb/coffre' };
  const cloud: Place = {
    kind: 's3',
    name: 'cloud',
    endpoint: 'http://localhost:9000',
    bucket: 'shop',
    prefix: 'registers/',
  };
  const existing = [local, usb, cloud];
  const cases: [string, Place, ReturnType<typeof placeOverlap>][] = [
    [
      "the home's backups folder itself",
      { kind: 'folder', name: 'x', path: '/home/shop/.coffre/backups' },
      { name: 'local', relation: 'same' },
    ],
    [
      'the same folder with a trailing slash',
      { kind: 'folder', name: 'x', path: '/home/shop/.coffre/backups/' },
      { name: 'local', relation: 'same' },
    ],
    [
      'a folder inside the backups folder',
      { kind: 'folder', name: 'x', path: '/home/shop/.coffre/backups/usb' },
      { name: 'local', relation: 'inside' },
    ],
    [
      'the home, which holds the backups folder',
      { kind: 'folder', name: 'x', path: '/home/shop/.coffre' },
      { name: 'local', relation: 'contains' },
    ],
    [
      'the whole USB stick',
      { kind: 'folder', name: 'x', path: '/media/usb' },
      { name: 'usb', relation: 'contains' },
    ],
    [
      'a sibling whose name starts the same',
      { kind: 'folder', name: 'x', path: '/media/usb/coffre-2' },
      null,
    ],
    ['another folder', { kind: 'folder', name: 'x', path: '/mnt/nas/coffre' }, null],
    [
      'the same bucket through 127.0.0.1',
      { ...cloud, name: 'x', endpoint: 'http://127.0.0.1:9000/' },
      { name: 'cloud', relation: 'same' },
    ],
    [
      'the same bucket through [::1]',
      { ...cloud, name: 'x', endpoint: 'http://[::1]:9000' },
      { name: 'cloud', relation: 'same' },
    ],
    [
      'a prefix inside the other',
      { ...cloud, name: 'x', prefix: 'registers/paris/' },
      { name: 'cloud', relation: 'inside' },
    ],
    [
      'the bucket root, which holds the other',
      { ...cloud, name: 'x', prefix: '' },
      { name: 'cloud', relation: 'contains' },
    ],
    ['another prefix', { ...cloud, name: 'x', prefix: 'archive/' }, null],
    ['another bucket', { ...cloud, name: 'x', bucket: 'shop-2' }, null],
    ['another port', { ...cloud, name: 'x', endpoint: 'http://localhost:9001' }, null],
    ['itself, being changed', { ...cloud }, null],
  ];
  for (const [name, candidate, expected] of cases) {
    it(name, () => assert.deepEqual(placeOverlap(candidate, existing), expected));
  }

  it('relates folders without a trailing separator trap', () => {
    assert.equal(folderRelation('/a/b', '/a/bc'), null);
    assert.equal(folderRelation('/', '/a'), 'contains');
  });
});

describe('realFolder', () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  it('resolves links, also above a folder that does not exist yet', () => {
    const real = path.join(dir, 'real');
    fs.mkdirSync(path.join(real, 'backups'), { recursive: true });
    fs.symlinkSync(real, path.join(dir, 'link'));
    const resolvedDir = fs.realpathSync(dir);
    assert.equal(
      realFolder(path.join(dir, 'link', 'backups')),
      path.join(resolvedDir, 'real', 'backups'),
    );
    assert.equal(
      realFolder(path.join(dir, 'link', 'not-yet', 'deeper')),
      path.join(resolvedDir, 'real', 'not-yet', 'deeper'),
    );
    assert.equal(realFolder(path.join(dir, 'link', '..', 'real')), path.join(resolvedDir, 'real'));
  });
});
