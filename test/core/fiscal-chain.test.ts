// The fiscal hash chain: tampered copies of a small chain, each break found
// at the right record with the right reason.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  LINES,
  PREVIOUS,
  canonicalText,
  checkChain,
  recordHash,
  type ChainFormat,
  type ChainRecord,
} from '../../src/core/fiscal/chain.js';
import { POS_RECEIPT_CHAIN } from '../../src/core/fiscal/pos.js';

const JSON_FORMAT: ChainFormat = {
  fields: ['number', 'at', 'amount', PREVIOUS],
  join: { kind: 'json' },
  algorithm: 'sha256',
  encoding: 'hex',
  genesis: 'GENESIS',
};

/** A correctly chained list of records #1..#n. */
function chain(n: number, format: ChainFormat = JSON_FORMAT): ChainRecord[] {
  const out: ChainRecord[] = [];
  let previous = format.genesis;
  for (let seq = 1; seq <= n; seq++) {
    const row = { number: seq, at: `2026-11-0${1 + (seq % 9)}T10:00:00Z`, amount: seq * 150 };
    const hash = recordHash(format, row, previous);
    out.push({ seq, at: row.at, row, previousHash: previous, hash });
    previous = hash;
  }
  return out;
}

/** A record that chains correctly to `previous` (what an intruder able to hash would write). */
function forged(seq: number, amount: number, previous: string): ChainRecord {
  const row = { number: seq, at: '2026-11-05T12:00:00Z', amount };
  return {
    seq,
    at: row.at,
    row,
    previousHash: previous,
    hash: recordHash(JSON_FORMAT, row, previous),
  };
}

const tampered: {
  name: string;
  records: () => ChainRecord[];
  broken: { seq: number; reason: string } | null;
}[] = [
  { name: 'intact', records: () => chain(6), broken: null },
  {
    name: 'an amount changed',
    records: () => chain(6).map((r) => (r.seq === 3 ? { ...r, row: { ...r.row, amount: 1 } } : r)),
    broken: { seq: 3, reason: 'altered' },
  },
  {
    name: 'a receipt deleted',
    records: () => chain(6).filter((r) => r.seq !== 3),
    broken: { seq: 4, reason: 'missing' },
  },
  {
    name: 'two receipts swapped',
    records: () => {
      const r = chain(6);
      [r[2], r[3]] = [r[3], r[2]];
      return r;
    },
    broken: { seq: 4, reason: 'reordered' },
  },
  {
    name: 'one inserted, chained to its predecessor',
    records: () => {
      const r = chain(6);
      r.splice(3, 0, forged(4, 999, r[2].hash));
      return r;
    },
    broken: { seq: 4, reason: 'inserted' },
  },
  {
    name: 'one inserted with a made-up link',
    records: () => {
      const r = chain(6);
      r.splice(3, 0, forged(4, 999, 'f'.repeat(64)));
      return r;
    },
    broken: { seq: 4, reason: 'inserted' },
  },
  {
    name: 'the first record does not start the chain',
    records: () => chain(6).slice(1),
    broken: { seq: 2, reason: 'altered' },
  },
  {
    name: 'a hash rewritten',
    records: () => chain(6).map((r) => (r.seq === 5 ? { ...r, hash: 'a'.repeat(64) } : r)),
    broken: { seq: 5, reason: 'altered' },
  },
];

describe('fiscal chain', () => {
  for (const t of tampered) {
    it(`finds ${t.broken ? `#${t.broken.seq} ${t.broken.reason}` : 'nothing'}: ${t.name}`, () => {
      const report = checkChain(t.records(), JSON_FORMAT);
      assert.equal(report.ok, t.broken === null);
      assert.deepEqual(
        report.broken && { seq: report.broken.seq, reason: report.broken.reason },
        t.broken,
      );
    });
  }

  it('reports the count and the first and last records', () => {
    const records = chain(4);
    const report = checkChain(records, JSON_FORMAT);
    assert.equal(report.count, 4);
    assert.deepEqual(report.first, { seq: 1, at: records[0].at, hash: records[0].hash });
    assert.deepEqual(report.last, { seq: 4, at: records[3].at, hash: records[3].hash });
    assert.equal(report.brokenCount, 0);
  });

  it('counts one break per edit, not every record after it', () => {
    const records = chain(10).map((r) =>
      r.seq === 2 || r.seq === 7 ? { ...r, row: { ...r.row, amount: 0 } } : r,
    );
    const report = checkChain(records, JSON_FORMAT);
    assert.equal(report.brokenCount, 2);
    assert.equal(report.broken?.seq, 2);
  });

  it('checks a period that starts mid-chain from the hash it must follow', () => {
    const records = chain(8);
    const period = records.slice(4);
    assert.equal(checkChain(period, JSON_FORMAT, { start: records[3].hash }).ok, true);
    assert.equal(checkChain(period, JSON_FORMAT, { start: records[2].hash }).broken?.seq, 5);
    assert.equal(checkChain(period, JSON_FORMAT, { start: null }).ok, true);
  });

  it('joins with a separator and hashes with SHA-512 in base64', () => {
    const format: ChainFormat = {
      fields: [PREVIOUS, 'ticket', 'total'],
      join: { kind: 'separator', separator: '|' },
      algorithm: 'sha512',
      encoding: 'base64',
      genesis: '',
    };
    const row = { ticket: 'T-0001', total: '12.50' };
    assert.equal(canonicalText(format, row, 'PREV'), 'PREV|T-0001|12.50');
    assert.equal(
      recordHash(format, row, 'PREV'),
      createHash('sha512').update('PREV|T-0001|12.50').digest('base64'),
    );
  });

  it('hashes a receipt with its lines as the pos recipe says', () => {
    const row = {
      number: 1,
      created_at: '2026-11-02T07:31:00Z',
      employee_id: 3,
      item_count: 2,
      total_cents: 260,
      vat_cents: 14,
    };
    const lines = [[1, 1, 'Baguette tradition', 2, 130, 550, 260]];
    assert.equal(
      canonicalText(POS_RECEIPT_CHAIN, row, '0'.repeat(64), lines),
      JSON.stringify([1, '2026-11-02T07:31:00Z', 3, 2, 260, 14, '0'.repeat(64), lines]),
    );
    assert.notEqual(
      recordHash(POS_RECEIPT_CHAIN, row, '0'.repeat(64), lines),
      recordHash(POS_RECEIPT_CHAIN, row, '0'.repeat(64), [
        [1, 1, 'Baguette tradition', 3, 130, 550, 390],
      ]),
      'a changed line changes the receipt hash',
    );
    assert.ok(POS_RECEIPT_CHAIN.fields.includes(LINES));
  });
});
