import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateConfig } from '../../src/state/config.js';

const base = { version: 1, source: { profile: 'pos', database: '/srv/pos/register.db' } };

describe('validateConfig', () => {
  it('fills in documented defaults', () => {
    const r = validateConfig(base);
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.deepEqual(r.config.defaultDestinations, ['local']);
    assert.deepEqual(r.config.encryption, {
      recipients: [],
      passphraseFile: null,
      checkAtWrite: false,
    });
    assert.equal(r.config.compressionLevel, 3);
    assert.equal(r.config.source.files, null);
  });

  const cases: [string, unknown, RegExp][] = [
    ['a missing database', { version: 1, source: { profile: 'pos' } }, /^source\.database: /],
    [
      'an unknown profile',
      { ...base, source: { ...base.source, profile: 'erp' } },
      /^source\.profile: /,
    ],
    [
      'a bad recipient',
      { ...base, encryption: { recipients: ['AGE-SECRET-KEY-1'] } },
      /^encryption\.recipients\.0: /,
    ],
    [
      'a default destination that does not exist',
      { ...base, defaultDestinations: ['usb'] },
      /^defaultDestinations: no destination named "usb"/,
    ],
    [
      'redefining local',
      { ...base, destinations: { local: { kind: 'external', path: '/x' } } },
      /^destinations\.local: /,
    ],
    [
      'a bad destination name',
      { ...base, destinations: { 'My USB': { kind: 'external', path: '/x' } } },
      /^destinations/,
    ],
    [
      'an unknown destination kind',
      { ...base, destinations: { usb: { kind: 'ftp', path: '/x' } } },
      /^destinations\.usb\.kind: /,
    ],
    ['a compression level out of range', { ...base, compressionLevel: 40 }, /^compressionLevel: /],
    ['a future config version', { ...base, version: 2 }, /^version: /],
  ];
  for (const [name, input, error] of cases) {
    it(`reports ${name} as path: message`, () => {
      const r = validateConfig(input);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.ok(
        r.errors.some((e) => error.test(e)),
        r.errors.join('\n'),
      );
    });
  }
});
