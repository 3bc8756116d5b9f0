// eachLimited: every item, never more than the limit at once, in list order
// of starting, one buffer per lane, and the first failure rejects.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eachLimited } from '../../src/core/limited.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('eachLimited', () => {
  it('runs every item, at most `limit` at once, each lane one at a time', async () => {
    const started: number[] = [];
    const busy = new Set<number>();
    let running = 0;
    let most = 0;
    await eachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n, lane) => {
      assert.ok(!busy.has(lane), `lane ${lane} runs one item at a time`);
      busy.add(lane);
      started.push(n);
      most = Math.max(most, ++running);
      for (let i = 0; i < n % 3; i++) await tick();
      running--;
      busy.delete(lane);
    });
    assert.deepEqual(started, [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(most, 3);
  });

  it('does nothing on an empty list, and rejects with the first failure', async () => {
    await eachLimited([], 4, () => Promise.reject(new Error('never called')));
    await assert.rejects(
      eachLimited([1, 2, 3], 2, async (n) => {
        await tick();
        if (n === 2) throw new Error('item 2 failed');
      }),
      /item 2 failed/,
    );
  });
});
