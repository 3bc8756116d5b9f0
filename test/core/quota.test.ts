// parseSize: sizes as people write them on a storage plan.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCoffreError } from '../../src/core/errors.js';
import { parseSize } from '../../src/core/quota.js';

describe('parseSize', () => {
  for (const [text, bytes] of [
    ['2000000', 2_000_000],
    ['10GB', 10_000_000_000],
    ['10 gb', 10_000_000_000],
    ['1.5 TB', 1_500_000_000_000],
    ['500MiB', 500 * 2 ** 20],
    ['1GiB', 2 ** 30],
    ['64k', 64_000],
    ['3 B', 3],
    [' 7 MB ', 7_000_000],
  ] as const) {
    it(`reads ${JSON.stringify(text)} as ${bytes} bytes`, () =>
      assert.equal(parseSize(text), bytes));
  }

  for (const text of ['', 'GB', '10 XB', '-5GB', '0', '0.0001B', '1e3', '1,5GB', '10 GB extra']) {
    it(`refuses ${JSON.stringify(text)} with a usage error that shows an example`, () => {
      assert.throws(
        () => parseSize(text),
        (err: unknown) => isCoffreError(err, 'USAGE') && /e\.g\. 10GB/.test(err.message),
      );
    });
  }
});
