// The sidecar parser and check (core/sidecar.ts), pure: table tests, no disk.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCoffreError } from '../../src/core/errors.js';
import { fingerprintMessage, type Sidecar } from '../../src/core/manifest.js';
import { checkSidecar, parseHeader, parseSidecar } from '../../src/core/sidecar.js';
import { createIdentity, sign } from '../../src/state/identity.js';

const identity = createIdentity('Boulangerie', new Date('2026-11-20T10:00:00Z'));
const id = `boulangerie_20261120-100000-000_${identity.id.slice(0, 8)}`;
const archive = `${id}.tar.zst`;
const sha256 = 'c'.repeat(64);

function good(): Sidecar {
  return {
    sidecarVersion: 1,
    archive,
    size: 1234,
    sha256,
    fingerprintSignature: sign(identity, fingerprintMessage(archive, sha256)).toString('base64'),
    header: {
      format: 'coffre-archive',
      formatVersion: 1,
      id,
      createdAt: '2026-11-20T10:00:00.000Z',
      origin: 'manual',
      note: null,
      register: {
        id: identity.id,
        name: identity.name,
        publicKey: identity.publicKey,
        keyFingerprint: 'SHA256:x',
      },
      app: { profile: 'pos', version: null, schemaVersion: 3 },
      coffre: { version: '0.1.0' },
      database: {
        entry: 'database/register.db',
        bytes: 4096,
        pageSize: 4096,
        sourceEncrypted: false,
        tables: { products: 2 },
      },
      files: { label: 'images', count: 0, bytes: 0 },
      settings: null,
      sections: [{ name: 'catalog', label: 'Catalog', tables: { products: 2 }, files: 0 }],
      encryption: { encrypted: false, method: null, recipients: [] },
    },
  };
}

const trusted = { id: identity.id, keys: [identity.publicKey] };

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return isCoffreError(err) ? err.code : `not a CoffreError: ${String(err)}`;
  }
}

describe('parseSidecar', () => {
  const cases: [string, (s: any) => unknown, string][] = [
    ['a good sidecar', (s) => s, 'ok'],
    ['unknown keys from a later Coffre', (s) => ({ ...s, extra: 1 }), 'ok'],
    ['null', () => null, 'CORRUPT_ARCHIVE'],
    ['a string', () => 'sidecar', 'CORRUPT_ARCHIVE'],
    ['no signature', ({ fingerprintSignature: _, ...s }) => s, 'BAD_SIGNATURE'],
    ['a short signature', (s) => ({ ...s, fingerprintSignature: 'AAAA' }), 'BAD_SIGNATURE'],
    [
      'a signature not base64',
      (s) => ({ ...s, fingerprintSignature: '*'.repeat(88) }),
      'BAD_SIGNATURE',
    ],
    ['sha256 upper case', (s) => ({ ...s, sha256: 'C'.repeat(64) }), 'CORRUPT_ARCHIVE'],
    ['size a float', (s) => ({ ...s, size: 1.5 }), 'CORRUPT_ARCHIVE'],
    ['size null', (s) => ({ ...s, size: null }), 'CORRUPT_ARCHIVE'],
    ['sidecarVersion 2', (s) => ({ ...s, sidecarVersion: 2 }), 'UNSUPPORTED_FORMAT'],
    ['sidecarVersion "1"', (s) => ({ ...s, sidecarVersion: '1' }), 'CORRUPT_ARCHIVE'],
    [
      'formatVersion 9',
      (s) => ({ ...s, header: { ...s.header, formatVersion: 9 } }),
      'UNSUPPORTED_FORMAT',
    ],
    ['another archive', (s) => ({ ...s, archive: `x${archive}` }), 'CORRUPT_ARCHIVE'],
    [
      'header of another backup',
      (s) => ({ ...s, header: { ...s.header, id: 'other' } }),
      'CORRUPT_ARCHIVE',
    ],
    [
      'says encrypted, named plain',
      (s) => ({
        ...s,
        header: {
          ...s.header,
          encryption: { encrypted: true, method: 'age-x25519', recipients: [] },
        },
      }),
      'CORRUPT_ARCHIVE',
    ],
    [
      'origin unknown',
      (s) => ({ ...s, header: { ...s.header, origin: 'cosmic' } }),
      'CORRUPT_ARCHIVE',
    ],
    [
      'sections not a list',
      (s) => ({ ...s, header: { ...s.header, sections: {} } }),
      'CORRUPT_ARCHIVE',
    ],
    [
      'a public key of 31 bytes',
      (s) => ({
        ...s,
        header: {
          ...s.header,
          register: { ...s.header.register, publicKey: Buffer.alloc(31).toString('base64') },
        },
      }),
      'CORRUPT_ARCHIVE',
    ],
  ];
  for (const [name, change, expected] of cases) {
    it(`${name}: ${expected}`, () => {
      assert.equal(
        codeOf(() => parseSidecar(change(good()), archive)),
        expected,
      );
    });
  }
});

describe('checkSidecar', () => {
  const cases: [string, (s: Sidecar) => Sidecar, number | null, typeof trusted | null, string][] = [
    ['a good sidecar, size unknown', (s) => s, null, trusted, 'ok'],
    ['a good sidecar, size matches', (s) => s, 1234, trusted, 'ok'],
    ['size differs from the file', (s) => s, 1233, trusted, 'CORRUPT_ARCHIVE'],
    ['sha256 forged', (s) => ({ ...s, sha256: 'd'.repeat(64) }), 1234, trusted, 'BAD_SIGNATURE'],
    ['archive renamed', (s) => ({ ...s, archive: `x${archive}` }), 1234, trusted, 'BAD_SIGNATURE'],
    [
      'signed by another key',
      (s) => ({
        ...s,
        fingerprintSignature: sign(
          createIdentity('Other', new Date()),
          fingerprintMessage(archive, sha256),
        ).toString('base64'),
      }),
      1234,
      trusted,
      'BAD_SIGNATURE',
    ],
    [
      'a key this register never trusted',
      (s) => s,
      1234,
      { id: identity.id, keys: [] },
      'FOREIGN_REGISTER',
    ],
    ['another register id', (s) => s, 1234, { ...trusted, id: 'other' }, 'FOREIGN_REGISTER'],
    ['any register (adoption)', (s) => s, 1234, null, 'ok'],
  ];
  for (const [name, change, size, trust, expected] of cases) {
    it(`${name}: ${expected}`, () => {
      assert.equal(
        codeOf(() => checkSidecar(change(good()), { actualSize: size, trusted: trust })),
        expected,
      );
    });
  }
});

describe('parseHeader', () => {
  it('accepts a header as Coffre writes it and refuses one with a field of the wrong type', () => {
    assert.equal(parseHeader(good().header).id, id);
    assert.equal(
      codeOf(() => parseHeader({ ...good().header, files: null })),
      'CORRUPT_ARCHIVE',
    );
    assert.equal(
      codeOf(() => parseHeader({ format: 'zip' })),
      'CORRUPT_ARCHIVE',
    );
    assert.equal(
      codeOf(() => parseHeader({ ...good().header, formatVersion: 2 })),
      'UNSUPPORTED_FORMAT',
    );
  });
});
